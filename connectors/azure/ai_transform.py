"""The transform layer for Azure AI accounts and Foundry agents (ai_accounts.py and foundry.py
payloads -> records). Pure.

Each Azure OpenAI / AI Services account is an ``azure_ai_account`` identity (its managed
identity's principal id in ``attrs.managed_identity``). While ``disableLocalAuth`` is false its
two account keys are ``azure_ai_account_key`` credentials (``.../keys/key1`` and ``key2``):
anyone holding one calls the models as the account, with no user and no expiry. Their values
are never read; ARM reports neither their creation nor their last use.

Each agent a Foundry project lists is a ``foundry_agent`` identity registered by the platform,
running as the project's managed identity (``attrs.managed_identity``, a service principal
object id), with its tools as its reach (``attrs.reach``) and the tools that call out with a
stored API key in ``attrs.static_credential_targets``, and the ``foundry_connection_secret``
credentials those tools use in ``attrs.connection_credentials``. The agent's ``metadata`` are its
tags.

Each connection of an account or project whose ``authType`` stores a secret (``SECRET_AUTH_TYPES``:
an API key, custom keys, an access or account key, an OAuth2 client secret, a PAT, a SAS, a
service principal's secret, a user name and password) is a ``foundry_connection_secret``
credential: a standing credential the platform keeps and uses for the project's agents, held by
the identity they run as (the project's managed identity, else the account's, else the project
or account itself). Its value is never read; ``expiryTime`` is its expiry when set. Connections
with ``AAD``, ``ManagedIdentity`` or ``None`` auth store no secret (the platform presents an Entra
token or nothing): they are not credentials.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from nhi_cli.kit.payloads import each, iso_time, require
from nhi_cli.model import Batch, Credential, Identity

from .transform import TransformError

OWNER_TAGS = ("owner", "Owner", "nhi:owner", "nhi-owner")


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def transform_ai_accounts(scope: str, accounts: list[dict[str, Any]]) -> Batch:
    batch = Batch()
    for account in accounts:
        if not isinstance(account.get("id"), str) or not isinstance(account.get("name"), str):
            raise TransformError("Cognitive Services account payload is missing id or name")
        props = account.get("properties") or {}
        identity = account.get("identity") or {}
        local_auth = props.get("disableLocalAuth") is not True
        created = _time((account.get("systemData") or {}).get("createdAt"))
        tags = {k: str(v) for k, v in (account.get("tags") or {}).items()}
        owner_tag = next((k for k in OWNER_TAGS if tags.get(k)), None)
        batch.identities.append(
            Identity(
                id=account["id"],
                provider="azure",
                scope=scope,
                kind="azure_ai_account",
                name=account["name"],
                created_at=created,
                owner=tags[owner_tag] if owner_tag else None,
                owner_source=f"tag:{owner_tag}" if owner_tag else None,
                tags=tags,
                attrs={
                    "account_kind": account.get("kind"),
                    "endpoint": props.get("endpoint"),
                    "location": account.get("location"),
                    "local_auth_enabled": local_auth,
                    "public_network_access": props.get("publicNetworkAccess"),
                    "managed_identity": identity.get("principalId"),
                    "identity_type": identity.get("type"),
                },
            )
        )
        if not local_auth:
            continue
        for slot in ("key1", "key2"):
            batch.credentials.append(
                Credential(
                    id=f"{account['id']}/keys/{slot}",
                    identity_id=account["id"],
                    provider="azure",
                    scope=scope,
                    kind="azure_ai_account_key",
                    status="active",
                    name=f"{account['name']} {slot}",
                    created_at=None,  # ARM does not say when a key was last regenerated
                    supports_expiry=False,
                    attrs={
                        "slot": slot,
                        "ai_credential": True,
                        "account_kind": account.get("kind"),
                        "last_used_unknown": True,
                    },
                )
            )
    return batch


FOUNDRY_PLATFORM = "Azure AI Foundry Agent Service"
CONNECTION_SECRET = "foundry_connection_secret"
# ConnectionAuthType values (azure-mgmt-cognitiveservices 14.1, api-version 2025-06-01) whose
# connection stores a secret, and those whose does not
SECRET_AUTH_TYPES = {
    "ApiKey",
    "CustomKeys",
    "AccessKey",
    "AccountKey",
    "OAuth2",
    "PAT",
    "SAS",
    "ServicePrincipal",
    "UsernamePassword",
}
NO_SECRET_AUTH_TYPES = {"AAD", "ManagedIdentity", "None"}
_IDENTIFIERS = {
    "clientId": "client_id",
    "tenantId": "tenant_id",
    "accessKeyId": "access_key_id",
    "username": "username",
}
_CONNECTION_TOOLS = {  # tools that call a service through a project connection
    "bing_grounding": "Bing grounding",
    "bing_custom_search": "Bing custom search",
    "sharepoint_grounding": "SharePoint grounding",
    "fabric_dataagent": "Microsoft Fabric data agent",
}


def _principal(identity: dict[str, Any] | None) -> str | None:
    """The principal (service principal object id) a resource's managed identity is: the
    system-assigned one, else the only user-assigned one."""
    identity = identity or {}
    if identity.get("principalId"):
        return str(identity["principalId"])
    assigned = [v.get("principalId") for v in (identity.get("userAssignedIdentities") or {}).values() if v]
    return str(assigned[0]) if len(assigned) == 1 and assigned[0] else None


def _connections(value: Any) -> list[str]:
    """Every ``connection_id`` / ``index_connection_id`` under a tool or its resources."""
    if isinstance(value, dict):
        found = [str(v) for k, v in value.items() if k in ("connection_id", "index_connection_id") and v]
        return found + [c for v in value.values() for c in _connections(v)]
    if isinstance(value, list):
        return [c for v in value for c in _connections(v)]
    return []


def connection_holder(resource: dict[str, Any], account: dict[str, Any] | None = None) -> str:
    """Who holds a project's (or an account's) connection credentials: the principal its agents
    run as (the resource's managed identity, else the account's), else the resource itself."""
    holder = _principal(resource.get("identity")) or (_principal(account.get("identity")) if account else None)
    return holder or str(resource["id"])


def transform_foundry_connections(
    scope: str, now: datetime, parent: dict[str, Any], holder: str, connections: list[dict[str, Any]]
) -> Batch:
    """The connections of one account or project (``parent``) that store a secret, as
    credentials of ``holder``; one malformed connection is a gap naming it."""
    level = "project" if "/projects/" in str(parent.get("id", "")).lower() else "account"
    return each(
        connections, lambda c: _connection(scope, now, parent, level, holder, c), "Foundry connection", "id", "name"
    )


def _connection(
    scope: str, now: datetime, parent: dict[str, Any], level: str, holder: str, connection: dict[str, Any]
) -> Batch:
    require(connection, "id", "name", "properties", what="Foundry connection")
    props = connection["properties"]
    require(props, "authType", what=f"Foundry connection {connection['name']}")
    auth = str(props["authType"])
    batch = Batch()
    if auth in NO_SECRET_AUTH_TYPES:
        return batch  # the platform presents an Entra token (or nothing): no stored secret
    expires = iso_time(props.get("expiryTime"))
    given = props.get("credentials") if isinstance(props.get("credentials"), dict) else {}
    batch.credentials.append(
        Credential(
            id=connection["id"],
            identity_id=holder,
            provider="azure",
            scope=scope,
            kind=CONNECTION_SECRET,
            status="expired" if expires and expires <= now else "active",
            name=connection["name"],
            created_at=iso_time((connection.get("systemData") or {}).get("createdAt")),
            expires_at=expires,
            supports_expiry=True,  # expiryTime is settable on every connection
            attrs={
                "auth_type": auth,
                "auth_type_known": auth in SECRET_AUTH_TYPES,
                "category": props.get("category"),
                "target": props.get("target"),
                "level": level,
                "parent": parent.get("id"),
                "shared_to_all": props.get("isSharedToAll"),
                "stored_for_agents": True,
                "static": True,
                "last_used_unknown": True,  # ARM reports no use of a connection
                **{attr: given[key] for key, attr in _IDENTIFIERS.items() if isinstance(given.get(key), str)},
            },
        )
    )
    return batch


def tool_reach(agent: dict[str, Any], stored: dict[str, str] | None = None) -> tuple[list[str], list[str], list[str]]:
    """(what the agent's tools reach, the tools that call out with a stored static credential,
    the ``foundry_connection_secret`` credentials they use). An OpenAPI tool with
    ``connection`` auth sends the key its connection stores; ``stored`` maps the lowercased ARM
    id of each stored-secret connection collected to its credential id (ARM ids are
    case-insensitive)."""
    stored = stored or {}
    reach: list[str] = []
    static: list[str] = []
    used: list[str] = []
    resources = agent.get("tool_resources") or {}
    for tool in agent.get("tools") or []:
        kind = str(tool.get("type") or "unknown")
        body = tool.get(kind) if isinstance(tool.get(kind), dict) else {}
        if kind == "code_interpreter":
            reach.append("code interpreter (sandboxed Python run by the service)")
        elif kind == "file_search":
            stores = (resources.get("file_search") or {}).get("vector_store_ids") or []
            reach.append(f"file search over vector stores {', '.join(stores) or '(none attached)'}")
        elif kind == "function":
            reach.append(f"function {(tool.get('function') or {}).get('name', '?')} (run by the caller's code)")
        elif kind == "openapi":
            auth = body.get("auth") or {}
            how = auth.get("type", "unknown")
            name = body.get("name", "?")
            if how == "connection":
                connection = (auth.get("security_scheme") or {}).get("connection_id", "?")
                reach.append(f"OpenAPI {name} with the key stored in connection {connection}")
                static.append(f"OpenAPI {name}")
                if str(connection).lower() in stored:
                    used.append(stored[str(connection).lower()])
            elif how == "managed_identity":
                audience = (auth.get("security_scheme") or {}).get("audience", "?")
                reach.append(f"OpenAPI {name} as the project's managed identity (audience {audience})")
            else:
                reach.append(f"OpenAPI {name} ({how} auth)")
        elif kind == "mcp":
            allowed = tool.get("allowed_tools")
            only = f", tools {', '.join(allowed)}" if allowed else ""
            reach.append(f"MCP server {tool.get('server_label', '?')} at {tool.get('server_url', '?')}{only}")
        elif kind == "connected_agent":
            other = tool.get("connected_agent") or {}
            reach.append(f"agent {other.get('name', '?')} ({other.get('id', '?')})")
        elif kind == "azure_function":
            function = (tool.get("azure_function") or {}).get("function") or {}
            reach.append(f"Azure Function {function.get('name', '?')}")
        elif kind == "azure_ai_search":
            indexes = (resources.get("azure_ai_search") or {}).get("indexes") or []
            via = sorted({i.get("index_connection_id", "?") for i in indexes})
            reach.append(f"Azure AI Search through connection {', '.join(via) or '?'}")
        elif kind in _CONNECTION_TOOLS:
            reach.append(f"{_CONNECTION_TOOLS[kind]} through connection {', '.join(_connections(tool)) or '?'}")
        else:
            reach.append(f"{kind} tool")
    return reach, static, sorted(set(used))


def transform_foundry_agents(
    scope: str,
    account: dict[str, Any],
    project: dict[str, Any],
    agents: list[dict[str, Any]],
    stored: dict[str, str] | None = None,
) -> Batch:
    """Each agent a project lists: registered by the platform, running as the project's
    managed identity (the account's when the project has none). ``stored``: see tool_reach."""
    batch = Batch()
    runs_as = _principal(project.get("identity")) or _principal(account.get("identity"))
    project_name = str(project.get("name", "")).rsplit("/", 1)[-1]
    for agent in agents:
        if not isinstance(agent.get("id"), str):
            raise TransformError(f"Foundry agent payload of project {project_name} is missing id")
        metadata = {str(k): str(v) for k, v in (agent.get("metadata") or {}).items()}
        owner_key = next((k for k in OWNER_TAGS if metadata.get(k)), None)
        created = agent.get("created_at")
        reach, static, used = tool_reach(agent, stored)
        batch.identities.append(
            Identity(
                id=f"{project['id']}/agents/{agent['id']}",
                provider="azure",
                scope=scope,
                kind="foundry_agent",
                name=agent.get("name") or agent["id"],
                created_at=datetime.fromtimestamp(created, UTC) if isinstance(created, int | float) else None,
                owner=metadata[owner_key] if owner_key else None,
                owner_source=f"metadata:{owner_key}" if owner_key else None,
                description=agent.get("description"),
                tags=metadata,
                attrs={
                    "platform": FOUNDRY_PLATFORM,
                    "registered_by_platform": True,
                    "agent_id": agent["id"],
                    "project": project["id"],
                    "account": account.get("id"),
                    "location": project.get("location") or account.get("location"),
                    "model": agent.get("model"),
                    "managed_identity": runs_as,
                    "runs_as": runs_as or "no managed identity (the project has none)",
                    "inbound_auth": "entra",
                    "reach": reach,
                    "static_credential_targets": static,
                    "connection_credentials": used,
                },
            )
        )
    return batch
