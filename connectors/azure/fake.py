"""A local Microsoft Graph + ARM fake on FakeHttpServer, for the demo and the tests.

It serves an estate file (recorded, sanitized Graph and ARM payloads, see fixtures/azure/ and
fixtures/demo/azure/) the way the real services answer: ``$top`` paging with an absolute
``@odata.nextLink`` / ``nextLink`` built from the request's own Host header, ``$expand`` of
owners, appRoleAssignments and directory role members capped at 20 objects with no nextLink
(the complete lists come from their own collections, paged), certificate ``key`` only on a
single-object ``$select``, Entra Agent ID objects and what agents inherit from their
blueprint, and the mutating calls revoke makes.

It also refuses what the real services refuse (400): an undocumented query parameter, a
``$top`` above the documented maximum (999; 100 with ``$expand`` and for agent identities),
a ``$select`` of a property the v1.0 type does not have (``createdDateTime`` on a
servicePrincipal), ``$top`` on the unpaged inherited-permission collections, and an ARM
request without a known ``api-version``. Cognitive Services accounts are in ai_fake.py; Foundry
projects, connections and the agents' data plane in foundry_fake.py (sources and versions
there). Dates written ``@now-30d`` / ``@now+10d`` are relative to the clock the fake is started
with, so the planted problems never age out.

Checked against (tests/fidelity/test_vendor_models.py): Graph v1.0 answers against a schema
derived from msgraph-metadata's v1.0 CSDL (commit in tests/fidelity/graph_v1_schema.json),
beta answers against one derived from msgraph-beta-sdk 1.66.0's generated models
(graph_beta_schema.json), ARM answers against azure-mgmt-authorization 4.0 (2022-04-01) and
azure-mgmt-resource-subscriptions 1.0 (2022-12-01), both generated from azure-rest-api-specs.
"""

from __future__ import annotations

import copy
import re
from contextlib import ExitStack
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from nhi_cli.kit.http_fake import FakeHttpServer, FakeRequest, FakeResponse, Handler, IntRange, query_problem, reply
from nhi_cli.kit.times import load_relative_estate

from .ai_fake import add_ai_account_routes
from .fake_common import error
from .foundry_fake import AI_TOKEN, add_foundry_routes

TOKEN = "fake-azure-token"  # what the demo settings send as `static_token`
_GUID = r"[0-9A-Za-z-]+"
_ASSIGNMENT = r"(?P<scope>/.*)/providers/Microsoft\.Authorization/roleAssignments/(?P<name>[0-9A-Za-z-]+)"
EXPAND_LIMIT = 20  # Graph's cap on an expanded relationship of a directory object
ODATA = {
    "$select": None,
    "$expand": None,
    "$top": IntRange(1, 999),
    "$filter": None,
    "$count": {"true", "false"},
    "$orderby": None,
    "$search": None,
    "$skiptoken": None,
}
ARM_VERSIONS = {  # api-versions ARM knows for the calls nhi makes (learn.microsoft.com/rest/api/authorization)
    "subscriptions": {"2016-06-01", "2019-06-01", "2020-01-01", "2021-01-01", "2022-12-01"},
    "authorization": {"2015-07-01", "2018-01-01-preview", "2020-04-01-preview", "2022-04-01"},
}
# Properties of the v1.0 types (microsoftgraph/msgraph-metadata, v1.0 CSDL): a $select of any
# other name is a 400 at Graph, e.g. createdDateTime on a servicePrincipal.
V1_PROPERTIES = {
    "servicePrincipals": {
        "id",
        "deletedDateTime",
        "accountEnabled",
        "addIns",
        "alternativeNames",
        "appDescription",
        "appDisplayName",
        "appId",
        "applicationTemplateId",
        "appOwnerOrganizationId",
        "appRoleAssignmentRequired",
        "appRoles",
        "customSecurityAttributes",
        "description",
        "disabledByMicrosoftStatus",
        "displayName",
        "homepage",
        "info",
        "keyCredentials",
        "loginUrl",
        "logoutUrl",
        "notes",
        "notificationEmailAddresses",
        "oauth2PermissionScopes",
        "passwordCredentials",
        "preferredSingleSignOnMode",
        "preferredTokenSigningKeyThumbprint",
        "replyUrls",
        "resourceSpecificApplicationPermissions",
        "samlSingleSignOnSettings",
        "servicePrincipalNames",
        "servicePrincipalType",
        "signInAudience",
        "tags",
        "tokenEncryptionKeyId",
        "verifiedPublisher",
    },
    "applications": {
        "id",
        "deletedDateTime",
        "addIns",
        "api",
        "appId",
        "applicationTemplateId",
        "appRoles",
        "authenticationBehaviors",
        "certification",
        "createdDateTime",
        "defaultRedirectUri",
        "description",
        "disabledByMicrosoftStatus",
        "displayName",
        "groupMembershipClaims",
        "identifierUris",
        "info",
        "isDeviceOnlyAuthSupported",
        "isFallbackPublicClient",
        "keyCredentials",
        "logo",
        "nativeAuthenticationApisEnabled",
        "notes",
        "oauth2RequirePostResponseTypes",
        "optionalClaims",
        "parentalControlSettings",
        "passwordCredentials",
        "publicClient",
        "publisherDomain",
        "requestSignatureVerification",
        "requiredResourceAccess",
        "samlMetadataUrl",
        "serviceManagementReference",
        "servicePrincipalLockConfiguration",
        "signInAudience",
        "spa",
        "tags",
        "tokenEncryptionKeyId",
        "uniqueName",
        "verifiedPublisher",
        "web",
    },
}


class _TypedObjects:
    """Directory objects by id with their ``@odata.type``, built per request (the estate's
    lists may be changed by tests between requests), copied only when looked up."""

    def __init__(self, estate: dict[str, Any]):
        self._index: dict[str, tuple[str, dict[str, Any]]] = {}
        for kind, key in (
            ("user", "users"),
            ("servicePrincipal", "servicePrincipals"),
            ("application", "applications"),
        ):
            for obj in estate.get(key, []):
                self._index[obj["id"]] = (kind, obj)

    def __contains__(self, object_id: str) -> bool:
        return object_id in self._index

    def __getitem__(self, object_id: str) -> dict[str, Any]:
        kind, obj = self._index[object_id]
        return {"@odata.type": f"#microsoft.graph.{kind}", **{k: v for k, v in obj.items() if k != "owners"}}

    def get(self, object_id: str, default: Any = None) -> Any:
        return self[object_id] if object_id in self._index else default


class AzureFake:
    """Graph and ARM routes over one FakeHttpServer. ``page_size`` caps every page."""

    def __init__(self, estate: dict[str, Any], *, page_size: int = 1000, token: str = TOKEN):
        self.estate = copy.deepcopy(estate)
        self.page_size = page_size
        self.token = token
        self.denied_subscriptions: set[str] = set()
        self.ai_token = AI_TOKEN  # Foundry data plane (audience https://ai.azure.com)
        self.denied_projects: set[str] = set()  # Foundry "account/project" answering 403
        self.server = FakeHttpServer()
        self._routes()

    # --- lifecycle ----------------------------------------------------------------------
    def start(self) -> AzureFake:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> AzureFake:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return self.server.url

    def settings(self, **extra: Any) -> dict[str, Any]:
        return {"endpoint": self.url, "static_token": self.token, "static_ai_token": self.ai_token, **extra}

    # --- lookups ------------------------------------------------------------------------
    def _objects(self) -> _TypedObjects:
        return _TypedObjects(self.estate)

    def sp(self, object_id: str) -> dict[str, Any] | None:
        return next((s for s in self.estate.get("servicePrincipals", []) if s["id"] == object_id), None)

    def app(self, object_id: str) -> dict[str, Any] | None:
        return next((a for a in self.estate.get("applications", []) if a["id"] == object_id), None)

    def assignments(self, subscription: str) -> list[dict[str, Any]]:
        listed: list[dict[str, Any]] = self.estate.setdefault("roleAssignments", {}).setdefault(subscription, [])
        return listed

    # --- helpers ------------------------------------------------------------------------
    def _authorized(self, request: FakeRequest) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.token}"

    def _refused(self, request: FakeRequest, max_top: int = 999, collection: str | None = None) -> FakeResponse | None:
        """Graph's 400 for what it does not accept, or None."""
        allowed = dict(ODATA, **{"$top": IntRange(1, 100 if request.arg("$expand") else max_top)})
        if problem := query_problem(request, allowed):
            return error(400, "Request_BadRequest", problem)
        properties = V1_PROPERTIES.get(collection or "")
        for name in filter(None, (request.arg("$select") or "").split(",")) if properties else ():
            if properties is not None and collection is not None and name.strip() not in properties:
                return error(
                    400,
                    "Request_BadRequest",
                    f"Could not find a property named '{name.strip()}' on type 'microsoft.graph.{collection[:-1]}'.",
                )
        return None

    def _arm_refused(self, request: FakeRequest, api: str) -> FakeResponse | None:
        version = request.arg("api-version")
        if version is None:
            return error(
                400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required."
            )
        if version not in ARM_VERSIONS[api]:
            return error(400, "InvalidApiVersionParameter", f"The api-version '{version}' is invalid.")
        if problem := query_problem(request, {"api-version": None, "$filter": None, "$skiptoken": None}):
            return error(400, "BadRequest", problem)
        return None

    def _page(
        self, request: FakeRequest, items: list[dict[str, Any]], link_key: str, expand: bool = False
    ) -> FakeResponse:
        top = int(request.arg("$top") or self.page_size)
        size = max(1, min(top, self.page_size))
        start = int(request.arg("$skiptoken") or 0)
        page = items[start : start + size]
        if expand:  # only the objects on this page, with lookups built once per page
            wanted = request.arg("$expand") or ""
            objects = self._objects() if wanted.startswith("owners") else None
            assignments: dict[str, list[dict[str, Any]]] = {}
            if wanted.startswith("appRoleAssignments"):
                page_ids = {o["id"] for o in page}
                for a in self.estate.get("appRoleAssignments", []):
                    if a["principalId"] in page_ids:
                        assignments.setdefault(a["principalId"], []).append(a)
            page = [self._expand(request, o, objects=objects, assignments=assignments) for o in page]
        body: dict[str, Any] = {"value": page}
        if start + size < len(items):
            query = {k: v[0] for k, v in request.query.items() if k != "$skiptoken"}
            query["$skiptoken"] = str(start + size)
            body[link_key] = f"http://{request.headers.get('host')}{request.path}?{urlencode(query)}"
        return reply(body)

    def _expand(
        self,
        request: FakeRequest,
        obj: dict[str, Any],
        single: bool = False,
        objects: _TypedObjects | None = None,
        assignments: dict[str, list[dict[str, Any]]] | None = None,
    ) -> dict[str, Any]:
        out = copy.deepcopy(obj)
        expand = request.arg("$expand") or ""
        if expand.startswith("owners"):
            objects = objects if objects is not None else self._objects()
            out["owners"] = [objects[o] for o in obj.get("owners", []) if o in objects][:EXPAND_LIMIT]
        else:
            out.pop("owners", None)
        if expand.startswith("appRoleAssignments"):
            out["appRoleAssignments"] = (
                (assignments or {}).get(obj["id"], [])
                if assignments is not None
                else [a for a in self.estate.get("appRoleAssignments", []) if a["principalId"] == obj["id"]]
            )[:EXPAND_LIMIT]
        select = request.arg("$select") or ""
        if not (single and "keyCredentials" in select):  # Graph returns `key` only then
            for key in out.get("keyCredentials", []):
                key["key"] = None
        return out

    # --- routes -------------------------------------------------------------------------
    def _routes(self) -> None:
        s = self.server
        graph_lists = {
            "/v1.0/servicePrincipals": "servicePrincipals",
            "/v1.0/applications": "applications",
            "/v1.0/users": "users",
            "/v1.0/oauth2PermissionGrants": "oauth2PermissionGrants",
            "/beta/reports/servicePrincipalSignInActivities": "signInActivities",
            "/beta/reports/appCredentialSignInActivities": "credentialSignInActivities",
        }
        for path, key in graph_lists.items():
            s.route("GET", re.escape(path), self._guard(partial(self._graph_list, key)))
        s.route(
            "GET", rf"/v1\.0/(?P<kind>servicePrincipals|applications)/(?P<id>{_GUID})/owners", self._guard(self._owners)
        )
        s.route("GET", rf"/v1\.0/servicePrincipals/(?P<id>{_GUID})/appRoleAssignments", self._guard(self._assigned))
        s.route("GET", rf"/v1\.0/directoryRoles/(?P<id>{_GUID})/members", self._guard(self._members))
        s.route(
            "GET",
            rf"/beta/servicePrincipals/(?P<id>{_GUID})/microsoft\.graph\.agentIdentity/"
            r"(?P<what>inheritedAppRoleAssignments|inheritedOauth2PermissionGrants)",
            self._guard(self._inherited),
        )
        s.route("GET", r"/v1\.0/organization", self._guard(lambda r: reply({"value": [self.estate["tenant"]]})))
        s.route("GET", r"/v1\.0/directoryRoles", self._guard(self._directory_roles))
        s.route("GET", r"/beta/servicePrincipals/microsoft\.graph\.agentIdentity", self._guard(self._agents))
        s.route("GET", rf"/v1\.0/servicePrincipals/(?P<id>{_GUID})", self._guard(self._get_sp))
        s.route("PATCH", rf"/v1\.0/servicePrincipals/(?P<id>{_GUID})", self._guard(self._patch_sp))
        s.route("GET", rf"/v1\.0/applications/(?P<id>{_GUID})", self._guard(self._get_app))
        s.route("PATCH", rf"/v1\.0/applications/(?P<id>{_GUID})", self._guard(self._patch_app))
        s.route(
            "POST",
            rf"/v1\.0/(?P<kind>applications|servicePrincipals)/(?P<id>{_GUID})/removePassword",
            self._guard(self._remove_password),
        )
        s.route(
            "GET",
            r"/subscriptions",
            self._guard(
                lambda r: (
                    self._arm_refused(r, "subscriptions")
                    or self._page(r, self.estate.get("subscriptions", []), "nextLink")
                )
            ),
        )
        s.route(
            "GET",
            rf"/subscriptions/(?P<sub>{_GUID})/providers/Microsoft\.Authorization/roleDefinitions",
            self._guard(self._role_definitions),
        )
        s.route(
            "GET",
            rf"/subscriptions/(?P<sub>{_GUID})/providers/Microsoft\.Authorization/roleAssignments",
            self._guard(self._role_assignments),
        )
        s.route("GET", _ASSIGNMENT, self._guard(self._get_assignment))
        s.route("DELETE", _ASSIGNMENT, self._guard(self._delete_assignment))
        s.route("PUT", _ASSIGNMENT, self._guard(self._put_assignment))
        add_ai_account_routes(self)
        add_foundry_routes(self)

    def _guard(self, handler: Handler) -> Handler:
        def guarded(request: FakeRequest) -> FakeResponse:
            if not self._authorized(request):
                return error(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
            sub = request.match.groupdict().get("sub") if request.match else None
            if sub and sub in self.denied_subscriptions:
                return error(403, "AuthorizationFailed", f"no authorization to read subscription {sub}")
            return handler(request)

        return guarded

    def _graph_list(self, key: str, request: FakeRequest) -> FakeResponse:
        """One of the plain Graph collections in ``estate[key]``, with $expand served inline."""
        return self._refused(request, collection=key) or self._page(
            request, self.estate.get(key, []), "@odata.nextLink", expand=True
        )

    def _member_refs(self, ids: list[str], objects: _TypedObjects) -> list[dict[str, Any]]:
        return [{"@odata.type": objects.get(m, {}).get("@odata.type"), "id": m} for m in ids]

    def _directory_roles(self, request: FakeRequest) -> FakeResponse:
        if refused := self._refused(request):
            return refused
        objects = self._objects()
        roles = [
            {**role, "members": self._member_refs(role.get("members", []), objects)[:EXPAND_LIMIT]}
            for role in self.estate.get("directoryRoles", [])
        ]
        return self._page(request, roles, "@odata.nextLink")

    def _members(self, request: FakeRequest) -> FakeResponse:
        role = next((r for r in self.estate.get("directoryRoles", []) if r["id"] == request.match["id"]), None)
        if role is None:
            return error(404, "Request_ResourceNotFound", "Resource does not exist.")
        return self._refused(request) or self._page(
            request, self._member_refs(role.get("members", []), self._objects()), "@odata.nextLink"
        )

    def _owners(self, request: FakeRequest) -> FakeResponse:
        obj = (self.sp if request.match["kind"] == "servicePrincipals" else self.app)(request.match["id"])
        if obj is None:
            return error(404, "Request_ResourceNotFound", "Resource does not exist.")
        objects = self._objects()
        return self._refused(request) or self._page(
            request, [objects[o] for o in obj.get("owners", []) if o in objects], "@odata.nextLink"
        )

    def _assigned(self, request: FakeRequest) -> FakeResponse:
        if self.sp(request.match["id"]) is None:
            return error(404, "Request_ResourceNotFound", "Resource does not exist.")
        items = [a for a in self.estate.get("appRoleAssignments", []) if a["principalId"] == request.match["id"]]
        return self._refused(request) or self._page(request, items, "@odata.nextLink")

    def _inherited(self, request: FakeRequest) -> FakeResponse:
        """No paging: the whole collection in one answer; $top and friends are refused."""
        if request.query:
            return error(400, "Request_BadRequest", "Query options are not supported on this collection.")
        if request.match["id"] not in self.estate.get("agentIdentities", {}):
            return error(404, "Request_ResourceNotFound", "The service principal is not an agent identity.")
        what = {
            "inheritedAppRoleAssignments": "appRoleAssignments",
            "inheritedOauth2PermissionGrants": "oauth2PermissionGrants",
        }[request.match["what"]]
        inherited = self.estate.get("inheritedPermissions", {}).get(request.match["id"], {})
        return reply({"value": inherited.get(what, [])})

    def _agents(self, request: FakeRequest) -> FakeResponse:
        if "agentIdentities" not in self.estate:  # a tenant or cloud without Entra Agent ID
            return error(400, "BadRequest", "Resource not found for the segment 'microsoft.graph.agentIdentity'.")
        if refused := self._refused(request, max_top=100):
            return refused
        agents = [
            self._expand(request, sp)
            for sp in self.estate["servicePrincipals"]
            if sp["id"] in self.estate["agentIdentities"]
        ]
        for agent in agents:
            agent.update(self.estate["agentIdentities"][agent["id"]])
        return self._page(request, agents, "@odata.nextLink")

    def _get_sp(self, request: FakeRequest) -> FakeResponse:
        sp = self.sp(request.match["id"])
        if sp is None:
            return error(404, "Request_ResourceNotFound", "Resource does not exist.")
        return reply(self._expand(request, sp, single=True))

    def _patch_sp(self, request: FakeRequest) -> FakeResponse:
        sp = self.sp(request.match["id"])
        if sp is None:
            return error(404, "Request_ResourceNotFound", "Resource does not exist.")
        if sp.get("servicePrincipalType") == "ManagedIdentity":
            return error(400, "Request_BadRequest", "Managed identity service principals cannot be modified.")
        body = request.json() or {}
        if "accountEnabled" in body:
            sp["accountEnabled"] = bool(body["accountEnabled"])
        return reply(None, 204)

    def _get_app(self, request: FakeRequest) -> FakeResponse:
        app = self.app(request.match["id"])
        if app is None:
            return error(404, "Request_ResourceNotFound", "Resource does not exist.")
        return reply(self._expand(request, app, single=True))

    def _patch_app(self, request: FakeRequest) -> FakeResponse:
        app = self.app(request.match["id"])
        if app is None:
            return error(404, "Request_ResourceNotFound", "Resource does not exist.")
        body = request.json() or {}
        if "passwordCredentials" in body:
            return error(400, "Request_BadRequest", "passwordCredentials cannot be updated; use addPassword.")
        if "keyCredentials" in body:
            existing = {k["keyId"]: k for k in app.get("keyCredentials", [])}
            updated = []
            for entry in body["keyCredentials"]:
                old = existing.get(entry.get("keyId"))
                if not entry.get("key") and old is None:
                    return error(400, "Request_BadRequest", "A new key credential needs its key.")
                updated.append({**(old or {}), **{k: v for k, v in entry.items() if v is not None}})
            app["keyCredentials"] = updated
        return reply(None, 204)

    def _remove_password(self, request: FakeRequest) -> FakeResponse:
        obj = (self.app if request.match["kind"] == "applications" else self.sp)(request.match["id"])
        if obj is None:
            return error(404, "Request_ResourceNotFound", "Resource does not exist.")
        key_id = (request.json() or {}).get("keyId")
        before = obj.get("passwordCredentials", [])
        after = [p for p in before if p["keyId"] != key_id]
        if len(after) == len(before):
            return error(404, "Request_ResourceNotFound", f"No password credential found with keyId {key_id}.")
        obj["passwordCredentials"] = after
        return reply(None, 204)

    def _role_definitions(self, request: FakeRequest) -> FakeResponse:
        if refused := self._arm_refused(request, "authorization"):
            return refused
        sub = request.match["sub"]
        defs = [
            {**d, "id": f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{d['name']}"}
            for d in self.estate.get("roleDefinitions", [])
        ]
        return self._page(request, defs, "nextLink")

    def _with_id(self, sub: str, a: dict[str, Any]) -> dict[str, Any]:
        scope = a["properties"]["scope"]
        return {
            **a,
            "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{a['name']}",
            "type": "Microsoft.Authorization/roleAssignments",
        }

    def _role_assignments(self, request: FakeRequest) -> FakeResponse:
        if refused := self._arm_refused(request, "authorization"):
            return refused
        sub = request.match["sub"]
        items = [self._with_id(sub, a) for a in self.assignments(sub)]
        flt = request.arg("$filter") or ""
        if m := re.match(r"principalId eq '([^']+)'", flt):
            items = [a for a in items if a["properties"]["principalId"] == m.group(1)]
        return self._page(request, items, "nextLink")

    def _find_assignment(self, request: FakeRequest) -> tuple[str, dict[str, Any]] | None:
        name = request.match["name"]
        for sub, items in self.estate.get("roleAssignments", {}).items():
            for a in items:
                if a["name"] == name:
                    return sub, a
        return None

    def _get_assignment(self, request: FakeRequest) -> FakeResponse:
        found = self._find_assignment(request)
        if found is None:
            return error(404, "RoleAssignmentNotFound", "The role assignment does not exist.")
        sub, a = found
        return reply(self._with_id(sub, a))

    def _delete_assignment(self, request: FakeRequest) -> FakeResponse:
        found = self._find_assignment(request)
        if found is None:
            return reply(None, 204)  # ARM answers 204 when there was nothing to delete
        sub, a = found
        self.assignments(sub).remove(a)
        return reply(self._with_id(sub, a))

    def _put_assignment(self, request: FakeRequest) -> FakeResponse:
        scope, name = request.match["scope"], request.match["name"]
        props = dict((request.json() or {}).get("properties") or {})
        if not props.get("roleDefinitionId") or not props.get("principalId"):
            return error(400, "InvalidRoleAssignmentRequest", "roleDefinitionId and principalId are required.")
        sub = scope.split("/")[2] if scope.startswith("/subscriptions/") else next(iter(self.estate["roleAssignments"]))
        props["scope"] = scope
        assignment = {"name": name, "properties": props}
        self.assignments(sub).append(assignment)
        return reply(self._with_id(sub, assignment), 201)


def start_demo(stack: ExitStack, estate: Path, now: datetime) -> dict[str, Any]:
    """Start the demo tenant's fake (closed by ``stack``) and return the connector settings."""
    fake = AzureFake(load_relative_estate(estate / "azure" / "estate.json", now), page_size=50)
    stack.enter_context(fake)
    return fake.settings()
