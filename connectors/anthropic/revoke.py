"""Revoking Anthropic keys: set the key ``inactive`` (reversible: restore sets it ``active``
again). Verified by reading the key back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nhi_cli.errors import NhiError
from nhi_cli.kit.connector import CollectContext, RevokeStep, ScopeError, StepOutcome
from nhi_cli.kit.http import NotFound, RestClient


def _step(cred: dict[str, Any], scope: str) -> RevokeStep | None:
    if cred.get("status") != "active":
        return None
    key_id = cred.get("key_id") or (cred.get("attrs") or {}).get("api_key_id")
    return RevokeStep(
        "anthropic",
        scope,
        "credential",
        cred["id"],
        "deactivate_key",
        f"Set Anthropic API key {cred.get('name') or key_id!r} ({cred.get('hint') or key_id}) inactive. "
        f"Reversible: `nhi restore` sets it active again.",
        True,
        {"key_id": key_id},
    )


def plan(target: dict[str, Any]) -> list[RevokeStep]:
    scope = target.get("scope", "")
    if target.get("type") == "credential":
        if target.get("kind") != "api_key":
            raise NhiError(f"Anthropic cannot revoke a credential of kind {target.get('kind')!r}")
        step = _step(target, scope)
        return [step] if step else []
    return [s for s in (_step(c, scope) for c in target.get("credentials") or []) if s]


def set_status(
    ctx: CollectContext,
    step: RevokeStep,
    make_client: Callable[[CollectContext], RestClient],
    want: str,
    restoring: bool,
) -> StepOutcome:
    path = f"/v1/organizations/api_keys/{step.params['key_id']}"
    try:
        with make_client(ctx) as client:
            before = client.get_json(path)["status"]
            if before == want:
                return StepOutcome("already_done", inventory={step.target_id: want})
            if not restoring and before != "active":  # archived or expired: nothing left to stop
                return StepOutcome(
                    "already_done", inventory={step.target_id: "revoked" if before == "archived" else before}
                )
            client.request("POST", path, json={"status": want})
            after = client.get_json(path)["status"]
    except NotFound:
        return StepOutcome("failed", f"Anthropic key {step.params['key_id']} no longer exists")
    except ScopeError as exc:
        return StepOutcome("failed", f"{exc.code}: {exc.message}")
    if after != want:
        return StepOutcome("failed", f"verification failed: the key is {after!r}, not {want!r}")
    return StepOutcome("done", restore_data={"previous_status": before}, inventory={step.target_id: want})
