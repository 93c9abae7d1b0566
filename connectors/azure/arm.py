"""ARM get calls: subscriptions, role definitions and role assignments (rbac.py turns the
last two into grants).

Per subscription two paged lists: every role definition (built-in and custom, so names
resolve without one call per assignment) and every role assignment visible at the
subscription, which includes those inherited from management groups and the root.
"""

from __future__ import annotations

from typing import Any

from nhi_cli.kit.http import RestClient

from .clients import ARM_API_VERSION, SUBSCRIPTIONS_API_VERSION

SKIP_STATES = {"Disabled", "Deleted"}


def get_subscriptions(arm: RestClient) -> list[dict[str, Any]]:
    return list(arm.paged_odata("/subscriptions", params={"api-version": SUBSCRIPTIONS_API_VERSION}))


def get_role_definitions(arm: RestClient, subscription_id: str) -> list[dict[str, Any]]:
    return list(
        arm.paged_odata(
            f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions",
            params={"api-version": ARM_API_VERSION},
        )
    )


def get_role_assignments(
    arm: RestClient, subscription_id: str, principal_id: str | None = None
) -> list[dict[str, Any]]:
    params = {"api-version": ARM_API_VERSION}
    if principal_id:
        params["$filter"] = f"principalId eq '{principal_id}'"
    return list(
        arm.paged_odata(
            f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleAssignments", params=params
        )
    )


def active_subscriptions(subs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        s
        for s in subs
        if isinstance(s, dict) and isinstance(s.get("subscriptionId"), str) and s.get("state") not in SKIP_STATES
    ]
