"""The fake's side of Foundry agents (fake layer): AI Services projects and the connections of
accounts and projects on the ARM routes, and each project's agents data plane, added to the
Azure fake by fake.py.

Estate fields: ``foundryProjects`` (account ARM id -> Project objects as ARM returns them,
api-version 2025-06-01), ``foundryConnections`` (account or project ARM id -> connection
objects, ``ConnectionPropertiesV2BasicResource``) and ``foundryAgents`` (``account/project`` ->
Agent objects as the data plane returns them). Sources the payloads are validated against
(tests/azure/test_foundry.py, test_foundry_connections.py): projects and connections against
``azure-mgmt-cognitiveservices`` 14.1 (``models.Project``,
``models.ConnectionPropertiesV2BasicResource`` with the ``authType`` subclass), agents against
``azure-ai-agents`` 1.2.0b6 (``models.Agent`` and its tool definitions, generated from
azure-rest-api-specs ``specification/ai/data-plane/AIAgents``, ListAgents of api-version v1).

The fake stands in for every account's data-plane host, so it serves project endpoints under
its own address: ``https://{account}.services.ai.azure.com/api/projects/{p}`` becomes
``http://{fake}/foundry/{account}/api/projects/{p}``. The data plane refuses what the real one
refuses: a token of another audience (the ARM token: 401), an unknown ``api-version`` or query
parameter or a ``limit`` outside 1..100 (400); ``denied_projects`` answer 403 (no data-plane
role). Paging is the spec's: ``limit``, ``after`` = the previous page's ``last_id``,
``has_more``; ``order`` defaults to ``desc`` by ``created_at``.

Connection lists (ProjectConnections_List, AccountConnections_List) take ``api-version``,
``target``, ``category`` and ``includeAll`` and nothing else, page with ``nextLink``, and serve a
connection as the estate holds it: a fixture may plant a ``credentials`` value to prove nhi
drops it. ``listsecrets`` (POST) is not served: a scan must never call it.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from nhi_cli.kit.http_fake import FakeRequest, FakeResponse, IntRange, query_problem, reply

from .fake_common import Fake, error

AI_TOKEN = "fake-azure-ai-token"  # the demo's `static_ai_token` (audience https://ai.azure.com)
PROJECT_API_VERSIONS = {"2025-04-01-preview", "2025-06-01", "2025-07-01-preview", "2025-09-01"}
AGENT_API_VERSIONS = {"v1", "2025-05-01", "2025-05-15-preview"}
_HOST = re.compile(r"^https://(?P<account>[^./]+)\.services\.ai\.azure\.com")
_ACCOUNT = (
    r"(?P<account>/subscriptions/(?P<sub>[0-9a-fA-F-]{36})/resourceGroups/[^/]+/providers/"
    r"Microsoft\.CognitiveServices/accounts/[^/]+)"
)
_PROJECTS = _ACCOUNT + "/projects"
_CONNECTIONS = r"(?P<parent>" + _ACCOUNT + r"(?:/projects/[^/]+)?)/connections"


def add_foundry_routes(fake: Fake) -> None:
    estate = fake.estate

    def served(request: FakeRequest, project: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(project)
        endpoints = (out.get("properties") or {}).get("endpoints") or {}
        base = f"http://{request.headers.get('host')}/foundry"
        for key, url in endpoints.items():
            if isinstance(url, str) and (m := _HOST.match(url)):
                endpoints[key] = f"{base}/{m['account']}{url[m.end() :]}"
        return out

    def list_projects(request: FakeRequest) -> FakeResponse:
        version = request.arg("api-version")
        if version not in PROJECT_API_VERSIONS:
            return error(400, "InvalidApiVersionParameter", f"The api-version '{version}' is invalid.")
        if problem := query_problem(request, {"api-version": None, "$skiptoken": None}):
            return error(400, "BadRequest", problem)
        account = request.match["account"].lower()
        projects = next((v for k, v in estate.get("foundryProjects", {}).items() if k.lower() == account), None)
        if projects is None and not any(
            a["id"].lower() == account for accounts in estate.get("cognitiveAccounts", {}).values() for a in accounts
        ):
            return error(404, "ResourceNotFound", "no account")
        return fake._page(request, [served(request, p) for p in projects or []], "nextLink")

    def list_connections(request: FakeRequest) -> FakeResponse:
        version = request.arg("api-version")
        if version not in PROJECT_API_VERSIONS:
            return error(400, "InvalidApiVersionParameter", f"The api-version '{version}' is invalid.")
        allowed = {"api-version": None, "target": None, "category": None, "includeAll": {"true", "false"}}
        if problem := query_problem(request, {**allowed, "$skiptoken": None}):
            return error(400, "BadRequest", problem)
        parent = request.match["parent"].lower()
        items = next((v for k, v in estate.get("foundryConnections", {}).items() if k.lower() == parent), None)
        if items is None and not _exists(parent):
            return error(404, "ResourceNotFound", f"no resource {request.match['parent']}")
        if category := request.arg("category"):
            items = [c for c in items or [] if (c.get("properties") or {}).get("category") == category]
        if target := request.arg("target"):
            items = [c for c in items or [] if (c.get("properties") or {}).get("target") == target]
        return fake._page(request, copy.deepcopy(items or []), "nextLink")

    def _exists(resource: str) -> bool:
        """An account the estate lists, or a project of one."""
        if "/projects/" in resource:
            account = resource.split("/projects/")[0]
            listed: dict[str, list[dict[str, Any]]] = estate.get("foundryProjects", {})
            projects = next((v for k, v in listed.items() if k.lower() == account), [])
            return any(p["id"].lower() == resource for p in projects)
        return any(a["id"].lower() == resource for accts in estate.get("cognitiveAccounts", {}).values() for a in accts)

    def list_agents(request: FakeRequest) -> FakeResponse:
        if request.headers.get("authorization") != f"Bearer {fake.ai_token}":
            return error(
                401,
                "Unauthorized",
                "Access token is missing, invalid, audience is incorrect (https://ai.azure.com), or have expired.",
            )
        version = request.arg("api-version")
        if version not in AGENT_API_VERSIONS:
            return error(400, "BadRequest", f"Unsupported api-version '{version}'.")
        allowed = {
            "api-version": None,
            "limit": IntRange(1, 100),
            "order": {"asc", "desc"},
            "after": None,
            "before": None,
        }
        if problem := query_problem(request, allowed):
            return error(400, "BadRequest", problem)
        key = f"{request.match['account']}/{request.match['project']}"
        if key in fake.denied_projects:
            return error(403, "PermissionDenied", "The principal lacks the data action agents/read.")
        if key not in estate.get("foundryAgents", {}):
            return error(404, "NotFound", f"project {request.match['project']} not found")
        agents = sorted(estate["foundryAgents"][key], key=lambda a: (a.get("created_at", 0), a["id"]))
        if (request.arg("order") or "desc") == "desc":
            agents.reverse()
        ids = [a["id"] for a in agents]
        start = ids.index(request.arg("after")) + 1 if request.arg("after") in ids else 0
        limit = int(request.arg("limit") or 20)
        page = agents[start : start + limit]
        body: dict[str, Any] = {
            "object": "list",
            "data": copy.deepcopy(page),
            "first_id": page[0]["id"] if page else None,
            "last_id": page[-1]["id"] if page else None,
            "has_more": start + limit < len(agents),
        }
        return reply(body)

    s = fake.server
    s.route("GET", _PROJECTS, fake._guard(list_projects))
    s.route("GET", _CONNECTIONS, fake._guard(list_connections))
    s.route("GET", r"/foundry/(?P<account>[^/]+)/api/projects/(?P<project>[^/]+)/assistants", list_agents)
