"""transform_* for Graph payloads: pure functions from Graph JSON to normalised records.

Identity model (see README "Azure and Entra ID"):
- every service principal is an identity, id = its object id; kind ``service_principal``,
  ``managed_identity`` or ``agent_identity`` (Entra Agent ID);
- an application's client secrets and certificates are credentials of the application's
  service principal in this tenant (the thing that signs in, gets permissions and can be
  disabled); ``attrs.object`` says they live on the application object, and
  ``attrs.application_object_id`` is what revoke calls. An application with no service
  principal in the tenant is an identity of kind ``application`` holding its own credentials.
- an Entra Agent ID ``agentIdentity`` is kind ``agent_identity``, with the permissions it
  inherits from its blueprint principal as grants of its own (``condition.inherited_from``);
  an ``agentIdentityBlueprintPrincipal`` is the blueprint's principal in this tenant (kind
  ``agent_blueprint_principal``), not an agent.
Secret values are never read: only keyId, hint, dates and the certificate thumbprint. Graph's
``customKeyIdentifier`` is binary (base64 in JSON); it is kept as ``custom_key_identifier`` and,
when it is the 20-byte SHA-1 of the certificate, also as the portal's hex ``thumbprint``.

One malformed object (a missing id, a timestamp that does not parse) becomes a gap of the
tenant scope naming it; the other objects are still read.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from nhi_cli.kit.payloads import by_id, each, iso_time
from nhi_cli.model import Batch, Credential, Grant, GrantFlags, Identity, Person

from .permissions import (
    DELEGATED_TAKEOVER,
    GRAPH_APP_ROLES,
    MICROSOFT_GRAPH_APP_ID,
    MICROSOFT_TENANTS,
    PRIVILEGED_DIRECTORY_ROLES,
    SENSITIVE,
    TENANT_TAKEOVER,
)

PROVIDER = "azure"
MULTI_TENANT_AUDIENCES = {"AzureADMultipleOrgs", "AzureADandPersonalMicrosoftAccount", "PersonalMicrosoftAccount"}
CERTIFICATE_TYPES = {"AsymmetricX509Cert", "X509CertAndPassword"}  # keyCredential.type values that are certificates
AGENT_IDENTITY = "#microsoft.graph.agentidentity"
BLUEPRINT_PRINCIPAL = "#microsoft.graph.agentidentityblueprintprincipal"
_FRACTION = re.compile(r"\.(\d+)")
MISSING = object()


class TransformError(ValueError):
    """A payload lacks a field nhi cannot do without: fail loudly, never guess."""


def parse_time(value: Any) -> datetime | None:
    """Graph's ISO times, which may carry 7 fractional digits (Python reads at most 6)."""
    if not value:
        return None
    if not isinstance(value, str):
        raise TransformError(f"timestamp {value!r} is not a string")
    return iso_time(_FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), value, count=1))


def thumbprint(custom_key_identifier: Any) -> str | None:
    """The portal's hex SHA-1 thumbprint, when ``customKeyIdentifier`` (base64 bytes) is one."""
    if not isinstance(custom_key_identifier, str):
        return None
    try:
        raw = base64.b64decode(custom_key_identifier, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw.hex().upper() if len(raw) == 20 else None


def _require(obj: dict[str, Any], *fields: str) -> None:
    if not isinstance(obj, dict):
        raise TransformError(f"a Graph object is a {type(obj).__name__}, not an object")
    missing = [f for f in fields if obj.get(f) in (None, "")]
    if missing:
        raise TransformError(f"Graph object {obj.get('id', '?')} lacks {', '.join(missing)}")
    wrong = [f for f in fields if not isinstance(obj[f], str)]
    if wrong:  # ids and names are strings in Graph's schema
        raise TransformError(f"Graph object {obj.get('id', '?')}: {', '.join(wrong)} not a string")


def _odata_type(obj: dict[str, Any]) -> str:
    return str(obj.get("@odata.type") or "").lower()


def _owners(obj: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for owner in obj.get("owners") or []:
        kind = _odata_type(owner).rsplit(".", 1)[-1] or "unknown"
        out.append(
            {
                "id": owner.get("id"),
                "type": kind,
                "upn": (owner.get("userPrincipalName") or owner.get("mail") or "").lower() or None,
                "name": owner.get("displayName"),
            }
        )
    return out


def transform_credentials(
    obj: dict[str, Any], identity_id: str, scope: str, now: datetime, *, on: str
) -> list[Credential]:
    """passwordCredentials and keyCredentials of an application or service principal.

    Only named fields are read; ``secretText`` (present right after creation, or planted in
    a payload) is never touched."""
    creds: list[Credential] = []
    for kind, entries in (
        ("client_secret", obj.get("passwordCredentials", MISSING)),
        ("certificate", obj.get("keyCredentials", MISSING)),
    ):
        # Both are $select-ed, and Graph sends [] when there are none: absent or not a list
        # means the answer is not what was asked for, and credentials would go unseen.
        if not isinstance(entries, list):
            raise TransformError(
                f"{on} {obj.get('id')}: {'passwordCredentials' if kind == 'client_secret' else 'keyCredentials'}"
                f" is {'absent' if entries is MISSING else type(entries).__name__}, not a list"
            )
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
                attrs["custom_key_identifier"] = entry.get("customKeyIdentifier")
                attrs["thumbprint"] = thumbprint(entry.get("customKeyIdentifier"))
                if entry.get("type") and entry.get("type") not in CERTIFICATE_TYPES:
                    cred_kind = "symmetric_key"
            creds.append(
                Credential(
                    id=entry["keyId"],
                    identity_id=identity_id,
                    provider=PROVIDER,
                    scope=scope,
                    kind=cred_kind,
                    status="expired" if end and end <= now else "active",
                    name=entry.get("displayName"),
                    created_at=start,
                    expires_at=end,
                    supports_expiry=True,
                    key_id=entry["keyId"],
                    hint=entry.get("hint") if kind == "client_secret" else None,
                    attrs=attrs,
                )
            )
    return creds


def _app_role_names(sps: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """(resource SP id, app role id) -> permission name, from every SP's appRoles."""
    names: dict[tuple[str, str], str] = {}
    for sp in sps:
        if not isinstance(sp, dict) or not isinstance(sp.get("id"), str) or not isinstance(sp.get("appRoles"), list):
            continue
        for role in sp["appRoles"]:
            if isinstance(role, dict) and isinstance(role.get("id"), str) and isinstance(role.get("value"), str):
                names[(sp["id"], role["id"])] = role["value"]
    return names


def _permission_flags(name: str, takeover: set[str]) -> GrantFlags:
    return {
        "is_admin": name in takeover,
        "is_privesc": name in takeover,
        "is_sensitive": name in takeover or name in SENSITIVE,
        "is_full_wildcard": False,
        "is_service_wildcard": False,
    }


def _latest(
    items: list[dict[str, Any]] | None, key: str, when: Callable[[dict[str, Any]], Any]
) -> tuple[dict[str, datetime], Batch]:
    """Latest sign-in per ``key`` from a beta report; an unreadable entry is a gap."""
    latest: dict[str, datetime] = {}

    def read(item: dict[str, Any]) -> Batch:
        at = parse_time(when(item))
        if item.get(key) and at:
            latest[item[key]] = max(at, latest.get(item[key], at))
        return Batch()

    return latest, each(items or [], read, f"sign-in activity entry ({key})", "id", key)


def transform_tenant(
    *,
    tenant_id: str,
    scope: str,
    now: datetime,
    sps: list[dict[str, Any]],
    apps: list[dict[str, Any]],
    role_assignments: dict[str, list[dict[str, Any]]],
    delegated: list[dict[str, Any]],
    directory_roles: list[dict[str, Any]],
    users: list[dict[str, Any]],
    sign_ins: list[dict[str, Any]] | None,
    agent_identities: list[dict[str, Any]] | None,
    credential_sign_ins: list[dict[str, Any]] | None = None,
    inherited: dict[str, dict[str, Any]] | None = None,
) -> Batch:
    """Everything the tenant scope yields. ``sign_ins`` / ``credential_sign_ins`` are None when
    the beta reports were unreadable: credentials are then marked ``last_used_unknown``.
    ``inherited`` maps an agent identity's id to what it inherits from its blueprint
    (``appRoleAssignments`` / ``oauth2PermissionGrants``, each None when unreadable)."""
    batch = Batch()
    # lookups from well-formed objects only; each() below turns the others into gaps
    sp_objects = [sp for sp in sps if isinstance(sp, dict)]
    sps_by_id = by_id(sp_objects)
    apps_by_appid = {
        app["appId"]: app
        for app in apps
        if isinstance(app, dict) and isinstance(app.get("appId"), str) and app["appId"]
    }
    agents = by_id(agent_identities or [])
    last_sign_in, gaps = _latest(
        sign_ins, "appId", lambda i: (i.get("lastSignInActivity") or {}).get("lastSignInDateTime")
    )
    batch.extend(gaps)
    cred_last_used, gaps = _latest(
        credential_sign_ins, "keyId", lambda i: (i.get("signInActivity") or {}).get("lastSignInDateTime")
    )
    batch.extend(gaps)
    delegated_by_client: dict[str, list[dict[str, Any]]] = {}
    for grant in delegated:
        if isinstance(grant, dict) and isinstance(grant.get("clientId"), str):
            delegated_by_client.setdefault(grant["clientId"], []).append(grant)

    seen_creds: set[str] = set()

    def add_credentials(creds: list[Credential]) -> None:
        for cred in creds:
            if cred.id not in seen_creds:
                seen_creds.add(cred.id)
                batch.credentials.append(cred)

    def service_principal(sp: dict[str, Any]) -> Batch:
        out = Batch()
        _require(sp, "id", "displayName")
        sp_type = sp.get("servicePrincipalType") or "Application"
        odata_type = _odata_type(sp)
        is_blueprint = odata_type == BLUEPRINT_PRINCIPAL
        is_agent = not is_blueprint and (
            sp["id"] in agents or odata_type == AGENT_IDENTITY or sp_type == "ServiceIdentity"
        )
        kind = (
            "managed_identity"
            if sp_type == "ManagedIdentity"
            else "agent_identity"
            if is_agent
            else "agent_blueprint_principal"
            if is_blueprint
            else "service_principal"
        )
        home = apps_by_appid.get(sp.get("appId"))
        owners = _owners(home or {}) + _owners(sp)
        user_owner = next((o for o in owners if o["type"] == "user" and o["upn"]), None)
        audience = (home or {}).get("signInAudience") or sp.get("signInAudience")
        owner_tenant = sp.get("appOwnerOrganizationId")
        grants_for_sp = delegated_by_client.get(sp["id"], [])
        attrs: dict[str, Any] = {
            "object_type": "servicePrincipal",
            "app_id": sp.get("appId"),
            "service_principal_type": sp_type,
            "app_owner_tenant_id": owner_tenant,
            "sign_in_audience": audience,
            "multi_tenant": audience in MULTI_TENANT_AUDIENCES,
            "external_app": bool(owner_tenant) and owner_tenant != tenant_id and owner_tenant not in MICROSOFT_TENANTS,
            "application_object_id": home["id"] if home else None,
            "owners": owners,
            "owners_truncated": any(bool(o.get("owners@nhi.truncated")) for o in (home or {}, sp)),
            "acts_for_users": bool(grants_for_sp),
            "delegated_consent": sorted({g.get("consentType") or "" for g in grants_for_sp} - {""}),
        }
        if kind == "managed_identity":
            attrs["managed_identity_resource_ids"] = [n for n in sp.get("alternativeNames") or [] if n.startswith("/")]
            attrs["user_assigned"] = any(
                "/userassignedidentities/" in n.lower() for n in attrs["managed_identity_resource_ids"]
            )
        if is_agent:
            agent = agents.get(sp["id"], {})
            attrs["agent_evidence"] = "Entra Agent ID agentIdentity object"
            attrs["agent_identity_blueprint_id"] = agent.get("agentIdentityBlueprintId") or sp.get(
                "agentIdentityBlueprintId"
            )
        if is_blueprint:
            attrs["agent_identity_blueprint_principal"] = True
        elif home is not None and "agentidentityblueprint" in _odata_type(home):
            attrs["agent_evidence"] = "Entra Agent ID agentIdentityBlueprint application"
        out.identities.append(
            Identity(
                id=sp["id"],
                provider=PROVIDER,
                scope=scope,
                kind=kind,
                name=sp["displayName"],
                # v1.0 servicePrincipal has no createdDateTime: the application's, or unknown
                created_at=parse_time((home or {}).get("createdDateTime")),
                last_used_at=last_sign_in.get(app_id) if isinstance(app_id := sp.get("appId"), str) else None,
                enabled=bool(sp.get("accountEnabled", True)),
                owner=user_owner["upn"] if user_owner else None,
                owner_source=("app_owner" if home and user_owner in _owners(home) else "sp_owner")
                if user_owner
                else None,
                description=sp.get("notes") or (home or {}).get("notes"),
                is_platform=owner_tenant in MICROSOFT_TENANTS,
                tags={**{t: True for t in sp.get("tags") or []}, **({"nhi:agent": True} if is_agent else {})},
                attrs=attrs,
            )
        )
        out.credentials.extend(
            (transform_credentials(home, sp["id"], scope, now, on="application") if home else [])
            + transform_credentials(sp, sp["id"], scope, now, on="servicePrincipal")
        )
        return out

    item = each(sps, service_principal, "service principal", "id", "displayName")
    batch.identities.extend(item.identities)
    add_credentials(item.credentials)
    batch.gaps.extend(item.gaps)

    sp_app_ids = {sp["appId"] for sp in sp_objects if isinstance(sp.get("appId"), str)}

    def application(app: dict[str, Any]) -> Batch:
        out = Batch()
        _require(app, "id", "displayName")
        if app.get("appId") in sp_app_ids:
            return out
        audience = app.get("signInAudience")
        owners = _owners(app)
        user_owner = next((o for o in owners if o["type"] == "user" and o["upn"]), None)
        out.identities.append(
            Identity(
                id=app["id"],
                provider=PROVIDER,
                scope=scope,
                kind="application",
                name=app["displayName"],
                created_at=parse_time(app.get("createdDateTime")),
                owner=user_owner["upn"] if user_owner else None,
                owner_source="app_owner" if user_owner else None,
                description=app.get("notes"),
                tags={t: True for t in app.get("tags") or []},
                attrs={
                    "object_type": "application",
                    "app_id": app.get("appId"),
                    "application_object_id": app["id"],
                    "sign_in_audience": audience,
                    "multi_tenant": audience in MULTI_TENANT_AUDIENCES,
                    "owners": owners,
                    "owners_truncated": bool(app.get("owners@nhi.truncated")),
                },
            )
        )
        out.credentials.extend(transform_credentials(app, app["id"], scope, now, on="application"))
        return out

    item = each(apps, application, "application", "id", "displayName")
    batch.identities.extend(item.identities)
    add_credentials(item.credentials)
    batch.gaps.extend(item.gaps)

    for cred in batch.credentials:
        if credential_sign_ins is None:
            cred.attrs["last_used_unknown"] = True  # the report was not readable: unused rules skip it
        else:
            cred.last_used_at = cred_last_used.get(cred.key_id) if cred.key_id is not None else None
    batch.extend(transform_app_role_assignments(role_assignments, sp_objects, scope))
    batch.extend(
        each(
            delegated,
            lambda g: Batch(grants=transform_delegated_grants([g], sps_by_id, scope)),
            "oauth2PermissionGrant",
        )
    )
    batch.extend(
        each(
            directory_roles, lambda r: Batch(grants=transform_directory_roles([r], sps_by_id, scope)), "directory role"
        )
    )
    batch.extend(transform_inherited(inherited or {}, sp_objects, sps_by_id, scope))
    batch.extend(each(users, lambda u: Batch(people=transform_users([u])), "user"))
    return batch


def transform_inherited(
    inherited: dict[str, dict[str, Any]], sps: list[dict[str, Any]], sps_by_id: dict[str, dict[str, Any]], scope: str
) -> Batch:
    """An agent identity's effective permissions include what its blueprint principal grants
    every agent made from it: those grants are the agent's own rows, marked inherited."""
    out = transform_app_role_assignments(
        {agent_id: parts.get("appRoleAssignments") or [] for agent_id, parts in inherited.items()}, sps, scope
    )
    for agent_id, parts in inherited.items():
        delegated = [
            {**g, "clientId": agent_id} for g in parts.get("oauth2PermissionGrants") or [] if isinstance(g, dict)
        ]
        out.extend(
            each(
                delegated,
                lambda g: Batch(grants=transform_delegated_grants([g], sps_by_id, scope)),
                f"inherited oauth2PermissionGrant of agent {agent_id}",
            )
        )
    for grant in out.grants:  # same source types, so every rule on app roles and consents sees them
        grant.source = f"{grant.source}, inherited from its agent identity blueprint"
        grant.condition = {**(grant.condition or {}), "inherited_from": "agent_identity_blueprint"}
    return out


def transform_app_role_assignments(
    assignments: dict[str, list[dict[str, Any]]], sps: list[dict[str, Any]], scope: str
) -> Batch:
    """Application permissions, by the SP they are granted to; one odd assignment is a gap."""
    names = _app_role_names(sps)
    sps_by_id = by_id(sps)

    def one(sp_id: str, a: dict[str, Any]) -> Batch:
        _require(a, "id", "resourceId")
        role_id = a.get("appRoleId") or ""
        resource = sps_by_id.get(a["resourceId"], {})
        name = names.get((a["resourceId"], role_id))
        if name is None and (
            resource.get("appId") == MICROSOFT_GRAPH_APP_ID or a.get("resourceDisplayName") == "Microsoft Graph"
        ):
            name = GRAPH_APP_ROLES.get(role_id)
        if name is None:
            name = "default access" if str(role_id).strip("0-") == "" else str(role_id)
        resource_name = a.get("resourceDisplayName") or resource.get("displayName") or a["resourceId"]
        return Batch(
            grants=[
                Grant(
                    identity_id=sp_id,
                    provider=PROVIDER,
                    scope=scope,
                    action=name,
                    resource=resource_name,
                    # readable, since findings quote it; the assignment id stays unique within it
                    source=f"{resource_name} application permission {name} (appRoleAssignment {a['id']})",
                    source_type="app_role",
                    service=a.get("resourceDisplayName") or resource.get("displayName"),
                    **_permission_flags(name, TENANT_TAKEOVER),
                )
            ]
        )

    out = Batch()
    for sp_id, items in assignments.items():
        out.extend(each(items, partial(one, sp_id), f"appRoleAssignment of {sp_id}"))
    return out


def transform_delegated_grants(
    delegated: list[dict[str, Any]], sps_by_id: dict[str, dict[str, Any]], scope: str
) -> list[Grant]:
    """Delegated permissions: the client acts on behalf of one user (Principal) or of every
    user in the tenant (AllPrincipals). One grant row per scope word."""
    grants = []
    for g in delegated:
        _require(g, "id", "clientId")
        resource = sps_by_id.get(g.get("resourceId") or "", {})
        for word in (g.get("scope") or "").split():
            grants.append(
                Grant(
                    identity_id=g["clientId"],
                    provider=PROVIDER,
                    scope=scope,
                    action=word,
                    resource=resource.get("displayName") or g.get("resourceId") or "*",
                    source=f"{resource.get('displayName') or g.get('resourceId')} delegated permission {word} "
                    f"(consent {g.get('consentType')}, oauth2PermissionGrant {g['id']})",
                    source_type="delegated",
                    service=resource.get("displayName"),
                    condition={"consent_type": g.get("consentType"), "principal_id": g.get("principalId")},
                    **_permission_flags(word, DELEGATED_TAKEOVER),
                )
            )
    return grants


def transform_directory_roles(
    roles: list[dict[str, Any]], sps_by_id: dict[str, dict[str, Any]], scope: str
) -> list[Grant]:
    grants = []
    for role in roles:
        name = role.get("displayName") or role.get("roleTemplateId") or role.get("id")
        if not isinstance(name, str):
            raise TransformError("a directory role has no displayName, roleTemplateId or id")
        privileged = name in PRIVILEGED_DIRECTORY_ROLES
        for member in role.get("members") or []:
            if member.get("id") not in sps_by_id and "serviceprincipal" not in _odata_type(member):
                continue  # users and groups are not non-human identities
            grants.append(
                Grant(
                    identity_id=member["id"],
                    provider=PROVIDER,
                    scope=scope,
                    action=name,
                    resource="directory",
                    source=f"directory role {name}",
                    source_type="directory_role",
                    service="Entra ID",
                    is_admin=privileged,
                    is_privesc=privileged,
                    is_sensitive=True,
                )
            )
    return grants


def transform_users(users: list[dict[str, Any]]) -> list[Person]:
    people = []
    for u in users:
        upn = (u.get("userPrincipalName") or u.get("mail") or "").lower()
        if not upn:
            continue
        people.append(
            Person(
                id=upn,
                source="entra",
                name=u.get("displayName"),
                email=(u.get("mail") or upn).lower(),
                active=bool(u.get("accountEnabled", True)),
            )
        )
    return people
