"""Local fakes of the Google APIs the GCP connector reads, for tests and `nhi scan --demo`.

- :class:`FakeIamServer`: an in-process gRPC server for ``google.iam.admin.v1.IAM`` built
  from generic handlers, so the real ``IAMClient`` talks real gRPC to it over loopback.
- :func:`add_rest_routes`: Resource Manager v3 (projects, folders, organization policies)
  and Policy Analyzer routes on the shared
  :class:`FakeHttpServer` (the real REST clients send ``$alt=json;enum-encoding=int``; routes
  match the path only, enums go out as ints and etags as base64, as Google's do).

Models they are checked against: the protobuf messages of ``google-cloud-iam`` (>=2.15,
google.iam.admin.v1) and ``google-cloud-resource-manager`` (>=1.12, v3) validate the estate
(tests/fidelity/test_vendor_models.py); requests are checked against those APIs' reference
(cloud.google.com/iam/docs/reference/rest/v1, resource-manager/reference/rest/v3): an
undocumented query parameter, a missing required one, or a ListServiceAccounts ``page_size``
above the documented maximum of 100 is INVALID_ARGUMENT.

The estate is one JSON file of recorded, sanitized REST payloads (see fixtures/gcp/). Times
may be written relative to the scan, ``"now-400d"``, so the demo's ages never drift. Both
fakes record every call; faults (a denied project, UNAVAILABLE twice) can be queued.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable, Mapping
from concurrent import futures
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from nhi_cli.kit.http_fake import FakeHttpServer, FakeRequest, FakeResponse, query_problem, reply, token_page
from nhi_cli.kit.lazy import sdk
from nhi_cli.kit.times import load_relative_estate

from .ai_fake import add_ai_routes

# The demo starts this fake, and connector.py imports this module at its top: the SDKs load
# when a fake starts, not when the connector class is listed.
# For the type checker the same names are the modules themselves: google-cloud-iam's messages are
# typed; grpc, protobuf and grpc-google-iam-v1 are not (Any).
if TYPE_CHECKING:
    import grpc
    from google.cloud.iam_admin_v1 import types as T
    from google.iam.v1 import iam_policy_pb2, policy_pb2
    from google.protobuf import empty_pb2, json_format
    from grpc import ServicerContext
else:
    grpc = sdk("grpc")
    T = sdk("google.cloud.iam_admin_v1.types")
    iam_policy_pb2 = sdk("google.iam.v1.iam_policy_pb2")
    policy_pb2 = sdk("google.iam.v1.policy_pb2")
    empty_pb2 = sdk("google.protobuf.empty_pb2")
    json_format = sdk("google.protobuf.json_format")

STATES = {"STATE_UNSPECIFIED": 0, "ACTIVE": 1, "DELETE_REQUESTED": 2}
EMPTY_POLICY = {"version": 1, "etag": "ACAB", "bindings": []}
PAGING = {"pageSize": None, "pageToken": None}  # Resource Manager documents no maximum page size
IGNORED = ("$alt",)  # the google-cloud REST transport's response-format option, on every URL
# ListServiceAccountsRequest.page_size: "The default is 20, and the maximum is 100."
LIST_ACCOUNTS_DEFAULT, LIST_ACCOUNTS_MAX = 20, 100


class _Named(Protocol):
    """A request naming one resource (the IAM Get/Enable/Disable/Delete requests)."""

    name: str


def _unary(fn: Callable[[Any, ServicerContext], Any], request_type: Any, response_type: Any) -> Any:
    """A grpc method handler for ``fn``; the types are proto-plus or protobuf message classes."""
    deserialize = getattr(request_type, "deserialize", None) or request_type.FromString
    serialize = getattr(response_type, "serialize", None) or response_type.SerializeToString
    return grpc.unary_unary_rpc_method_handler(fn, request_deserializer=deserialize, response_serializer=serialize)


class FakeIamServer:
    """google.iam.admin.v1.IAM over gRPC, state from the estate, every call recorded."""

    def __init__(self, estate: dict[str, Any], page_size: int = 100) -> None:
        self.accounts: dict[str, list[dict[str, Any]]] = copy.deepcopy(estate.get("serviceAccounts", {}))
        self.keys: dict[str, list[dict[str, Any]]] = copy.deepcopy(estate.get("keys", {}))
        self.policies: dict[str, dict[str, Any]] = copy.deepcopy(estate.get("serviceAccountPolicies", {}))
        # shared with the REST fake: deny or allow a project in both at once
        self.denied: dict[str, str] = estate.setdefault("deniedProjects", {})
        self.page_size = page_size
        self.calls: list[tuple[str, str]] = []
        self.faults: list[tuple[str, Any, str | None]] = []  # (method, grpc.StatusCode, project)
        self.lock = threading.Lock()
        self._server: Any = None  # a grpc.Server once started (grpc has no type information)
        self.port = 0

    # --- test hooks ---------------------------------------------------------------------
    def fail(self, method: str, code: Any, times: int = 1, project: str | None = None) -> None:
        """Answer the next ``times`` calls of ``method`` (for ``project``, if given) with ``code``."""
        with self.lock:
            self.faults.extend([(method, code, project)] * times)

    def called(self, method: str | None = None) -> list[str]:
        with self.lock:
            return [name for m, name in self.calls if method is None or m == method]

    # --- lookups ------------------------------------------------------------------------
    def _project_of(self, name: str) -> str:
        parts = name.split("/")
        project = parts[1] if len(parts) > 1 else ""
        if project == "-" and len(parts) > 3:
            for pid, accounts in self.accounts.items():
                if any(a["email"] == parts[3] for a in accounts):
                    return pid
        return project

    def _account(self, name: str, ctx: ServicerContext) -> dict[str, Any]:
        email = name.split("/")[3]
        for account in self.accounts.get(self._project_of(name), []):
            if email in (account["email"], account.get("uniqueId")):
                return account
        ctx.abort(grpc.StatusCode.NOT_FOUND, f"Service account {email} does not exist.")
        raise AssertionError("unreachable: abort raises")

    def _key(self, name: str, ctx: ServicerContext) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        email = name.split("/")[3]
        keys = self.keys.get(email, [])
        for key in keys:
            if key["name"].rsplit("/", 1)[-1] == name.rsplit("/", 1)[-1]:
                return keys, key
        ctx.abort(grpc.StatusCode.NOT_FOUND, f"Service account key {name} does not exist.")
        raise AssertionError("unreachable: abort raises")

    def _guard(self, method: str, name: str, ctx: ServicerContext) -> None:
        with self.lock:
            self.calls.append((method, name))
            for index, (fault_method, code, project) in enumerate(self.faults):
                if fault_method == method and project in (None, self._project_of(name)):
                    del self.faults[index]
                    ctx.abort(code, f"injected {code.name}")
        project = self._project_of(name)
        if project in self.denied:
            ctx.abort(
                grpc.StatusCode.PERMISSION_DENIED,
                f"Permission 'iam.serviceAccounts.list' denied on resource 'projects/{project}' "
                f"({self.denied[project]})",
            )

    # --- handlers -----------------------------------------------------------------------
    def list_service_accounts(
        self, request: T.ListServiceAccountsRequest, ctx: ServicerContext
    ) -> T.ListServiceAccountsResponse:
        self._guard("ListServiceAccounts", request.name, ctx)
        if not 0 <= request.page_size <= LIST_ACCOUNTS_MAX:
            # IAM documents "the default is 20, and the maximum is 100" and not what it does
            # beyond; Google's AIP-158 lets a service coerce instead. The fake refuses, so a
            # connector that relies on either fails its tests.
            ctx.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"page_size {request.page_size} is outside 0..{LIST_ACCOUNTS_MAX} (IAM documents a maximum of 100)",
            )
        accounts = self.accounts.get(self._project_of(request.name), [])
        size = min(request.page_size or LIST_ACCOUNTS_DEFAULT, self.page_size)
        start = int(request.page_token or 0)
        page = accounts[start : start + size]
        token = str(start + size) if start + size < len(accounts) else ""
        return T.ListServiceAccountsResponse(
            accounts=[T.ServiceAccount.from_json(json.dumps(a), ignore_unknown_fields=True) for a in page],
            next_page_token=token,
        )

    def list_keys(
        self, request: T.ListServiceAccountKeysRequest, ctx: ServicerContext
    ) -> T.ListServiceAccountKeysResponse:
        self._guard("ListServiceAccountKeys", request.name, ctx)
        self._account(request.name, ctx)
        wanted = {T.ListServiceAccountKeysRequest.KeyType(k).name for k in request.key_types}
        keys = [
            k
            for k in self.keys.get(request.name.split("/")[3], [])
            if not wanted or k.get("keyType", "USER_MANAGED") in wanted
        ]
        return T.ListServiceAccountKeysResponse(
            keys=[T.ServiceAccountKey.from_json(json.dumps(k), ignore_unknown_fields=True) for k in keys]
        )

    def get_account(self, request: T.GetServiceAccountRequest, ctx: ServicerContext) -> T.ServiceAccount:
        self._guard("GetServiceAccount", request.name, ctx)
        account: T.ServiceAccount = T.ServiceAccount.from_json(
            json.dumps(self._account(request.name, ctx)), ignore_unknown_fields=True
        )
        return account

    def get_key(self, request: T.GetServiceAccountKeyRequest, ctx: ServicerContext) -> T.ServiceAccountKey:
        self._guard("GetServiceAccountKey", request.name, ctx)
        _, key = self._key(request.name, ctx)
        public = {k: v for k, v in key.items() if k != "privateKeyData"}  # Get never returns it
        message: T.ServiceAccountKey = T.ServiceAccountKey.from_json(json.dumps(public), ignore_unknown_fields=True)
        return message

    def _set_account(self, disabled: bool, method: str) -> Callable[[_Named, ServicerContext], empty_pb2.Empty]:
        def handler(request: _Named, ctx: ServicerContext) -> empty_pb2.Empty:
            self._guard(method, request.name, ctx)
            self._account(request.name, ctx)["disabled"] = disabled
            return empty_pb2.Empty()

        return handler

    def _set_key(self, disabled: bool, method: str) -> Callable[[_Named, ServicerContext], empty_pb2.Empty]:
        def handler(request: _Named, ctx: ServicerContext) -> empty_pb2.Empty:
            self._guard(method, request.name, ctx)
            self._key(request.name, ctx)[1]["disabled"] = disabled
            return empty_pb2.Empty()

        return handler

    def delete_key(self, request: T.DeleteServiceAccountKeyRequest, ctx: ServicerContext) -> empty_pb2.Empty:
        self._guard("DeleteServiceAccountKey", request.name, ctx)
        keys, key = self._key(request.name, ctx)
        keys.remove(key)
        return empty_pb2.Empty()

    def get_iam_policy(self, request: iam_policy_pb2.GetIamPolicyRequest, ctx: ServicerContext) -> policy_pb2.Policy:
        self._guard("GetIamPolicy", request.resource, ctx)
        account = self._account(request.resource, ctx)
        policy = self.policies.get(account["email"], EMPTY_POLICY)
        return json_format.ParseDict(policy, policy_pb2.Policy(), ignore_unknown_fields=True)

    # --- serving ------------------------------------------------------------------------
    def start(self) -> FakeIamServer:
        handlers = {
            "ListServiceAccounts": _unary(
                self.list_service_accounts, T.ListServiceAccountsRequest, T.ListServiceAccountsResponse
            ),
            "ListServiceAccountKeys": _unary(
                self.list_keys, T.ListServiceAccountKeysRequest, T.ListServiceAccountKeysResponse
            ),
            "GetServiceAccount": _unary(self.get_account, T.GetServiceAccountRequest, T.ServiceAccount),
            "GetServiceAccountKey": _unary(self.get_key, T.GetServiceAccountKeyRequest, T.ServiceAccountKey),
            "DisableServiceAccount": _unary(
                self._set_account(True, "DisableServiceAccount"), T.DisableServiceAccountRequest, empty_pb2.Empty
            ),
            "EnableServiceAccount": _unary(
                self._set_account(False, "EnableServiceAccount"), T.EnableServiceAccountRequest, empty_pb2.Empty
            ),
            "DisableServiceAccountKey": _unary(
                self._set_key(True, "DisableServiceAccountKey"), T.DisableServiceAccountKeyRequest, empty_pb2.Empty
            ),
            "EnableServiceAccountKey": _unary(
                self._set_key(False, "EnableServiceAccountKey"), T.EnableServiceAccountKeyRequest, empty_pb2.Empty
            ),
            "DeleteServiceAccountKey": _unary(self.delete_key, T.DeleteServiceAccountKeyRequest, empty_pb2.Empty),
            "GetIamPolicy": _unary(self.get_iam_policy, iam_policy_pb2.GetIamPolicyRequest, policy_pb2.Policy),
        }
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        self._server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler("google.iam.admin.v1.IAM", handlers),)
        )
        self.port = self._server.add_insecure_port("127.0.0.1:0")
        self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop(grace=None)
            self._server = None

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"


def _google_error(status: int, code: str, message: str, reason: str | None = None) -> FakeResponse:
    error: dict[str, Any] = {"code": status, "message": message, "status": code}
    if reason:
        error["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason}]
    return reply({"error": error}, status)


def add_rest_routes(http: FakeHttpServer, estate: dict[str, Any], page_size: int = 100) -> None:
    """Resource Manager v3 (search, get projects and folders, list folders, project, folder and
    organization IAM policies) and Policy Analyzer (activities:query) on one FakeHttpServer.
    ``ancestorPolicies`` holds folder and organization policies by resource name;
    ``deniedAncestors`` (name -> reason) refuses them."""
    denied = estate.setdefault("deniedProjects", {})
    denied_ancestors = estate.setdefault("deniedAncestors", {})
    analyzer_off = set(estate.get("policyAnalyzerDisabled", []))

    def with_int_state(item: Mapping[str, Any]) -> dict[str, Any]:
        return {**item, "state": STATES.get(item.get("state", "ACTIVE"), 0)}

    def search_projects(request: FakeRequest) -> FakeResponse:
        """As documented: a query with several fields matches projects matching ANY of them
        (``parent:X state:ACTIVE`` includes every active project, wherever it lives)."""
        if problem := query_problem(request, {"query": None, **PAGING}, ignore=IGNORED):
            return _google_error(400, "INVALID_ARGUMENT", problem)
        terms = [t.split(":", 1) for t in (request.arg("query") or "").split() if ":" in t]
        found = [
            p
            for p in estate.get("projects", [])
            if not terms
            or any(
                (field == "parent" and p.get("parent") == value)
                or (field == "state" and p.get("state", "ACTIVE") == value)
                or (field in ("id", "projectId") and p.get("projectId") == value)
                for field, value in terms
            )
        ]
        return token_page(request, [with_int_state(p) for p in found], "projects", page_size)

    def list_projects(request: FakeRequest) -> FakeResponse:
        """Direct children of ``parent`` (required); DELETE_REQUESTED ones only with showDeleted."""
        if problem := query_problem(
            request, {"parent": None, "showDeleted": {"true", "false"}, **PAGING}, required=("parent",), ignore=IGNORED
        ):
            return _google_error(400, "INVALID_ARGUMENT", problem)
        deleted = request.arg("showDeleted") == "true"
        found = [
            with_int_state(p)
            for p in estate.get("projects", [])
            if p.get("parent") == request.arg("parent") and (deleted or p.get("state", "ACTIVE") != "DELETE_REQUESTED")
        ]
        return token_page(request, found, "projects", page_size)

    def list_folders(request: FakeRequest) -> FakeResponse:
        if problem := query_problem(
            request, {"parent": None, "showDeleted": {"true", "false"}, **PAGING}, required=("parent",), ignore=IGNORED
        ):
            return _google_error(400, "INVALID_ARGUMENT", problem)
        deleted = request.arg("showDeleted") == "true"
        found = [
            with_int_state(f)
            for f in estate.get("folders", [])
            if f.get("parent") == request.arg("parent") and (deleted or f.get("state", "ACTIVE") != "DELETE_REQUESTED")
        ]
        return token_page(request, found, "folders", page_size)

    def project_policy(request: FakeRequest) -> FakeResponse:
        project = request.match.group("project")
        if project in denied:
            return _google_error(
                403,
                "PERMISSION_DENIED",
                f"The caller does not have permission (resourcemanager.projects.getIamPolicy on {project})",
            )
        policies = estate.get("projectPolicies", {})
        if project not in policies:
            return _google_error(404, "NOT_FOUND", f"project {project} not found")
        return reply(policies[project])

    def get_project(request: FakeRequest) -> FakeResponse:
        key = request.match.group("project")
        for project in estate.get("projects", []):
            if key in (project.get("projectId"), project.get("name", "").rsplit("/", 1)[-1]):
                if project.get("projectId") in denied:
                    return _google_error(403, "PERMISSION_DENIED", f"resourcemanager.projects.get denied on {key}")
                return reply(with_int_state(project))
        return _google_error(403, "PERMISSION_DENIED", f"project {key} not found or permission denied")

    def get_folder(request: FakeRequest) -> FakeResponse:
        name = f"folders/{request.match.group('folder')}"
        for folder in estate.get("folders", []):
            if folder["name"] == name:
                return reply(with_int_state(folder))
        return _google_error(403, "PERMISSION_DENIED", f"folder {name} not found or permission denied")

    def ancestor_policy(request: FakeRequest) -> FakeResponse:
        name = f"{request.match.group('kind')}/{request.match.group('id')}"
        if name in denied_ancestors:
            permission = (
                "resourcemanager.folders.getIamPolicy"
                if name.startswith("folders/")
                else "resourcemanager.organizations.getIamPolicy"
            )
            return _google_error(
                403, "PERMISSION_DENIED", f"The caller does not have permission ({permission} on {name})"
            )
        return reply(estate.get("ancestorPolicies", {}).get(name, EMPTY_POLICY))

    def activities(request: FakeRequest) -> FakeResponse:
        project, kind = request.match.group("project"), request.match.group("type")
        if project in analyzer_off or project in denied:
            return _google_error(
                403,
                "PERMISSION_DENIED",
                f"Policy Analyzer API has not been used in project {project} before or it is disabled.",
                "SERVICE_DISABLED",
            )
        items = estate.get("activities", {}).get(project, {}).get(kind, [])
        return token_page(request, items, "activities", page_size)

    http.route("GET", r"/v3/projects:search", search_projects)
    http.route("GET", r"/v3/projects", list_projects)
    http.route("GET", r"/v3/folders", list_folders)
    http.route("GET", r"/v3/projects/(?P<project>[^/:]+)", get_project)
    http.route("GET", r"/v3/folders/(?P<folder>[^/:]+)", get_folder)
    http.route("POST", r"/v3/(?P<kind>folders|organizations)/(?P<id>[^/:]+):getIamPolicy", ancestor_policy)
    http.route("POST", r"/v3/projects/(?P<project>[^/:]+):getIamPolicy", project_policy)
    http.route(
        "GET",
        r"/v1/projects/(?P<project>[^/]+)/locations/global/activityTypes/(?P<type>[^/]+)/activities:query",
        activities,
    )


class GcpFake:
    """Both fakes for one estate; a context manager whose ``settings()`` point the connector at them."""

    def __init__(self, estate: dict[str, Any], page_size: int = 100) -> None:
        self.estate = estate
        self.iam = FakeIamServer(estate, page_size=page_size)
        self.http = FakeHttpServer()
        add_rest_routes(self.http, estate, page_size=page_size)
        add_ai_routes(self.http, estate, page_size=page_size)
        self._stack = ExitStack()

    @classmethod
    def from_file(cls, path: Path, now: datetime, page_size: int = 100) -> GcpFake:
        return cls(load_relative_estate(path, now), page_size=page_size)

    def __enter__(self) -> GcpFake:
        self._stack.enter_context(self.http)
        self.iam.start()
        self._stack.callback(self.iam.stop)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """Loopback endpoints, plaintext gRPC, short timeouts: nothing here can hang for 60 s."""
        return {
            "iam_endpoint": self.iam.endpoint,
            "resource_manager_endpoint": self.http.url,
            "policy_analyzer_endpoint": self.http.url,
            "apikeys_endpoint": self.http.url,
            "aiplatform_endpoint": self.http.url,
            "insecure": True,
            "timeout": 5.0,
            "max_retries": 3,
            "retry_initial": 0.01,
            "retry_max_wait": 0.05,
            **overrides,
        }
