"""Pure transforms: Google API payloads (snake_case dicts) -> nhi records.

Nothing here calls an API. A payload missing a field nhi cannot do without (an email, a key
name, a binding's role) raises ValueError naming it, rather than producing a quiet half-record.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from nhi_cli.kit.payloads import each, iso_time
from nhi_cli.model import Batch, Credential, Grant, Identity, Trust

PROVIDER = "gcp"

PRIMITIVE_ROLES = {"roles/owner", "roles/editor", "roles/viewer"}
# Roles that administer IAM itself or the whole project: holding one is holding everything.
ADMIN_ROLES = {
    "roles/owner",
    "roles/editor",
    "roles/resourcemanager.projectIamAdmin",
    "roles/resourcemanager.folderAdmin",
    "roles/resourcemanager.folderIamAdmin",
    "roles/resourcemanager.organizationAdmin",
    "roles/iam.securityAdmin",
    "roles/iam.roleAdmin",
    "roles/iam.organizationRoleAdmin",
    "roles/iam.serviceAccountAdmin",
    "roles/iam.serviceAccountKeyAdmin",
    "roles/iam.workloadIdentityPoolAdmin",
}
# Roles that let the holder act as a service account: the impersonation trust edges.
IMPERSONATION_ROLES = {
    "roles/iam.serviceAccountTokenCreator": "iam.serviceAccounts.getAccessToken",
    "roles/iam.serviceAccountUser": "iam.serviceAccounts.actAs",
    "roles/iam.workloadIdentityUser": "iam.serviceAccounts.getAccessToken",
}
PRIVESC_ROLES = ADMIN_ROLES | set(IMPERSONATION_ROLES)
SENSITIVE_SERVICES = {
    "iam",
    "resourcemanager",
    "secretmanager",
    "cloudkms",
    "orgpolicy",
    "accesscontextmanager",
    "privilegedaccessmanager",
}
NEVER = 9999  # a key valid until 9999-12-31 never expires
OWNER_IN_DESCRIPTION = re.compile(r"\bowner\s*[:=]\s*([\w.+-]+@[\w.-]+\w|[\w.-]+)", re.IGNORECASE)
USER_MANAGED_DOMAINS = ("developer.gserviceaccount.com", "appspot.gserviceaccount.com")
_NANOS = re.compile(r"(?<=\d{2}:\d{2}:\d{2})\.\d+")


def _need(payload: Mapping[str, Any], field: str, what: str) -> str:
    value = payload.get(field)
    if value in (None, ""):
        raise ValueError(f"GCP {what} payload has no {field!r}: {sorted(payload)}")
    if not isinstance(value, str):
        raise ValueError(f"GCP {what} payload: {field!r} is a {type(value).__name__}, not a string")
    return value


def parse_time(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str):
        raise ValueError(f"timestamp {value!r} is not a string")
    return iso_time(_NANOS.sub("", value))  # nanoseconds: keep whole seconds; '-8:00' offsets read too


def service_agent_of(email: str, project: str) -> str | None:
    """The Google service an agent works for ("aiplatform"), or None for a user-managed SA.

    Service agents live in Google-owned projects: their domain is not the scanned project's
    ``PROJECT.iam.gserviceaccount.com`` nor a default-SA domain, or it is ``gcp-sa-*``."""
    local, _, domain = email.lower().partition("@")
    if domain.startswith("gcp-sa-") and domain.endswith(".iam.gserviceaccount.com"):
        return domain[len("gcp-sa-") :].split(".", 1)[0]
    if not domain.endswith("gserviceaccount.com") or domain in USER_MANAGED_DOMAINS:
        return None
    if domain.endswith(".iam.gserviceaccount.com"):
        prefix = domain[: -len(".iam.gserviceaccount.com")]
        if prefix == project or not (local.startswith("service-") or local.isdigit()):
            return None  # a user-managed SA of this or another project
        return prefix
    return domain.split(".", 1)[0]  # cloudservices, cloudbuild, ...


def default_sa_kind(email: str, project: str) -> str | None:
    local, _, domain = email.lower().partition("@")
    if domain == "developer.gserviceaccount.com" and local.endswith("-compute"):
        return "compute"
    if domain == "appspot.gserviceaccount.com":
        return "app_engine"
    return None


def owner_from_description(description: str | None) -> str | None:
    """Service accounts have no labels; nhi reads ``owner=someone@example.com`` in the description."""
    match = OWNER_IN_DESCRIPTION.search(description or "")
    return match.group(1) if match else None


def transform_service_account(sa: Mapping[str, Any], project: str, last_auth: dict[str, datetime]) -> Identity:
    email = _need(sa, "email", "service account")
    unique_id = str(sa.get("unique_id") or "")
    default = default_sa_kind(email, project)
    attrs = {
        "unique_id": unique_id,
        "resource_name": sa.get("name"),
        "project_id": sa.get("project_id") or project,
        "display_name": sa.get("display_name") or "",
        "oauth2_client_id": sa.get("oauth2_client_id") or "",
    }
    if default:
        attrs["default_sa"] = default
    owner = owner_from_description(sa.get("description"))
    return Identity(
        id=email,
        provider=PROVIDER,
        scope=project,
        kind="service_account",
        name=email.split("@", 1)[0],
        last_used_at=last_auth.get(email) or (last_auth.get(unique_id) if unique_id else None),
        enabled=not sa.get("disabled", False),
        owner=owner,
        owner_source="description" if owner else None,
        description=sa.get("description") or None,
        attrs=attrs,
    )


def transform_service_agent(email: str, project: str, service: str) -> Identity:
    """A Google-managed service agent seen in the project's policy: a platform identity."""
    attrs: dict[str, Any] = {"service_agent": service, "managed_by": "google"}
    if service.startswith("aiplatform") or service.startswith("vertex"):
        attrs["agent_platform"] = "vertex_ai"
    return Identity(
        id=email,
        provider=PROVIDER,
        scope=project,
        kind="service_account",
        name=email.split("@", 1)[0],
        is_platform=True,
        description=f"Google-managed service agent for {service}",
        attrs=attrs,
    )


def key_id_of(name: str) -> str:
    return name.rstrip("/").rsplit("/", 1)[-1]


def transform_key(
    key: Mapping[str, Any], sa_email: str, project: str, now: datetime, last_auth: dict[str, datetime]
) -> Credential:
    """One service-account key. Only public metadata is read; key material is never touched."""
    name = _need(key, "name", "service account key")
    key_id = key_id_of(name)
    valid_after = parse_time(key.get("valid_after_time"))
    valid_before = parse_time(key.get("valid_before_time"))
    expires_at = None if valid_before is None or valid_before.year >= NEVER else valid_before
    key_type = str(key.get("key_type") or "USER_MANAGED")
    if key.get("disabled"):
        status = "inactive"
    elif expires_at is not None and expires_at <= now:
        status = "expired"
    else:
        status = "active"
    return Credential(
        id=name,
        identity_id=sa_email,
        provider=PROVIDER,
        scope=project,
        kind="sa_key" if key_type == "USER_MANAGED" else "sa_system_key",
        status=status,
        name=key_id,
        created_at=valid_after,
        last_used_at=last_auth.get(key_id),
        expires_at=expires_at,
        # An org policy (iam.serviceAccountKeyExpiryHours) can give user-managed keys an expiry.
        supports_expiry=key_type == "USER_MANAGED",
        key_id=key_id,
        hint=key_id,  # the console's "Key ID", also private_key_id in a key file: public, joinable
        attrs={
            "key_type": key_type,
            "origin": str(key.get("key_origin") or ""),
            "algorithm": str(key.get("key_algorithm") or ""),
            "service_account": sa_email,
        },
    )


def role_flags(role: str) -> dict[str, Any]:
    service = None
    if role.startswith("roles/") and role not in PRIMITIVE_ROLES:
        service = role[len("roles/") :].split(".", 1)[0]
    return {
        "service": service,
        "is_admin": role in ADMIN_ROLES,
        "is_full_wildcard": role in ("roles/owner", "roles/editor"),
        "is_service_wildcard": bool(service) and role.endswith(".admin"),
        "is_privesc": role in PRIVESC_ROLES,
        "is_sensitive": role in ADMIN_ROLES or service in SENSITIVE_SERVICES,
    }


def _condition(binding: Mapping[str, Any]) -> dict[str, Any] | None:
    cond = binding.get("condition")
    return {k: cond[k] for k in ("title", "expression", "description") if cond.get(k)} if cond else None


def member_principal(member: str) -> tuple[str, str, str | None]:
    """(principal_type, principal, principal_account) for an IAM policy member string."""
    kind, _, rest = member.partition(":")
    if member in ("allUsers", "allAuthenticatedUsers"):
        return "any", member, None
    if kind in ("projectOwner", "projectEditor", "projectViewer"):
        return "account", member, rest
    if kind == "domain":
        return "account", member, None
    if kind == "serviceAccount":
        domain = rest.partition("@")[2]
        if ".svc.id.goog" in rest:  # GKE workload identity: PROJECT.svc.id.goog[ns/ksa]
            return "oidc", member, rest.split(".svc.id.goog", 1)[0]
        project = domain[: -len(".iam.gserviceaccount.com")] if domain.endswith(".iam.gserviceaccount.com") else None
        return "principal", member, project
    if kind in ("principal", "principalSet"):  # workload identity federation pools
        return "oidc", member, None
    if kind == "group":
        return "member", member, None
    return "principal", member, None


def sa_members(policy: Mapping[str, Any]) -> set[str]:
    """Every service-account email named in a policy's bindings (deleted members excluded)."""
    return {
        m.split(":", 1)[1]
        for b in policy.get("bindings", [])
        for m in b.get("members", [])
        if m.startswith("serviceAccount:") and ".svc.id.goog[" not in m
    }


def _policy_grants(
    policy: Mapping[str, Any], project: str, resource: str, source_type: str, only: set[str] | None = None
) -> list[Grant]:
    grants: list[Grant] = []
    for binding in policy.get("bindings", []):
        role = _need(binding, "role", "IAM binding")
        for member in binding.get("members", []):
            if not member.startswith("serviceAccount:") or ".svc.id.goog[" in member:
                continue
            email = member.split(":", 1)[1]
            if only is not None and email not in only:
                continue
            grants.append(
                Grant(
                    identity_id=email,
                    provider=PROVIDER,
                    scope=project,
                    action=role,
                    resource=resource,
                    source=f"{resource}#{role}",
                    source_type=source_type,
                    condition=_condition(binding),
                    **role_flags(role),
                )
            )
    return grants


def transform_project_policy(policy: Mapping[str, Any], project: str) -> list[Grant]:
    """Grants for the service-account members of the project's IAM policy (version 3)."""
    return _policy_grants(policy, project, f"projects/{project}", "binding")


def transform_inherited_policy(
    policy: Mapping[str, Any], ancestor: str, project: str, accounts: set[str]
) -> list[Grant]:
    """Grants that ``accounts`` (this project's service accounts) hold on a folder or the
    organization: they reach every project below it. ``source`` names the ancestor
    (``organizations/1#roles/owner``); the flags are those of a project binding."""
    return _policy_grants(policy, project, ancestor, "inherited_binding", only=accounts)


def impersonation_trusts(policy: Mapping[str, Any], project: str, targets: list[str]) -> list[Trust]:
    """Who may act as each target SA: impersonation roles bound on the project (they reach every
    SA in it) or on the SA itself. ``conditions`` is the binding's IAM condition, NULL when
    unconditional, so generic "trust without conditions" rules read GCP like any provider."""
    trusts: list[Trust] = []
    for binding in policy.get("bindings", []):
        role = _need(binding, "role", "IAM binding")
        if role not in IMPERSONATION_ROLES:
            continue
        cond = _condition(binding)
        for member in binding.get("members", []):
            ptype, principal, account = member_principal(member)
            subject = member.split("[", 1)[1].rstrip("]") if ptype == "oidc" and "[" in member else None
            for target in targets:
                if principal == f"serviceAccount:{target}":
                    continue
                trusts.append(
                    Trust(
                        identity_id=target,
                        provider=PROVIDER,
                        scope=project,
                        principal_type=ptype,
                        principal=principal,
                        action=role,
                        conditions=cond,
                        principal_account=account,
                        subject_condition=subject,
                    )
                )
    return trusts


def last_authentications(
    activities: Iterable[Mapping[str, Any]], kind: str, problems: Batch | None = None
) -> dict[str, datetime]:
    """Policy Analyzer activities -> {sa email | unique id | key id: lastAuthenticatedTime}.
    An unreadable activity is recorded in ``problems`` (a gap) and skipped."""
    seen: dict[str, datetime] = {}

    def one(item: Mapping[str, Any]) -> Batch:
        _last_authentications_item(item, kind, seen)
        return Batch()

    found = each(activities, one, f"Policy Analyzer {kind} activity", "fullResourceName")
    if problems is not None:
        problems.extend(found)
    return seen


def _last_authentications_item(item: Mapping[str, Any], kind: str, seen: dict[str, datetime]) -> None:
    activity = item.get("activity") or {}
    when = parse_time(activity.get("lastAuthenticatedTime"))
    if when is None:
        return
    if kind == "key":
        ref = activity.get("serviceAccountKey") or {}
        names = [key_id_of(ref.get("fullResourceName") or item.get("fullResourceName") or "")]
    else:
        ref = activity.get("serviceAccount") or {}
        names = [
            key_id_of(ref.get("fullResourceName") or item.get("fullResourceName") or ""),
            str(ref.get("serviceAccountId") or ""),
        ]
    for name in filter(None, names):
        if name not in seen or when > seen[name]:
            seen[name] = when
