"""get_* for Microsoft Graph: bulk lists only, never one call per object.

Owners and app role assignments come inline through ``$expand`` on the service principal and
application lists; delegated grants, directory roles (with members), users and sign-in
activity are one paged list each. Graph limits a page with ``$expand`` to 100 items and an
expanded relationship of a directory object to 20 items, with no nextLink to say more exist:
an expanded list of 20 is therefore fetched again, complete and paged, from its own collection
(``/servicePrincipals/{id}/appRoleAssignments``, ``.../owners``, ``/directoryRoles/{id}/members``).
When that refetch is refused, the object keeps the 20 it has, is marked ``<relation>@nhi.truncated``
and the scope records a gap: grants are never dropped silently.

``createdDateTime`` is not a v1.0 servicePrincipal property (Graph answers 400 to a ``$select``
of it): a service principal's creation is its application's, or unknown.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from nhi_cli.kit.connector import AuthFailed, CollectContext, ScopeDenied, ScopeError, ScopeFailed
from nhi_cli.kit.http import HttpError, NotFound, RestClient

OWNER_SELECT = "owners($select=id,displayName,userPrincipalName,mail,accountEnabled)"
SP_SELECT = ",".join(
    (
        "id",
        "appId",
        "displayName",
        "servicePrincipalType",
        "accountEnabled",
        "appOwnerOrganizationId",
        "passwordCredentials",
        "keyCredentials",
        "tags",
        "appRoles",
        "alternativeNames",
        "signInAudience",
        "notes",
    )
)
APP_SELECT = ",".join(
    (
        "id",
        "appId",
        "displayName",
        "createdDateTime",
        "signInAudience",
        "passwordCredentials",
        "keyCredentials",
        "tags",
        "notes",
    )
)
OWNER_FIELDS = "id,displayName,userPrincipalName,mail,accountEnabled"
EXPAND_PAGE = 100  # Graph's maximum page size when $expand is used
EXPAND_LIMIT = 20  # Graph returns at most 20 objects of an expanded relationship, without a nextLink
PAGE = 999  # Graph's maximum $top for directory object collections
# agent identity id -> {"appRoleAssignments": [...] | None, "oauth2PermissionGrants": [...] | None}
# (None: that list could not be read, a gap says why)
Inherited = dict[str, dict[str, list[dict[str, Any]] | None]]


def get_organization(graph: RestClient) -> dict[str, Any]:
    orgs = graph.get_json("/v1.0/organization", params={"$select": "id,displayName"}).get("value", [])
    if not orgs:
        raise ScopeDenied("NoOrganization", "GET /v1.0/organization returned no tenant")
    org = orgs[0] if isinstance(orgs, list) else None
    if not isinstance(org, dict) or not isinstance(org.get("id"), str):
        raise ScopeFailed("MalformedResponse", "GET /v1.0/organization returned no tenant object with an id")
    return org


def complete_expanded(
    graph: RestClient,
    ctx: CollectContext,
    objects: list[dict[str, Any]],
    relation: str,
    collection: str,
    params: dict[str, Any] | None = None,
) -> None:
    """Replace every expanded ``relation`` that hit Graph's 20-item cap by the complete list
    from ``collection`` (formatted with the object's id), paged. A refused refetch keeps the
    20, marks ``<relation>@nhi.truncated`` and records a gap."""
    for obj in objects:
        if not isinstance(obj, dict):
            continue  # the transform reports it as a gap
        items = obj.get(relation)
        if not isinstance(items, list) or len(items) < EXPAND_LIMIT or not isinstance(obj.get("id"), str):
            continue
        path = collection.format(id=obj["id"])
        try:
            obj[relation] = list(graph.paged_odata(path, params=dict(params or {}), count_as=f"graph:GET {collection}"))
        except AuthFailed:
            raise
        except (ScopeError, NotFound) as exc:
            obj[f"{relation}@nhi.truncated"] = True
            ctx.gap(
                f"{relation} of {obj['id']} (more than {EXPAND_LIMIT}; only {EXPAND_LIMIT} read)",
                getattr(exc, "code", "NotFound"),
                getattr(exc, "message", str(exc)),
            )


def get_service_principals(graph: RestClient, ctx: CollectContext) -> list[dict[str, Any]]:
    sps = list(
        graph.paged_odata(
            "/v1.0/servicePrincipals", params={"$select": SP_SELECT, "$expand": OWNER_SELECT, "$top": EXPAND_PAGE}
        )
    )
    complete_expanded(
        graph, ctx, sps, "owners", "/v1.0/servicePrincipals/{id}/owners", {"$select": OWNER_FIELDS, "$top": PAGE}
    )
    return sps


def get_app_role_assignments(graph: RestClient, ctx: CollectContext) -> dict[str, list[dict[str, Any]]]:
    """Application permissions granted to each service principal, by SP object id."""
    sps = list(
        graph.paged_odata(
            "/v1.0/servicePrincipals", params={"$select": "id", "$expand": "appRoleAssignments", "$top": EXPAND_PAGE}
        )
    )
    complete_expanded(
        graph, ctx, sps, "appRoleAssignments", "/v1.0/servicePrincipals/{id}/appRoleAssignments", {"$top": PAGE}
    )
    return {sp["id"]: sp.get("appRoleAssignments") or [] for sp in sps if isinstance(sp, dict) and sp.get("id")}


def get_applications(graph: RestClient, ctx: CollectContext) -> list[dict[str, Any]]:
    apps = list(
        graph.paged_odata(
            "/v1.0/applications", params={"$select": APP_SELECT, "$expand": OWNER_SELECT, "$top": EXPAND_PAGE}
        )
    )
    complete_expanded(
        graph, ctx, apps, "owners", "/v1.0/applications/{id}/owners", {"$select": OWNER_FIELDS, "$top": PAGE}
    )
    return apps


def get_delegated_grants(graph: RestClient, page_size: int) -> list[dict[str, Any]]:
    return list(graph.paged_odata("/v1.0/oauth2PermissionGrants", params={"$top": page_size}))


def get_directory_roles(graph: RestClient, ctx: CollectContext) -> list[dict[str, Any]]:
    roles = list(
        graph.paged_odata(
            "/v1.0/directoryRoles",
            params={"$select": "id,displayName,roleTemplateId", "$expand": "members($select=id)"},
        )
    )
    complete_expanded(
        graph, ctx, roles, "members", "/v1.0/directoryRoles/{id}/members", {"$select": "id", "$top": PAGE}
    )
    return roles


def get_users(graph: RestClient, page_size: int) -> list[dict[str, Any]]:
    return list(
        graph.paged_odata(
            "/v1.0/users", params={"$select": "id,displayName,userPrincipalName,mail,accountEnabled", "$top": page_size}
        )
    )


def optional(
    ctx: CollectContext, what: str, fetch: Callable[[], list[dict[str, Any]]], *, absent_is_gap: bool = True
) -> list[dict[str, Any]] | None:
    """Run ``fetch`` for an optional source: a denial is a gap (scope ``partial``), not a
    failed scope. With ``absent_is_gap=False`` a 404 or 400 means the feature does not exist
    in this tenant or cloud, which is not a gap."""
    try:
        return fetch()
    except AuthFailed:
        raise
    except NotFound as exc:
        if absent_is_gap:
            ctx.gap(what, "NotFound", str(exc))
    except ScopeError as exc:  # refused or failed: either way a gap of an optional source
        if absent_is_gap or not (isinstance(exc, HttpError) and exc.status_code == 400):
            ctx.gap(what, exc.code, exc.message)
    return None


def get_sign_in_activity(graph: RestClient, page_size: int) -> list[dict[str, Any]]:
    # beta, needs AuditLog.Read.All and (likely) an Entra ID P1/P2 licence
    return list(graph.paged_odata("/beta/reports/servicePrincipalSignInActivities", params={"$top": page_size}))


def get_credential_sign_in_activity(graph: RestClient, page_size: int) -> list[dict[str, Any]]:
    # beta: last sign-in per client secret / certificate (keyId), same licence as above
    return list(graph.paged_odata("/beta/reports/appCredentialSignInActivities", params={"$top": page_size}))


def get_agent_identities(graph: RestClient) -> list[dict[str, Any]]:
    # Entra Agent ID (beta): agent identities are service principals of this derived type
    return list(graph.paged_odata("/beta/servicePrincipals/microsoft.graph.agentIdentity", params={"$top": 100}))


def get_inherited_permissions(graph: RestClient, ctx: CollectContext, agents: list[dict[str, Any]]) -> Inherited:
    """What each agent identity inherits from its blueprint principal (beta; one call per agent
    and kind, no paging: Graph returns the whole collection and refuses $top)."""
    out: Inherited = {}
    for agent in agents:
        if not isinstance(agent, dict) or not isinstance(agent.get("id"), str):
            continue
        base = f"/beta/servicePrincipals/{agent['id']}/microsoft.graph.agentIdentity"
        out[agent["id"]] = {
            "appRoleAssignments": optional(
                ctx,
                f"inherited app role assignments of agent {agent['id']}",
                partial(_whole, graph, base + "/inheritedAppRoleAssignments"),
            ),
            "oauth2PermissionGrants": optional(
                ctx,
                f"inherited delegated grants of agent {agent['id']}",
                partial(_whole, graph, base + "/inheritedOauth2PermissionGrants"),
            ),
        }
    return out


def _whole(graph: RestClient, path: str) -> list[dict[str, Any]]:
    name = "graph:GET " + path.replace(path.split("/")[3], "{id}")
    value = graph.request("GET", path, count_as=name).json().get("value", [])
    if not isinstance(value, list):  # a gap of the optional source, not "inherits nothing"
        raise ScopeFailed("MalformedResponse", f"{name} answered a {type(value).__name__}, not a list")
    return value
