"""get_* for Microsoft Graph: bulk lists only, never one call per object.

Owners and app role assignments come inline through ``$expand`` on the service principal and
application lists; delegated grants, directory roles (with members), users and sign-in
activity are one paged list each. Graph limits an expanded relationship to 20 objects and a
page with ``$expand`` to 100 items; a truncated owner list is marked in the identity's attrs.
"""
from __future__ import annotations

from typing import Any

from nhi_cli.kit.connector import AuthFailed, CollectContext, ScopeDenied, ScopeError
from nhi_cli.kit.http import HttpError, NotFound, RestClient

OWNER_SELECT = "owners($select=id,displayName,userPrincipalName,mail,accountEnabled)"
SP_SELECT = ",".join((
    "id", "appId", "displayName", "servicePrincipalType", "accountEnabled", "appOwnerOrganizationId",
    "createdDateTime", "passwordCredentials", "keyCredentials", "tags", "appRoles", "alternativeNames",
    "signInAudience", "notes",
))
APP_SELECT = ",".join((
    "id", "appId", "displayName", "createdDateTime", "signInAudience", "passwordCredentials",
    "keyCredentials", "tags", "notes",
))
EXPAND_PAGE = 100  # Graph's maximum page size when $expand is used


def get_organization(graph: RestClient) -> dict[str, Any]:
    orgs = graph.get_json("/v1.0/organization", params={"$select": "id,displayName"}).get("value", [])
    if not orgs:
        raise ScopeDenied("NoOrganization", "GET /v1.0/organization returned no tenant")
    return orgs[0]


def get_service_principals(graph: RestClient) -> list[dict]:
    return list(graph.paged_odata("/v1.0/servicePrincipals", params={
        "$select": SP_SELECT, "$expand": OWNER_SELECT, "$top": EXPAND_PAGE}))


def get_app_role_assignments(graph: RestClient) -> dict[str, list[dict]]:
    """Application permissions granted to each service principal, by SP object id."""
    out: dict[str, list[dict]] = {}
    for sp in graph.paged_odata("/v1.0/servicePrincipals", params={
            "$select": "id", "$expand": "appRoleAssignments", "$top": EXPAND_PAGE}):
        out[sp["id"]] = sp.get("appRoleAssignments") or []
    return out


def get_applications(graph: RestClient) -> list[dict]:
    return list(graph.paged_odata("/v1.0/applications", params={
        "$select": APP_SELECT, "$expand": OWNER_SELECT, "$top": EXPAND_PAGE}))


def get_delegated_grants(graph: RestClient, page_size: int) -> list[dict]:
    return list(graph.paged_odata("/v1.0/oauth2PermissionGrants", params={"$top": page_size}))


def get_directory_roles(graph: RestClient) -> list[dict]:
    return list(graph.paged_odata("/v1.0/directoryRoles", params={
        "$select": "id,displayName,roleTemplateId", "$expand": "members($select=id)"}))


def get_users(graph: RestClient, page_size: int) -> list[dict]:
    return list(graph.paged_odata("/v1.0/users", params={
        "$select": "id,displayName,userPrincipalName,mail,accountEnabled", "$top": page_size}))


def optional(ctx: CollectContext, what: str, fetch, *, absent_is_gap: bool = True) -> list[dict] | None:
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


def get_sign_in_activity(graph: RestClient, page_size: int) -> list[dict]:
    # beta, needs AuditLog.Read.All and (likely) an Entra ID P1/P2 licence
    return list(graph.paged_odata("/beta/reports/servicePrincipalSignInActivities", params={"$top": page_size}))


def get_credential_sign_in_activity(graph: RestClient, page_size: int) -> list[dict]:
    # beta: last sign-in per client secret / certificate (keyId), same licence as above
    return list(graph.paged_odata("/beta/reports/appCredentialSignInActivities", params={"$top": page_size}))


def get_agent_identities(graph: RestClient) -> list[dict]:
    # Entra Agent ID (beta): agent identities are service principals of this derived type
    return list(graph.paged_odata("/beta/servicePrincipals/microsoft.graph.agentIdentity", params={"$top": 100}))
