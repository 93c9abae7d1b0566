"""The Azure get layer for Foundry agents: the projects of each AI Services account (ARM), the
connections the account and each project keep (ARM), and the agents each project's data plane
lists.

Calls and budget, per AI Services account: one paged ARM list of its projects, ``GET {account}/
projects`` (api-version 2025-06-01; ``Microsoft.CognitiveServices/accounts/projects/read``, in
Reader). Per project: one paged data-plane list, ``GET {project endpoint}/assistants``
(api-version ``v1``, ``limit=100``, cursor ``after`` = the page's ``last_id`` while
``has_more``), as the Azure AI Foundry Agent Service spec publishes it (azure-rest-api-specs
``specification/ai/data-plane/AIAgents/stable/v1/azure-ai-agents.json``, operation ListAgents).
The data plane takes Entra tokens of audience ``https://ai.azure.com`` (not ARM's) and the
``Microsoft.CognitiveServices/accounts/AIServices/agents/read`` data action (Azure AI User);
Reader on the account does not grant it, so a 401/403 there is a gap for that project.

Connections, per AI Services account and per project: one paged ARM list each, ``GET {account}/
connections`` and ``GET {account}/projects/{project}/connections`` (api-version 2025-06-01,
``nextLink``; ``Microsoft.CognitiveServices/accounts/connections/read`` and
``.../projects/connections/read``, in Reader). The list answers without secret values; those
come only from ``listsecrets`` (a POST), which nhi never calls. Whatever credential material a
list answer might still carry is dropped here, on arrival: only the non-secret identifiers in
``CONNECTION_IDENTIFIERS`` (a client id, an access key id, a user name) are kept.

The token goes only to a project endpoint on the cloud's Foundry host suffix
(``*.services.ai.azure.com``) or under the configured ``endpoint`` override (a proxy or the
fake): an endpoint ARM reports elsewhere is a gap, not a request.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from nhi_cli.kit.connector import CollectContext, ScopeFailed
from nhi_cli.kit.http import RestClient

from .clients import bearer_client
from .settings import AzureSettings

PROJECTS_API_VERSION = "2025-06-01"
CONNECTIONS_API_VERSION = "2025-06-01"  # ProjectConnections_List / AccountConnections_List, stable
# the parts of a connection's `credentials` that identify, never authenticate (ConnectionOAuth2,
# ConnectionServicePrincipal, ConnectionAccessKey, ConnectionUsernamePassword,
# ConnectionManagedIdentity in azure-mgmt-cognitiveservices)
CONNECTION_IDENTIFIERS = ("clientId", "tenantId", "accessKeyId", "username", "resourceId")
AGENTS_API_VERSION = "v1"
AGENTS_PAGE = 100  # the documented maximum of `limit`
ENDPOINT_KEY = "AI Foundry API"  # the project's properties.endpoints entry for its data plane


def get_projects(arm: RestClient, account_id: str) -> list[dict[str, Any]]:
    return [
        p
        for p in arm.paged_odata(
            f"{account_id}/projects",
            params={"api-version": PROJECTS_API_VERSION},
            count_as="arm:GET {account}/projects",
        )
        if isinstance(p, dict)
    ]


def get_connections(arm: RestClient, parent_id: str, level: str) -> list[dict[str, Any]]:
    """The connections of an account (``level`` "account") or a project ("project"), each with
    its ``properties.credentials`` cut down to the identifiers: no secret leaves this function."""
    return [
        _without_secrets(c)
        for c in arm.paged_odata(
            f"{parent_id}/connections",
            params={"api-version": CONNECTIONS_API_VERSION},
            count_as=f"arm:GET {{{level}}}/connections",
        )
        if isinstance(c, dict)
    ]


def _without_secrets(connection: dict[str, Any]) -> dict[str, Any]:
    properties = connection.get("properties")
    if not isinstance(properties, dict) or "credentials" not in properties:
        return connection
    given = properties["credentials"]
    kept = {k: given[k] for k in CONNECTION_IDENTIFIERS if isinstance(given, dict) and isinstance(given.get(k), str)}
    return {**connection, "properties": {**properties, "credentials": kept}}


def project_endpoint(account: dict[str, Any], project: dict[str, Any]) -> str | None:
    """The project's data-plane endpoint as ARM reports it, else built from the account's
    custom subdomain the way the spec's server template reads."""
    endpoints = (project.get("properties") or {}).get("endpoints") or {}
    listed = endpoints.get(ENDPOINT_KEY) if isinstance(endpoints, dict) else None
    if isinstance(listed, str):
        return listed.rstrip("/")
    subdomain = (account.get("properties") or {}).get("customSubDomainName")
    if not subdomain or not isinstance(project.get("name"), str):
        return None
    return f"https://{subdomain}.services.ai.azure.com/api/projects/{project['name'].rsplit('/', 1)[-1]}"


def endpoint_allowed(settings: AzureSettings, endpoint: str) -> bool:
    """True for an https endpoint on the cloud's Foundry hosts, or one under the configured
    endpoint override: the AI token is not sent anywhere else."""
    if settings.endpoint and endpoint.startswith(settings.endpoint.rstrip("/") + "/"):
        return True
    parts = urlsplit(endpoint)
    suffix = settings.cloud_endpoints.ai_host_suffix
    return bool(suffix and parts.scheme == "https" and (parts.hostname or "").endswith(suffix))


def get_agents(ctx: CollectContext, credential: Any, endpoint: str) -> list[dict[str, Any]]:
    settings: AzureSettings = ctx.settings
    audience = settings.cloud_endpoints.ai_audience
    if not audience:
        raise ScopeFailed("UnsupportedCloud", f"no published Foundry token audience for cloud {settings.cloud}")
    with bearer_client(ctx, credential, endpoint, audience, "foundry") as client:
        return [
            a
            for a in client.paged_cursor(
                "/assistants",
                params={"api-version": AGENTS_API_VERSION, "limit": AGENTS_PAGE},
                count_as="foundry:GET {project}/assistants",
            )
            if isinstance(a, dict)
        ]
