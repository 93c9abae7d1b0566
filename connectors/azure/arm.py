"""ARM: subscriptions, role definitions and role assignments (get_* and transform_*).

Per subscription two paged lists: every role definition (built-in and custom, so names
resolve without one call per assignment) and every role assignment visible at the
subscription, which includes those inherited from management groups and the root.
"""
from __future__ import annotations

from nhi_cli.kit.http import RestClient
from nhi_cli.model import Grant

from .clients import ARM_API_VERSION, SUBSCRIPTIONS_API_VERSION
from .permissions import ARM_ESCALATION_ROLES, ARM_PRIVILEGED_ROLES, is_broad_scope
from .transform import PROVIDER, TransformError

SKIP_STATES = {"Disabled", "Deleted"}
NHI_PRINCIPAL_TYPES = {"ServicePrincipal"}  # managed identities are ServicePrincipal too


def get_subscriptions(arm: RestClient) -> list[dict]:
    return list(arm.paged_odata("/subscriptions", params={"api-version": SUBSCRIPTIONS_API_VERSION}))


def get_role_definitions(arm: RestClient, subscription_id: str) -> list[dict]:
    return list(arm.paged_odata(f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions",
                                params={"api-version": ARM_API_VERSION}))


def get_role_assignments(arm: RestClient, subscription_id: str, principal_id: str | None = None) -> list[dict]:
    params = {"api-version": ARM_API_VERSION}
    if principal_id:
        params["$filter"] = f"principalId eq '{principal_id}'"
    return list(arm.paged_odata(f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleAssignments",
                                params=params))


def role_names(definitions: list[dict]) -> dict[str, str]:
    """role definition GUID (lower case) -> roleName."""
    names = {}
    for d in definitions:
        guid = (d.get("name") or d.get("id", "").rsplit("/", 1)[-1]).lower()
        name = (d.get("properties") or {}).get("roleName")
        if guid and name:
            names[guid] = name
    return names


def transform_role_assignments(assignments: list[dict], names: dict[str, str], scope: str) -> list[Grant]:
    """Role assignments to service principals and managed identities as grants."""
    grants = []
    for a in assignments:
        props = a.get("properties") or {}
        if props.get("principalType") not in NHI_PRINCIPAL_TYPES:
            continue  # users and groups are people, not non-human identities
        if not a.get("id") or not props.get("principalId") or not props.get("roleDefinitionId"):
            raise TransformError(f"role assignment {a.get('id', '?')} lacks id, principalId or roleDefinitionId")
        guid = props["roleDefinitionId"].rsplit("/", 1)[-1].lower()
        role = names.get(guid, guid)
        where = props.get("scope") or a["id"].split("/providers/Microsoft.Authorization/")[0]
        broad = is_broad_scope(where)
        condition = {"condition": props["condition"], "version": props.get("conditionVersion")} \
            if props.get("condition") else None
        grants.append(Grant(
            identity_id=props["principalId"], provider=PROVIDER, scope=scope, action=role, resource=where,
            source=f"{role} on {where} (roleAssignment {a['id'].rsplit('/', 1)[-1]})", source_type="azure_rbac", service="azure", condition=condition,
            is_admin=broad and role in ARM_PRIVILEGED_ROLES, is_privesc=role in ARM_ESCALATION_ROLES,
            is_full_wildcard=broad and role == "Owner", is_sensitive=role in ARM_PRIVILEGED_ROLES,
        ))
    return grants


def active_subscriptions(subs: list[dict]) -> list[dict]:
    return [s for s in subs if s.get("subscriptionId") and s.get("state") not in SKIP_STATES]
