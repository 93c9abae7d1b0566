"""The GCP get layer: Google API clients for one scope (credentials, endpoints, retries, call
counting) and the get_* functions that call them and return snake_case dicts.

IAM admin (service accounts, keys, service-account policies) is gRPC-only in
google-cloud-iam; Resource Manager uses its REST transport; Policy Analyzer has no client
library installed, so it goes through nhi's shared RestClient. Every call goes through
:meth:`GcpClients.call`, which counts each attempt into the scope's counter, retries
throttling and outages with backoff, and maps refusals to ScopeDenied. The client libraries'
own retry is switched off (``retry=None``) so one policy, with explicit timeouts, applies.

Each get_* returns plain data for the pure transforms (transform.py). Key material that an API
might return (``private_key_data``, ``public_key_data``) is dropped here, the moment it arrives.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from nhi_cli.kit.connector import AuthFailed, CollectContext, ScopeDenied, ScopeFailed
from nhi_cli.kit.http import RestClient

from .settings import GcpSettings

if TYPE_CHECKING:  # the google-cloud SDKs load when a client is first made
    from google.auth.credentials import Credentials
    from google.cloud import iam_admin_v1, resourcemanager_v3

T = TypeVar("T")

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
RETRYABLE = {
    "UNAVAILABLE",
    "RESOURCE_EXHAUSTED",
    "DEADLINE_EXCEEDED",
    "INTERNAL",
    "ABORTED",
    "TOO_MANY_REQUESTS",
    "SERVICE_UNAVAILABLE",
    "BAD_GATEWAY",
    "GATEWAY_TIMEOUT",
}
DENIED = {"PERMISSION_DENIED", "UNAUTHENTICATED", "FORBIDDEN", "UNAUTHORIZED"}


class GcpNotFound(Exception):
    """The resource does not exist (a deleted key when verifying a delete)."""


def default_credentials(settings: GcpSettings) -> tuple[Credentials, str | None]:
    """Application Default Credentials: a key file, gcloud ADC, workload identity, metadata."""
    if settings.insecure:
        from google.auth.credentials import AnonymousCredentials

        # google-auth leaves AnonymousCredentials.__init__ unannotated
        return AnonymousCredentials(), None  # type: ignore[no-untyped-call]
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    try:
        return google.auth.default(scopes=[CLOUD_PLATFORM], quota_project_id=settings.quota_project)
    except DefaultCredentialsError as exc:
        raise AuthFailed("auth", f"no Google credentials: {str(exc).splitlines()[0]}") from None


def error_code(exc: BaseException) -> str:
    """A Google status name ("PERMISSION_DENIED") for an api_core exception."""
    status = getattr(exc, "grpc_status_code", None)
    if status is not None:  # a grpc.StatusCode (grpc is untyped)
        return str(status.name)
    name = type(exc).__name__
    return "".join("_" + c if c.isupper() and i else c for i, c in enumerate(name)).upper()


class GcpClients:
    """Lazily built clients bound to one CollectContext (one scope, or one revoke)."""

    def __init__(self, ctx: CollectContext, sleep: Callable[[float], None] = time.sleep) -> None:
        self.ctx = ctx
        self.settings: GcpSettings = ctx.settings
        self.sleep = sleep
        self._credentials: Credentials | None = None
        # google-cloud clients, made on first use (their modules load only then)
        self._iam: iam_admin_v1.IAMClient | None = None
        self._projects: resourcemanager_v3.ProjectsClient | None = None
        self._folders: resourcemanager_v3.FoldersClient | None = None
        self._organizations: resourcemanager_v3.OrganizationsClient | None = None
        self._analyzer: RestClient | None = None
        self.extra: list[RestClient] = []  # more RestClients (ai.py), closed with the others

    @property
    def credentials(self) -> Credentials:
        if self._credentials is None:
            self._credentials, _ = default_credentials(self.settings)
        return self._credentials

    # --- clients ------------------------------------------------------------------------
    @property
    def iam(self) -> iam_admin_v1.IAMClient:
        if self._iam is None:
            import grpc
            from google.cloud import iam_admin_v1
            from google.cloud.iam_admin_v1.services.iam.transports import IAMGrpcTransport

            if self.settings.insecure:  # the local fake: plaintext, no credentials
                channel = grpc.insecure_channel(self.settings.iam_endpoint)
            else:
                channel = IAMGrpcTransport.create_channel(
                    self.settings.iam_endpoint, credentials=self.credentials, scopes=[CLOUD_PLATFORM]
                )
            self._iam = iam_admin_v1.IAMClient(transport=IAMGrpcTransport(channel=channel))
        return self._iam

    def _rest_options(self) -> dict[str, str]:
        return {"api_endpoint": self.settings.resource_manager_endpoint}

    @property
    def projects(self) -> resourcemanager_v3.ProjectsClient:
        if self._projects is None:
            from google.cloud import resourcemanager_v3

            self._projects = resourcemanager_v3.ProjectsClient(
                transport="rest", credentials=self.credentials, client_options=self._rest_options()
            )
        return self._projects

    @property
    def folders(self) -> resourcemanager_v3.FoldersClient:
        if self._folders is None:
            from google.cloud import resourcemanager_v3

            self._folders = resourcemanager_v3.FoldersClient(
                transport="rest", credentials=self.credentials, client_options=self._rest_options()
            )
        return self._folders

    @property
    def organizations(self) -> resourcemanager_v3.OrganizationsClient:
        if self._organizations is None:
            from google.cloud import resourcemanager_v3

            self._organizations = resourcemanager_v3.OrganizationsClient(
                transport="rest", credentials=self.credentials, client_options=self._rest_options()
            )
        return self._organizations

    @property
    def analyzer(self) -> RestClient:
        """Policy Analyzer over the shared RestClient (same retries, counting, 403 mapping)."""
        if self._analyzer is None:
            self._analyzer = RestClient(
                self.settings.policy_analyzer_endpoint,
                self.ctx,
                label="policyanalyzer",
                headers=self._bearer,
                timeout=self.settings.timeout,
                max_retries=self.settings.max_retries,
                max_wait=self.settings.retry_max_wait,
                sleep=self.sleep,
            )
        return self._analyzer

    def _bearer(self) -> dict[str, str]:
        if self.settings.insecure:
            return {}
        creds = self.credentials
        if not creds.valid:
            from google.auth.transport.requests import Request

            try:
                creds.refresh(Request())  # type: ignore[no-untyped-call]  # unannotated in google-auth
            except Exception as exc:  # RefreshError, transport errors
                raise AuthFailed("auth", f"cannot refresh Google credentials: {exc}") from None
        headers = {"Authorization": f"Bearer {creds.token}"}
        if self.settings.quota_project:
            headers["x-goog-user-project"] = self.settings.quota_project
        return headers

    def close(self) -> None:
        for client in self.extra:
            client.close()
        if self._analyzer is not None:
            self._analyzer.close()
        if self._iam is not None:
            self._iam.transport.close()  # type: ignore[no-untyped-call]  # unannotated in google-cloud-iam

    # --- one call, counted and retried --------------------------------------------------
    def call(self, label: str, fn: Callable[..., T], /, **kwargs: Any) -> T:
        """Call ``fn(**kwargs, retry=None, timeout=...)``; count every attempt as ``label``."""
        import grpc
        import requests
        from google.api_core import exceptions as gexc
        from google.auth import exceptions as auth_exc

        settings = self.settings
        attempt = 0
        while True:
            if self.ctx.cancel.is_set():
                raise KeyboardInterrupt
            self.ctx.count(label)
            try:
                return fn(**kwargs, retry=None, timeout=settings.timeout)
            except gexc.NotFound as exc:
                raise GcpNotFound(f"{label}: {exc.message}") from None
            except gexc.GoogleAPICallError as exc:
                code = error_code(exc)
                if code in DENIED:
                    raise ScopeDenied(code, f"{label}: {exc.message}") from None
                if code not in RETRYABLE or attempt >= settings.max_retries:
                    raise ScopeFailed(code, f"{label} failed after {attempt} retries: {exc.message}") from None
            except auth_exc.GoogleAuthError as exc:
                raise AuthFailed("auth", f"{label}: {exc}") from None
            except (requests.RequestException, grpc.RpcError) as exc:  # endpoint unreachable
                if attempt >= settings.max_retries:
                    raise ScopeFailed("unreachable", f"{label}: {type(exc).__name__}: {exc}") from None
            attempt += 1
            self.sleep(min(settings.retry_max_wait, settings.retry_initial * 2 ** (attempt - 1)))

    def pages(self, label: str, fn: Callable[..., Any], request: Mapping[str, Any], items: str) -> Iterator[Any]:
        """Follow ``next_page_token`` ourselves so every page goes through :meth:`call`. ``fn``
        returns a pager whose response's field ``items`` holds the page's messages."""
        request = dict(request)
        while True:
            page = self.call(label, fn, request=request)
            yield from getattr(page, items)
            token = page.next_page_token
            if not token:
                return
            request["page_token"] = token


# --- get ------------------------------------------------------------------------------------
KEY_MATERIAL = ("private_key_data", "public_key_data", "private_key_type")
ACTIVITY_SA = "serviceAccountLastAuthentication"
ACTIVITY_KEY = "serviceAccountKeyLastAuthentication"


def _plain(message: Any) -> dict[str, Any]:
    """A proto-plus or raw protobuf message as a snake_case dict (enums as names). Any: both
    message bases (proto-plus, protobuf) are untyped."""
    from google.protobuf import json_format

    raw = getattr(type(message), "pb", None)
    pb = raw(message) if raw else message
    plain: dict[str, Any] = json_format.MessageToDict(pb, preserving_proto_field_name=True)
    return plain


def get_service_accounts(c: GcpClients, project: str) -> list[dict[str, Any]]:
    pages = c.pages(
        "iam:ListServiceAccounts",
        c.iam.list_service_accounts,
        {"name": f"projects/{project}", "page_size": 100},
        "accounts",
    )
    return [_plain(sa) for sa in pages]


def get_keys(c: GcpClients, sa_name: str) -> list[dict[str, Any]]:
    """Keys of one SA: the API has no project-wide key listing, so this is one call per SA."""
    from google.cloud.iam_admin_v1 import types

    request: dict[str, Any] = {"name": sa_name}
    if not c.settings.system_managed_keys:
        request["key_types"] = [types.ListServiceAccountKeysRequest.KeyType.USER_MANAGED]
    response = c.call("iam:ListServiceAccountKeys", c.iam.list_service_account_keys, request=request)
    keys: list[dict[str, Any]] = []
    for key in response.keys:
        data = _plain(key)
        for field in KEY_MATERIAL:
            data.pop(field, None)
        keys.append(data)
    return keys


def get_service_account_policy(c: GcpClients, sa_name: str) -> dict[str, Any]:
    """The SA's own IAM policy. IAM has no bulk read of these; one call per SA is the price
    (Cloud Asset Inventory's searchAllIamPolicies could replace it; not used here)."""
    policy = c.call(
        "iam:GetIamPolicy",
        c.iam.get_iam_policy,
        request={"resource": sa_name, "options": {"requested_policy_version": 3}},
    )
    return _plain(policy)


def get_project_policy(c: GcpClients, project: str) -> dict[str, Any]:
    """Requested at version 3: conditional bindings come back only then."""
    policy = c.call(
        "cloudresourcemanager:GetIamPolicy",
        c.projects.get_iam_policy,
        request={"resource": f"projects/{project}", "options": {"requested_policy_version": 3}},
    )
    return _plain(policy)


def get_activities(c: GcpClients, project: str, activity_type: str) -> list[dict[str, Any]]:
    path = f"/v1/projects/{project}/locations/global/activityTypes/{activity_type}/activities:query"
    params: dict[str, Any] = {"pageSize": 1000}
    items: list[dict[str, Any]] = []
    while True:  # nextPageToken paging, counted under one readable name
        body = c.analyzer.request("GET", path, params=params, count_as="policyanalyzer:activities.query").json()
        items.extend(body.get("activities", []))
        if not body.get("nextPageToken"):
            return items
        params["pageToken"] = body["nextPageToken"]


def _search_projects(c: GcpClients, query: str) -> list[dict[str, Any]]:
    pages = c.pages("cloudresourcemanager:SearchProjects", c.projects.search_projects, {"query": query}, "projects")
    return [_plain(x) for x in pages]


def discover_projects(
    c: GcpClients, parent: str | None, folder_parents: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """Every ACTIVE project under ``parent`` (an organization or folder, walked through its
    sub-folders with ListProjects and ListFolders by parent), or every project the caller can
    see when there is no parent. The parent of every folder seen on the way goes into
    ``folder_parents``: the ancestry for inherited policies then costs no further calls.

    Not SearchProjects with ``parent:X state:ACTIVE``: its documented semantics match *any* of
    several fields, which returns active projects outside X. Every result is still checked for
    its parent and state here, and de-duplicated."""
    if parent is None:
        return _unique(p for p in _search_projects(c, "state:ACTIVE") if p.get("state") == "ACTIVE")
    projects: list[dict[str, Any]] = []
    pending, seen = [parent], {parent}
    while pending:
        container = pending.pop()
        found = c.pages(
            "cloudresourcemanager:ListProjects", c.projects.list_projects, {"parent": container}, "projects"
        )
        projects.extend(
            p for p in (_plain(x) for x in found) if p.get("parent") == container and p.get("state") == "ACTIVE"
        )
        folders = c.pages("cloudresourcemanager:ListFolders", c.folders.list_folders, {"parent": container}, "folders")
        for folder in (_plain(x) for x in folders):
            if folder.get("parent") != container or not folder.get("name"):
                continue
            if folder_parents is not None:
                folder_parents[folder["name"]] = folder["parent"]
            if folder.get("state", "ACTIVE") == "ACTIVE" and folder["name"] not in seen:
                seen.add(folder["name"])
                pending.append(folder["name"])
    return _unique(projects)


def _unique(projects: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    out: dict[str | None, dict[str, Any]] = {}  # None: neither id (the API always sends a name)
    for project in projects:
        out.setdefault(project.get("project_id") or project.get("name"), project)
    return list(out.values())


def get_parent(c: GcpClients, resource: str) -> str | None:
    """The parent of ``projects/ID`` or ``folders/N`` ("folders/..." / "organizations/..."), or
    None for a project outside any organization. Only asked for what discovery did not see."""
    if resource.startswith("projects/"):
        found = c.call("cloudresourcemanager:GetProject", c.projects.get_project, request={"name": resource})
    else:
        found = c.call("cloudresourcemanager:GetFolder", c.folders.get_folder, request={"name": resource})
    return found.parent or None


def get_ancestor_policy(c: GcpClients, resource: str) -> dict[str, Any]:
    """The IAM policy of a folder or the organization, at version 3 (conditions included)."""
    client: resourcemanager_v3.OrganizationsClient | resourcemanager_v3.FoldersClient
    if resource.startswith("organizations/"):
        label, client = "cloudresourcemanager:organizations.GetIamPolicy", c.organizations
    else:
        label, client = "cloudresourcemanager:folders.GetIamPolicy", c.folders
    policy = c.call(
        label, client.get_iam_policy, request={"resource": resource, "options": {"requested_policy_version": 3}}
    )
    return _plain(policy)
