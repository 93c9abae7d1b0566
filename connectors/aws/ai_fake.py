"""The fake's side (fake layer): the AWS AI-platform operations moto 5.2 does not implement.

moto implements IAM, Bedrock Agents' agents (CreateAgent, GetAgent, ListAgents) and AgentCore's
runtimes, gateways and gateway targets. It has no IAM service-specific credentials (Bedrock
long-term API keys), no agent action groups or aliases, and no AgentCore Identity (workload
identities, listed and got, OAuth2 and API-key credential providers). ``AiFake`` is a WSGI
middleware in front of moto's app, on the same loopback port, that answers exactly those
operations over their real protocols (IAM query/XML, rest-json for the Bedrock services) and
passes everything else to moto. Requests are checked against the botocore input shapes and
answers against the output shapes (nhi_cli/kit/botocore_model.py): what the real
API would reject is rejected here too.

State is process-wide, like moto's backends (the server thread shares this process), and is
emptied by ``reset()`` whenever a fake server starts.
"""

from __future__ import annotations

import io
import re
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from nhi_cli.kit.botocore_model import NonConforming, check_request, from_query, from_rest, rest_json, service_model

from .fake_wire import query_error, query_xml, rest_error

# signing name (from the request's SigV4 credential scope) -> botocore service -> operations
HANDLED = {
    "iam": ("iam", ("ListServiceSpecificCredentials", "UpdateServiceSpecificCredential")),
    "bedrock": ("bedrock-agent", ("ListAgentActionGroups", "GetAgentActionGroup", "ListAgentAliases")),
    "bedrock-agentcore": (
        "bedrock-agentcore-control",
        (
            "ListWorkloadIdentities",
            "GetWorkloadIdentity",
            "ListOauth2CredentialProviders",
            "ListApiKeyCredentialProviders",
        ),
    ),
}
CREDENTIAL_SCOPE = re.compile(r"Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")


@dataclass
class AiState:
    # account -> IAM service-specific credentials (ServiceSpecificCredentialMetadata dicts)
    service_credentials: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # (account, region, agent id) -> action groups (AgentActionGroup dicts) / aliases
    action_groups: dict[tuple[str, str, str], list[dict[str, Any]]] = field(default_factory=dict)
    aliases: dict[tuple[str, str, str], list[dict[str, Any]]] = field(default_factory=dict)
    # (account, region) -> AgentCore Identity lists
    workload_identities: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    oauth2_providers: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    api_key_providers: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    # (account, region, workload identity name) -> what GetWorkloadIdentity adds to the list item
    # (allowedResourceOauth2ReturnUrls, createdTime, lastUpdatedTime)
    workload_details: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    # (operation, region or None) -> (HTTP status, error code): refused calls
    faults: dict[tuple[str, str | None], tuple[int, str]] = field(default_factory=dict)
    page_size: int = 100  # the most items per page when the caller names no maxResults
    calls: list[tuple[str, str, str]] = field(default_factory=list)  # (operation, account, region)
    lock: threading.Lock = field(default_factory=threading.Lock)


STATE = AiState()


def reset() -> None:
    global STATE
    STATE = AiState()


def state() -> AiState:
    return STATE


def deny(operation: str, region: str | None = None, status: int = 403, code: str = "AccessDeniedException") -> None:
    """Refuse ``operation`` (in ``region``, or everywhere) with the service's own error."""
    STATE.faults[(operation, region)] = (status, code)


# --- seeding (tests and the demo) ------------------------------------------------------------
def add_service_credential(
    account: str,
    user_name: str,
    credential_id: str,
    created: datetime,
    *,
    expires: datetime | None = None,
    status: str = "Active",
    service: str = "bedrock.amazonaws.com",
) -> dict[str, Any]:
    item = {
        "UserName": user_name,
        "Status": status,
        "ServiceCredentialAlias": f"{user_name}-at-{account}",
        "CreateDate": created,
        "ExpirationDate": expires,
        "ServiceSpecificCredentialId": credential_id,
        "ServiceName": service,
    }
    STATE.service_credentials.setdefault(account, []).append(item)
    return item


def add_action_group(account: str, region: str, agent_id: str, group: dict[str, Any]) -> None:
    STATE.action_groups.setdefault((account, region, agent_id), []).append(
        {"agentId": agent_id, "agentVersion": "DRAFT", "actionGroupState": "ENABLED", **group}
    )


def add_alias(account: str, region: str, agent_id: str, alias: dict[str, Any]) -> None:
    STATE.aliases.setdefault((account, region, agent_id), []).append({"agentAliasStatus": "PREPARED", **alias})


def add_identity_item(kind: str, account: str, region: str, item: dict[str, Any]) -> None:
    """kind: workload_identities, oauth2_providers or api_key_providers."""
    getattr(STATE, kind).setdefault((account, region), []).append(item)


def set_workload_details(account: str, region: str, name: str, **details: Any) -> None:
    """GetWorkloadIdentity's extra fields of one workload identity (seeded or made by AgentCore
    for a runtime or gateway, named by its id)."""
    STATE.workload_details.setdefault((account, region, name), {}).update(details)


# --- the middleware --------------------------------------------------------------------------
class AiFake:
    def __init__(self, app: WSGIApplication):
        self.app = app
        self.routes = _routes()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        match = CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        handled = HANDLED.get(match.group(3)) if match else None
        if match is None or handled is None:
            return self.app(environ, start_response)
        access_key, region = match.group(1), match.group(2)
        service, served = handled
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        if service == "iam":
            form = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
            operation = form.get("Action", "")
            if operation in served or (operation, None) in STATE.faults:
                return self._query(start_response, form, _account(access_key))
            return self._pass(environ, start_response, body)
        for operation, method, pattern in self.routes[service]:
            found = pattern.match(environ.get("PATH_INFO", ""))
            if found and environ["REQUEST_METHOD"] == method:
                if operation in served or _fault(operation, region):
                    query = parse_qs(environ.get("QUERY_STRING", ""))
                    return self._rest(
                        start_response, service, operation, found.groupdict(), query, body, access_key, region
                    )
                break
        return self._pass(environ, start_response, body)

    def _pass(self, environ: WSGIEnvironment, start_response: StartResponse, body: bytes) -> Iterable[bytes]:
        environ["wsgi.input"] = io.BytesIO(body)
        return self.app(environ, start_response)

    # IAM: query protocol, XML answers
    def _query(self, start_response: StartResponse, form: dict[str, str], account: str) -> list[bytes]:
        operation = form.pop("Action")
        form.pop("Version", None)
        request_id = str(uuid.uuid4())
        fault = STATE.faults.get((operation, None))
        try:
            if fault:
                raise _Refused(fault[0], fault[1], f"not authorized to perform iam:{operation}")
            params = _check_input("iam", operation, lambda: from_query("iam", operation, form))
            with STATE.lock:
                STATE.calls.append((operation, account, "global"))
                result = IAM_HANDLERS[operation](account, params)
            payload = query_xml("iam", operation, result, request_id)
        except _Refused as exc:
            start_response(f"{exc.status} Error", [("Content-Type", "text/xml")])
            return [query_error(exc.code, exc.message, request_id)]
        start_response("200 OK", [("Content-Type", "text/xml")])
        return [payload]

    # Bedrock services: rest-json
    def _rest(
        self,
        start_response: StartResponse,
        service: str,
        operation: str,
        uri: dict[str, str],
        query: dict[str, list[str]],
        body: bytes,
        access_key: str,
        region: str,
    ) -> list[bytes]:
        account = _account(access_key)
        fault = _fault(operation, region)
        try:
            if fault:
                raise _Refused(fault[0], fault[1], f"not authorized to perform {operation} in {region}")
            params = _check_input(service, operation, lambda: from_rest(service, operation, uri, query, body))
            with STATE.lock:
                STATE.calls.append((operation, account, region))
                result = REST_HANDLERS[operation](account, region, params)
            payload = rest_json(service, operation, result)  # a wrong answer fails the test, loudly
        except _Refused as exc:
            status, headers, body = rest_error(exc.status, exc.code, exc.message)
            start_response(status, headers)
            return [body]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [payload]


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _check_input(service: str, operation: str, params: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The parameters (``params()`` builds them: decoding a form may already fail) as the real
    service accepts them, or its 400 answer."""
    try:
        return check_request(service, operation, params())
    except NonConforming as exc:
        code = "InvalidInput" if service_model(service).metadata.get("protocol") == "query" else "ValidationException"
        raise _Refused(400, code, str(exc)) from None


def _fault(operation: str, region: str | None) -> tuple[int, str] | None:
    return STATE.faults.get((operation, region)) or STATE.faults.get((operation, None))


def _account(access_key: str) -> str:
    from moto.iam.models import get_account_id_from

    return get_account_id_from(access_key)


def _routes() -> dict[str, list[tuple[str, str, re.Pattern[str]]]]:
    routes: dict[str, list[tuple[str, str, re.Pattern[str]]]] = {}
    # every operation of the service: the ones served here, and moto's when a test refuses them
    for service, _served in (v for k, v in HANDLED.items() if k != "iam"):
        model = service_model(service)
        for name in model.operation_names:
            http = model.operation_model(name).http
            path = http["requestUri"].split("?", 1)[0]
            pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
            routes.setdefault(service, []).append((name, http["method"], re.compile(f"^{pattern}$")))
    return routes


def _page(items: list[dict[str, Any]], params: dict[str, Any], key: str, token: str = "nextToken") -> dict[str, Any]:
    start = int(params.get(token) or params.get("Marker") or 0)
    # The services may return fewer items than asked for (and say there are more): the fake
    # pages at its own size, so tests prove that nhi follows every page.
    size = min(params.get("maxResults") or params.get("MaxItems") or STATE.page_size, STATE.page_size)
    page = items[start : start + size]
    more = start + size < len(items)
    if token == "Marker":
        return {key: page, "IsTruncated": more, **({"Marker": str(start + size)} if more else {})}
    return {key: page, **({token: str(start + size)} if more else {})}


# --- IAM -------------------------------------------------------------------------------------
def _list_service_credentials(account: str, p: dict[str, Any]) -> dict[str, Any]:
    if p.get("AllUsers") and p.get("UserName"):
        raise _Refused(400, "InvalidInput", "UserName cannot be specified together with AllUsers")
    items = [
        {k: v for k, v in c.items() if v is not None}
        for c in STATE.service_credentials.get(account, [])
        if (p.get("AllUsers") or c["UserName"] == p.get("UserName"))
        and (not p.get("ServiceName") or c["ServiceName"] == p["ServiceName"])
    ]
    return _page(items, p, "ServiceSpecificCredentials", token="Marker")


def _update_service_credential(account: str, p: dict[str, Any]) -> dict[str, Any]:
    for c in STATE.service_credentials.get(account, []):
        if c["ServiceSpecificCredentialId"] == p["ServiceSpecificCredentialId"] and (
            not p.get("UserName") or c["UserName"] == p["UserName"]
        ):
            c["Status"] = p["Status"]
            return {}
    raise _Refused(
        404, "NoSuchEntity", f"The Service Specific Credential {p['ServiceSpecificCredentialId']} cannot be found."
    )


IAM_HANDLERS: dict[str, Callable[[str, dict[str, Any]], dict[str, Any]]] = {
    "ListServiceSpecificCredentials": _list_service_credentials,
    "UpdateServiceSpecificCredential": _update_service_credential,
}


# --- Bedrock Agents and AgentCore Identity ---------------------------------------------------
def _agent_exists(account: str, region: str, agent_id: str) -> None:
    from moto.bedrockagent.models import bedrockagent_backends

    if agent_id not in bedrockagent_backends[account][region].agents:
        raise _Refused(404, "ResourceNotFoundException", f"agent {agent_id} not found")


def _action_group_summary(group: dict[str, Any]) -> dict[str, Any]:
    keys = ("actionGroupId", "actionGroupName", "actionGroupState", "description", "updatedAt")
    return {k: group[k] for k in keys if k in group}


def _list_action_groups(account: str, region: str, p: dict[str, Any]) -> dict[str, Any]:
    _agent_exists(account, region, p["agentId"])
    groups = STATE.action_groups.get((account, region, p["agentId"]), [])
    return _page([_action_group_summary(g) for g in groups], p, "actionGroupSummaries")


def _get_action_group(account: str, region: str, p: dict[str, Any]) -> dict[str, Any]:
    _agent_exists(account, region, p["agentId"])
    for group in STATE.action_groups.get((account, region, p["agentId"]), []):
        if group["actionGroupId"] == p["actionGroupId"]:
            return {"agentActionGroup": group}
    raise _Refused(404, "ResourceNotFoundException", f"action group {p['actionGroupId']} not found")


def _list_aliases(account: str, region: str, p: dict[str, Any]) -> dict[str, Any]:
    _agent_exists(account, region, p["agentId"])
    return _page(STATE.aliases.get((account, region, p["agentId"]), []), p, "agentAliasSummaries")


def _workload_identities(account: str, region: str) -> list[dict[str, Any]]:
    """AgentCore creates a workload identity for every runtime and gateway (moto names its ARN,
    keyed by the runtime's or gateway's id); agents hosted elsewhere register their own."""
    from moto.bedrockagentcorecontrol.models import bedrockagentcorecontrol_backends

    backend = bedrockagentcorecontrol_backends[account][region]
    # moto's AgentRuntime and Gateway models: both carry workload_identity_details
    owners: list[Any] = [*backend.agent_runtimes.values(), *backend.gateways.values()]
    made = [
        (
            owner.workload_identity_details["workloadIdentityArn"],
            getattr(owner, "agent_runtime_name", None) or owner.name,
        )
        for owner in owners
    ]
    return [{"name": name, "workloadIdentityArn": arn} for arn, name in made] + STATE.workload_identities.get(
        (account, region), []
    )


def _get_workload_identity(account: str, region: str, p: dict[str, Any]) -> dict[str, Any]:
    """One workload identity with what only Get returns: the OAuth2 return URLs AgentCore accepts
    for user-consent (3-legged) flows, and its times. AgentCore's own for a runtime or gateway
    was created with it."""
    from moto.bedrockagentcorecontrol.models import bedrockagentcorecontrol_backends

    item = next((i for i in _workload_identities(account, region) if i["name"] == p["name"]), None)
    if item is None:
        raise _Refused(404, "ResourceNotFoundException", f"workload identity {p['name']} not found")
    backend = bedrockagentcorecontrol_backends[account][region]
    owners: list[Any] = [*backend.agent_runtimes.values(), *backend.gateways.values()]  # as above
    owner = next(
        (o for o in owners if o.workload_identity_details["workloadIdentityArn"] == item["workloadIdentityArn"]),
        None,
    )
    created = getattr(owner, "created_at", None) or datetime(2025, 10, 1, tzinfo=UTC)
    details = {"createdTime": created, "lastUpdatedTime": created}
    details.update(STATE.workload_details.get((account, region, p["name"]), {}))
    return {**item, **details}


REST_HANDLERS: dict[str, Callable[[str, str, dict[str, Any]], dict[str, Any]]] = {
    "ListAgentActionGroups": _list_action_groups,
    "GetAgentActionGroup": _get_action_group,
    "ListAgentAliases": _list_aliases,
    "ListWorkloadIdentities": lambda a, r, p: _page(_workload_identities(a, r), p, "workloadIdentities"),
    "GetWorkloadIdentity": _get_workload_identity,
    "ListOauth2CredentialProviders": lambda a, r, p: _page(
        STATE.oauth2_providers.get((a, r), []), p, "credentialProviders"
    ),
    "ListApiKeyCredentialProviders": lambda a, r, p: _page(
        STATE.api_key_providers.get((a, r), []), p, "credentialProviders"
    ),
}
