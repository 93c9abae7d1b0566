"""The fake's side (fake layer): the API Keys API v2 and Vertex AI Agent Engine's
reasoningEngines list and getIamPolicy, as routes on the GCP fake's FakeHttpServer (fake.py
adds them).

Estate fields: ``apiKeys`` (project -> V2Key objects, without ``keyString``),
``reasoningEngines`` (project -> region -> ReasoningEngine objects),
``reasoningEnginePolicies`` (engine name -> Policy; an engine without one answers an empty
policy, as the API does), ``aiDenied`` (projects whose AI APIs answer 403) and
``apiKeysClockSkewDays`` (the fake's clock for deletions, relative to now). The payloads are
those of Google's discovery documents (apikeys v2, aiplatform v1); tests/gcp/test_ai_fidelity.py
validates everything served here against them.
Deleting a key sets its ``deleteTime``; undelete works for 30 days after it, as documented,
and fails with FAILED_PRECONDITION after.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from nhi_cli.kit.http_fake import (
    FakeHttpServer,
    FakeRequest,
    FakeResponse,
    IntRange,
    QueryRule,
    query_problem,
    reply,
    token_page,
)

UNDELETE_WINDOW = timedelta(days=30)
KEYS = r"/v2/projects/(?P<project>[^/]+)/locations/global/keys"
IGNORED = ("$alt",)


def _error(status: int, code: str, message: str) -> FakeResponse:
    return reply({"error": {"code": status, "message": message, "status": code}}, status)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def add_ai_routes(http: FakeHttpServer, estate: dict[str, Any], page_size: int = 100) -> None:
    keys_by_project: dict[str, list[dict[str, Any]]] = estate.setdefault("apiKeys", {})

    def clock() -> datetime:
        # ``apiKeysClockSkewDays`` lets a test delete a key "31 days ago" (the undelete window)
        return datetime.now(UTC) + timedelta(days=estate.get("apiKeysClockSkewDays", 0))

    def denied() -> set[str]:  # read per request: a test may refuse a project between scans
        return set(estate.get("aiDenied", []))

    def refused(project: str) -> FakeResponse:
        return _error(403, "PERMISSION_DENIED", f"Permission denied on resource project {project}.")

    def find(project: str, uid: str) -> dict[str, Any] | None:
        return next((k for k in keys_by_project.get(project, []) if k["uid"] == uid), None)

    def operation(key: dict[str, Any]) -> FakeResponse:
        response = {"@type": "type.googleapis.com/google.api.apikeys.v2.Key", **copy.deepcopy(key)}
        return reply({"name": f"operations/akmf.{key['uid']}", "done": True, "response": response})

    def list_keys(request: FakeRequest) -> FakeResponse:
        project = request.match.group("project")
        allowed: dict[str, QueryRule] = {
            "pageSize": IntRange(1, 300),
            "pageToken": None,
            "showDeleted": {"true", "false"},
        }
        if problem := query_problem(request, allowed, ignore=IGNORED):
            return _error(400, "INVALID_ARGUMENT", problem)
        if project in denied():
            return refused(project)
        shown = request.arg("showDeleted") == "true"
        items = [k for k in keys_by_project.get(project, []) if shown or not k.get("deleteTime")]
        return token_page(request, items, "keys", page_size)

    def get_key(request: FakeRequest) -> FakeResponse:
        key = find(request.match.group("project"), request.match.group("uid"))
        return reply(key) if key else _error(404, "NOT_FOUND", "Key not found.")

    def delete_key(request: FakeRequest) -> FakeResponse:
        if problem := query_problem(request, {"etag": None, "checkExistingUsage": None}, ignore=IGNORED):
            return _error(400, "INVALID_ARGUMENT", problem)
        key = find(request.match.group("project"), request.match.group("uid"))
        if key is None or key.get("deleteTime"):
            return _error(404, "NOT_FOUND", "Key not found.")
        key["deleteTime"] = _stamp(clock())
        return operation(key)

    def undelete_key(request: FakeRequest) -> FakeResponse:
        key = find(request.match.group("project"), request.match.group("uid"))
        if key is None:
            return _error(404, "NOT_FOUND", "Key not found.")
        if not key.get("deleteTime"):
            return _error(400, "FAILED_PRECONDITION", "The key is not deleted.")
        deleted = datetime.fromisoformat(key["deleteTime"].replace("Z", "+00:00"))
        if clock() - deleted > UNDELETE_WINDOW:
            return _error(400, "FAILED_PRECONDITION", "The key was deleted more than 30 days ago.")
        key.pop("deleteTime")
        return operation(key)

    def list_engines(request: FakeRequest) -> FakeResponse:
        project, region = request.match.group("project"), request.match.group("region")
        allowed: dict[str, QueryRule] = {"pageSize": IntRange(1, 100), "pageToken": None, "filter": None}
        if problem := query_problem(request, allowed, ignore=IGNORED):
            return _error(400, "INVALID_ARGUMENT", problem)
        if project in denied():
            return refused(project)
        items = estate.get("reasoningEngines", {}).get(project, {}).get(region, [])
        return token_page(request, items, "reasoningEngines", page_size)

    def engine_policy(request: FakeRequest) -> FakeResponse:
        project = request.match.group("project")
        allowed = {"options.requestedPolicyVersion": {"0", "1", "3"}}
        if problem := query_problem(request, allowed, ignore=IGNORED):
            return _error(400, "INVALID_ARGUMENT", problem)
        if project in denied():
            return refused(project)
        region = request.match.group("region")
        name = f"projects/{project}/locations/{region}/reasoningEngines/{request.match.group('id')}"
        if not any(e["name"] == name for e in estate.get("reasoningEngines", {}).get(project, {}).get(region, [])):
            return _error(404, "NOT_FOUND", f"The ReasoningEngine does not exist: {name}")
        policy = copy.deepcopy(estate.get("reasoningEnginePolicies", {}).get(name) or {})
        return reply({"version": 1, "etag": "BwYnbm9uZQ==", **policy} if policy else {"etag": "ACAB"})

    http.route("GET", KEYS, list_keys)
    http.route("GET", KEYS + r"/(?P<uid>[^/:]+)", get_key)
    http.route("DELETE", KEYS + r"/(?P<uid>[^/:]+)", delete_key)
    http.route("POST", KEYS + r"/(?P<uid>[^/:]+):undelete", undelete_key)
    engines = r"/v1/projects/(?P<project>[^/]+)/locations/(?P<region>[^/]+)/reasoningEngines"
    http.route("GET", engines, list_engines)
    http.route("POST", engines + r"/(?P<id>[^/:]+):getIamPolicy", engine_policy)
