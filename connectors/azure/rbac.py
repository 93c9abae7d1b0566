"""ARM role assignments -> grants (pure; arm.py gets the role definitions and assignments).

Azure RBAC is a transform topic of its own: role names resolve from the subscription's role
definitions, and an assignment's scope decides whether a privileged role is admin-wide.
"""

from __future__ import annotations

from typing import Any

from nhi_cli.kit.payloads import each
from nhi_cli.model import Batch, Grant

from .permissions import ARM_ESCALATION_ROLES, ARM_PRIVILEGED_ROLES, is_broad_scope
from .transform import PROVIDER, TransformError

NHI_PRINCIPAL_TYPES = {"ServicePrincipal"}  # managed identities are ServicePrincipal too


def role_names(definitions: list[dict[str, Any]]) -> dict[str, str]:
    """role definition GUID (lower case) -> roleName (an unreadable definition leaves its GUID)."""
    names = {}
    for d in definitions:
        if not isinstance(d, dict) or not isinstance(d.get("name") or d.get("id", ""), str):
            continue
        guid = (d.get("name") or d.get("id", "").rsplit("/", 1)[-1]).lower()
        name = (d.get("properties") or {}).get("roleName")
        if guid and name:
            names[guid] = name
    return names


def transform_role_assignments(assignments: list[dict[str, Any]], names: dict[str, str], scope: str) -> Batch:
    """Role assignments to service principals and managed identities as grants; one odd
    assignment is a gap of the subscription scope."""
    return each(assignments, lambda a: Batch(grants=_assignment(a, names, scope)), "role assignment", "name", "id")


def _assignment(a: dict[str, Any], names: dict[str, str], scope: str) -> list[Grant]:
    grants: list[Grant] = []
    props = a.get("properties") or {}
    if props.get("principalType") not in NHI_PRINCIPAL_TYPES:
        return grants  # users and groups are people, not non-human identities
    if not a.get("id") or not props.get("principalId") or not props.get("roleDefinitionId"):
        raise TransformError(f"role assignment {a.get('id', '?')} lacks id, principalId or roleDefinitionId")
    guid = props["roleDefinitionId"].rsplit("/", 1)[-1].lower()
    role = names.get(guid, guid)
    where = props.get("scope") or a["id"].split("/providers/Microsoft.Authorization/")[0]
    broad = is_broad_scope(where)
    condition = (
        {"condition": props["condition"], "version": props.get("conditionVersion")} if props.get("condition") else None
    )
    grants.append(
        Grant(
            identity_id=props["principalId"],
            provider=PROVIDER,
            scope=scope,
            action=role,
            resource=where,
            source=f"{role} on {where} (roleAssignment {a['id'].rsplit('/', 1)[-1]})",
            source_type="azure_rbac",
            service="azure",
            condition=condition,
            is_admin=broad and role in ARM_PRIVILEGED_ROLES,
            is_privesc=role in ARM_ESCALATION_ROLES,
            is_full_wildcard=broad and role == "Owner",
            is_sensitive=role in ARM_PRIVILEGED_ROLES,
        )
    )
    return grants
