"""Revoking a GCP API key (revoke.py dispatches here): ``delete_api_key`` deletes it through the
API Keys API. Google keeps a deleted key restorable for 30 days, so the step is reversible:
``nhi restore`` undeletes it within that window, and says when the window has passed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from nhi_cli.kit.connector import RevokeStep, ScopeError, StepOutcome
from nhi_cli.kit.http import NotFound, RestClient

from .ai import rest
from .clients import GcpClients

UNDELETE_WINDOW = timedelta(days=30)


def plan_key(target: dict[str, Any]) -> list[RevokeStep]:
    name = target["id"]
    return [
        RevokeStep(
            "gcp",
            target.get("scope") or "",
            "credential",
            name,
            "delete_api_key",
            f"delete API key {target.get('name') or name} (Google keeps it restorable for 30 days: nhi restore)",
            True,
            params={"name": name},
        )
    ]


def _key(client: RestClient, name: str) -> dict[str, Any] | None:
    try:
        key: dict[str, Any] = client.request("GET", f"/v2/{name}", count_as="apikeys:keys.get").json()
        return key
    except NotFound:
        return None


def execute(clients: GcpClients, step: RevokeStep) -> StepOutcome:
    client = rest(clients, "apikeys", clients.settings.apikeys_endpoint)
    name = step.params["name"]
    try:
        before = _key(client, name)
        if before is None or before.get("deleteTime"):
            return StepOutcome("already_done", inventory={step.target_id: "revoked"})
        client.request("DELETE", f"/v2/{name}", count_as="apikeys:keys.delete")
        after = _key(client, name)
        if after is not None and not after.get("deleteTime"):
            return StepOutcome("failed", "read back: the key is not deleted")
        deleted = (after or {}).get("deleteTime") or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return StepOutcome("done", restore_data={"deleted_at": deleted}, inventory={step.target_id: "revoked"})
    except ScopeError as exc:
        return StepOutcome("failed", f"{exc.code}: {exc.message}")


def restore(clients: GcpClients, step: RevokeStep, now: datetime | None = None) -> StepOutcome:
    deleted_at = (step.restore_data or {}).get("deleted_at")
    if deleted_at:
        deadline = datetime.fromisoformat(deleted_at.replace("Z", "+00:00")) + UNDELETE_WINDOW
        if (now or datetime.now(UTC)) > deadline:
            return StepOutcome(
                "failed", f"the 30-day undelete window passed on {deadline:%Y-%m-%d}: the key cannot be restored"
            )
    client = rest(clients, "apikeys", clients.settings.apikeys_endpoint)
    name = step.params["name"]
    try:
        before = _key(client, name)
        if before is not None and not before.get("deleteTime"):
            return StepOutcome("already_done", inventory={step.target_id: "active"})
        client.request("POST", f"/v2/{name}:undelete", json={}, count_as="apikeys:keys.undelete")
        after = _key(client, name)
        if after is None or after.get("deleteTime"):
            return StepOutcome("failed", "read back: the key is still deleted")
        return StepOutcome("done", inventory={step.target_id: "active"})
    except ScopeError as exc:
        return StepOutcome("failed", f"{exc.code}: {exc.message}")
