"""transform_* for Graph payloads: pure functions from Graph JSON to normalised records.

Identity model (see README "Azure and Entra ID"):
- every service principal is an identity, id = its object id; kind ``service_principal``,
  ``managed_identity`` or ``agent_identity`` (Entra Agent ID);
- an application's client secrets and certificates are credentials of the application's
  service principal in this tenant (the thing that signs in, gets permissions and can be
  disabled); ``attrs.object`` says they live on the application object, and
  ``attrs.application_object_id`` is what revoke calls. An application with no service
  principal in the tenant is an identity of kind ``application`` holding its own credentials.
Secret values are never read: only keyId, hint, dates and the certificate thumbprint.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from nhi_cli.model import Batch, Credential, Grant, Identity, Person

from .permissions import (DELEGATED_TAKEOVER, GRAPH_APP_ROLES, MICROSOFT_GRAPH_APP_ID, MICROSOFT_TENANTS,
                          PRIVILEGED_DIRECTORY_ROLES, SENSITIVE, TENANT_TAKEOVER)

PROVIDER = "azure"
MULTI_TENANT_AUDIENCES = {"AzureADMultipleOrgs", "AzureADandPersonalMicrosoftAccount", "PersonalMicrosoftAccount"}
EXPAND_LIMIT = 20  # Graph returns at most 20 objects for an expanded relationship
_FRACTION = re.compile(r"\.(\d+)")


class TransformError(ValueError):
    """A payload lacks a field nhi cannot do without: fail loudly, never guess."""


def parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    text = str(value).replace("Z", "+00:00")
    text = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), text, count=1)
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _require(obj: dict, *fields: str) -> None:
    missing = [f for f in fields if obj.get(f) in (None, "")]
    if missing:
        raise TransformError(f"Graph object {obj.get('id', '?')} lacks {', '.join(missing)}")


def _odata_type(obj: dict) -> str:
    return str(obj.get("@odata.type") or "").lower()


def _owners(obj: dict) -> list[dict]:
    out = []
    for owner in obj.get("owners") or []:
        kind = _odata_type(owner).rsplit(".", 1)[-1] or "unknown"
        out.append({"id": owner.get("id"), "type": kind,
                    "upn": (owner.get("userPrincipalName") or owner.get("mail") or "").lower() or None,
                    "name": owner.get("displayName")})
    return out


def transform_credentials(obj: dict, identity_id: str, scope: str, now: datetime, *, on: str) -> list[Credential]:
    """passwordCredentials and keyCredentials of an application or service principal.

    Only named fields are read; ``secretText`` (present right after creation, or planted in
    a payload) is never touched."""
    creds: list[Credential] = []
    for kind, entries in (("client_secret", obj.get("passwordCredentials") or []),
                          ("certificate", obj.get("keyCredentials") or [])):
        for entry in entries:
            _require(entry, "keyId")
            start, end = parse_time(entry.get("startDateTime")), parse_time(entry.get("endDateTime"))
            attrs: dict[str, Any] = {"object": on, "object_id": obj["id"], "app_id": obj.get("appId")}
            if on == "application":
                attrs["application_object_id"] = obj["id"]
            cred_kind = kind
            if kind == "certificate":
                attrs["usage"] = entry.get("usage")
                attrs["key_type"] = entry.get("type")
                attrs["thumbprint"] = entry.get("customKeyIdentifier")
                if entry.get("type") and entry.get("type") != "AsymmetricX509Cert":
                    cred_kind = "symmetric_key"
            creds.append(Credential(
                id=entry["keyId"], identity_id=identity_id, provider=PROVIDER, scope=scope, kind=cred_kind,
                status="expired" if end and end <= now else "active",
                name=entry.get("displayName"), created_at=start, expires_at=end, supports_expiry=True,
                key_id=entry["keyId"], hint=entry.get("hint") if kind == "client_secret" else None, attrs=attrs,
            ))
    return creds


def _app_role_names(sps: list[dict]) -> dict[tuple[str, str], str]:
    """(resource SP id, app role id) -> permission name, from every SP's appRoles."""
    names: dict[tuple[str, str], str] = {}
    for sp in sps:
        for role in sp.get("appRoles") or []:
            if role.get("id") and role.get("value"):
                names[(sp["id"], role["id"])] = role["value"]
    return names


def _permission_flags(name: str, takeover: set[str]) -> dict[str, bool]:
    return {"is_admin": name in takeover, "is_privesc": name in takeover,
            "is_sensitive": name in takeover or name in SENSITIVE,
            "is_full_wildcard": False, "is_service_wildcard": False}


def transform_tenant(*, tenant_id: str, scope: str, now: datetime, sps: list[dict], apps: list[dict],
                     role_assignments: dict[str, list[dict]], delegated: list[dict], directory_roles: list[dict],
                     users: list[dict], sign_ins: list[dict] | None, agent_identities: list[dict] | None,
                     credential_sign_ins: list[dict] | None = None) -> Batch:
    """Everything the tenant scope yields. ``sign_ins`` / ``credential_sign_ins`` are None when
    the beta reports were unreadable: credentials are then marked ``last_used_unknown``."""
    batch = Batch()
    sps_by_id = {sp["id"]: sp for sp in sps if sp.get("id")}
    apps_by_appid = {app.get("appId"): app for app in apps}
    agents = {a["id"]: a for a in agent_identities or [] if a.get("id")}
    last_sign_in: dict[str, datetime] = {}
    for item in sign_ins or []:
        when = parse_time((item.get("lastSignInActivity") or {}).get("lastSignInDateTime"))
        if item.get("appId") and when:
            last_sign_in[item["appId"]] = max(when, last_sign_in.get(item["appId"], when))
    cred_last_used: dict[str, datetime] = {}
    for item in credential_sign_ins or []:
        when = parse_time((item.get("signInActivity") or {}).get("lastSignInDateTime"))
        if item.get("keyId") and when:
            cred_last_used[item["keyId"]] = max(when, cred_last_used.get(item["keyId"], when))
    delegated_by_client: dict[str, list[dict]] = {}
    for grant in delegated:
        delegated_by_client.setdefault(grant.get("clientId"), []).append(grant)

    seen_creds: set[str] = set()
    for sp in sps:
        _require(sp, "id", "displayName")
        sp_type = sp.get("servicePrincipalType") or "Application"
        is_agent = sp["id"] in agents or "agentidentity" in _odata_type(sp) or sp_type == "ServiceIdentity"
        kind = "managed_identity" if sp_type == "ManagedIdentity" else "agent_identity" if is_agent \
            else "service_principal"
        home = apps_by_appid.get(sp.get("appId"))
        owners = _owners(home or {}) + _owners(sp)
        user_owner = next((o for o in owners if o["type"] == "user" and o["upn"]), None)
        audience = (home or {}).get("signInAudience") or sp.get("signInAudience")
        owner_tenant = sp.get("appOwnerOrganizationId")
        grants_for_sp = delegated_by_client.get(sp["id"], [])
        attrs: dict[str, Any] = {
            "object_type": "servicePrincipal", "app_id": sp.get("appId"), "service_principal_type": sp_type,
            "app_owner_tenant_id": owner_tenant, "sign_in_audience": audience,
            "multi_tenant": audience in MULTI_TENANT_AUDIENCES,
            "external_app": bool(owner_tenant) and owner_tenant != tenant_id and owner_tenant not in MICROSOFT_TENANTS,
            "application_object_id": home["id"] if home else None,
            "owners": owners,
            "owners_truncated": any(len(o.get("owners") or []) >= EXPAND_LIMIT for o in (home or {}, sp)),
            "acts_for_users": bool(grants_for_sp),
            "delegated_consent": sorted({g.get("consentType") or "" for g in grants_for_sp} - {""}),
        }
        if kind == "managed_identity":
            attrs["managed_identity_resource_ids"] = [n for n in sp.get("alternativeNames") or [] if n.startswith("/")]
            attrs["user_assigned"] = any("/userassignedidentities/" in n.lower()
                                         for n in attrs["managed_identity_resource_ids"])
        if is_agent:
            agent = agents.get(sp["id"], {})
            attrs["agent_evidence"] = "Entra Agent ID agentIdentity object"
            attrs["agent_identity_blueprint_id"] = agent.get("agentIdentityBlueprintId") or sp.get("agentIdentityBlueprintId")
        if home is not None and "agentidentityblueprint" in _odata_type(home):
            attrs["agent_evidence"] = "Entra Agent ID agentIdentityBlueprint application"
        batch.identities.append(Identity(
            id=sp["id"], provider=PROVIDER, scope=scope, kind=kind, name=sp["displayName"],
            created_at=parse_time(sp.get("createdDateTime")) or parse_time((home or {}).get("createdDateTime")),
            last_used_at=last_sign_in.get(sp.get("appId")), enabled=bool(sp.get("accountEnabled", True)),
            owner=user_owner["upn"] if user_owner else None,
            owner_source=("app_owner" if home and user_owner in _owners(home) else "sp_owner") if user_owner else None,
            description=sp.get("notes") or (home or {}).get("notes"),
            is_platform=owner_tenant in MICROSOFT_TENANTS,
            tags={**{t: True for t in sp.get("tags") or []}, **({"nhi:agent": True} if is_agent else {})},
            attrs=attrs,
        ))
        for cred in (transform_credentials(home, sp["id"], scope, now, on="application") if home else []) + \
                transform_credentials(sp, sp["id"], scope, now, on="servicePrincipal"):
            if cred.id not in seen_creds:
                seen_creds.add(cred.id)
                batch.credentials.append(cred)

    sp_app_ids = {sp.get("appId") for sp in sps}
    for app in apps:
        _require(app, "id", "displayName")
        if app.get("appId") in sp_app_ids:
            continue
        audience = app.get("signInAudience")
        owners = _owners(app)
        user_owner = next((o for o in owners if o["type"] == "user" and o["upn"]), None)
        batch.identities.append(Identity(
            id=app["id"], provider=PROVIDER, scope=scope, kind="application", name=app["displayName"],
            created_at=parse_time(app.get("createdDateTime")), owner=user_owner["upn"] if user_owner else None,
            owner_source="app_owner" if user_owner else None, description=app.get("notes"),
            tags={t: True for t in app.get("tags") or []},
            attrs={"object_type": "application", "app_id": app.get("appId"), "application_object_id": app["id"],
                   "sign_in_audience": audience, "multi_tenant": audience in MULTI_TENANT_AUDIENCES,
                   "owners": owners, "owners_truncated": len(app.get("owners") or []) >= EXPAND_LIMIT},
        ))
        for cred in transform_credentials(app, app["id"], scope, now, on="application"):
            if cred.id not in seen_creds:
                seen_creds.add(cred.id)
                batch.credentials.append(cred)

    for cred in batch.credentials:
        if credential_sign_ins is None:
            cred.attrs["last_used_unknown"] = True  # the report was not readable: unused rules skip it
        else:
            cred.last_used_at = cred_last_used.get(cred.key_id)
    batch.grants.extend(transform_app_role_assignments(role_assignments, sps, scope))
    batch.grants.extend(transform_delegated_grants(delegated, sps_by_id, scope))
    batch.grants.extend(transform_directory_roles(directory_roles, sps_by_id, scope))
    batch.people.extend(transform_users(users))
    return batch


def transform_app_role_assignments(assignments: dict[str, list[dict]], sps: list[dict], scope: str) -> list[Grant]:
    names = _app_role_names(sps)
    sps_by_id = {sp["id"]: sp for sp in sps}
    grants = []
    for sp_id, items in assignments.items():
        for a in items:
            _require(a, "id", "resourceId")
            role_id = a.get("appRoleId") or ""
            resource = sps_by_id.get(a["resourceId"], {})
            name = names.get((a["resourceId"], role_id))
            if name is None and (resource.get("appId") == MICROSOFT_GRAPH_APP_ID
                                 or a.get("resourceDisplayName") == "Microsoft Graph"):
                name = GRAPH_APP_ROLES.get(role_id)
            if name is None:
                name = "default access" if role_id.strip("0-") == "" else role_id
            resource_name = a.get("resourceDisplayName") or resource.get("displayName") or a["resourceId"]
            grants.append(Grant(
                identity_id=sp_id, provider=PROVIDER, scope=scope, action=name, resource=resource_name,
                # readable, since findings quote it; the assignment id stays unique within it
                source=f"{resource_name} application permission {name} (appRoleAssignment {a['id']})",
                source_type="app_role",
                service=a.get("resourceDisplayName") or resource.get("displayName"),
                **_permission_flags(name, TENANT_TAKEOVER),
            ))
    return grants


def transform_delegated_grants(delegated: list[dict], sps_by_id: dict[str, dict], scope: str) -> list[Grant]:
    """Delegated permissions: the client acts on behalf of one user (Principal) or of every
    user in the tenant (AllPrincipals). One grant row per scope word."""
    grants = []
    for g in delegated:
        _require(g, "id", "clientId")
        resource = sps_by_id.get(g.get("resourceId"), {})
        for word in (g.get("scope") or "").split():
            grants.append(Grant(
                identity_id=g["clientId"], provider=PROVIDER, scope=scope, action=word,
                resource=resource.get("displayName") or g.get("resourceId") or "*",
                source=f"{resource.get('displayName') or g.get('resourceId')} delegated permission {word} "
                       f"(consent {g.get('consentType')}, oauth2PermissionGrant {g['id']})", source_type="delegated",
                service=resource.get("displayName"),
                condition={"consent_type": g.get("consentType"), "principal_id": g.get("principalId")},
                **_permission_flags(word, DELEGATED_TAKEOVER),
            ))
    return grants


def transform_directory_roles(roles: list[dict], sps_by_id: dict[str, dict], scope: str) -> list[Grant]:
    grants = []
    for role in roles:
        name = role.get("displayName") or role.get("roleTemplateId") or role.get("id")
        privileged = name in PRIVILEGED_DIRECTORY_ROLES
        for member in role.get("members") or []:
            if member.get("id") not in sps_by_id and "serviceprincipal" not in _odata_type(member):
                continue  # users and groups are not non-human identities
            grants.append(Grant(
                identity_id=member["id"], provider=PROVIDER, scope=scope, action=name, resource="directory",
                source=f"directory role {name}", source_type="directory_role",
                service="Entra ID", is_admin=privileged, is_privesc=privileged, is_sensitive=True,
            ))
    return grants


def transform_users(users: list[dict]) -> list[Person]:
    people = []
    for u in users:
        upn = (u.get("userPrincipalName") or u.get("mail") or "").lower()
        if not upn:
            continue
        people.append(Person(id=upn, source="entra", name=u.get("displayName"),
                             email=(u.get("mail") or upn).lower(), active=bool(u.get("accountEnabled", True))))
    return people
