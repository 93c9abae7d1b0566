"""Revoking Azure AI account keys (revoke.py dispatches here).

- ``disable_local_auth``: PATCH the account's ``properties.disableLocalAuth`` to true: both
  account keys stop working at once, Entra ID tokens keep working. Reversible: ``nhi restore``
  sets it back.
- ``regenerate_key`` (with ``--delete``): POST ``regenerateKey`` for the key's slot: that key's
  value dies for good and a new one replaces it. **Not** reversible. The answer carries the new
  key values; nhi discards it unread.
"""

from __future__ import annotations

from typing import Any

from nhi_cli.kit.connector import CollectContext, Connector, RevokeStep, ScopeError, StepOutcome
from nhi_cli.kit.http import RestClient

from .ai_accounts import COGNITIVE_API_VERSION
from .clients import arm_client, credential

KINDS = ("azure_ai_account", "azure_ai_account_key")


def plan(target: dict[str, Any], options: dict[str, Any]) -> list[RevokeStep]:
    scope = target.get("scope") or ""
    if target["kind"] == "azure_ai_account":
        account_id, name = target["id"], target.get("name") or target["id"]
    else:
        account_id = target.get("identity_id") or target["id"].rsplit("/keys/", 1)[0]
        name = (target.get("identity") or {}).get("name") or account_id.rsplit("/", 1)[-1]
    steps = [
        RevokeStep(
            "azure",
            scope,
            "identity",
            account_id,
            "disable_local_auth",
            f"Disable key (local) auth on AI account {name} (disableLocalAuth true): both account keys stop "
            "working, Entra ID access continues; reversible with `nhi restore`.",
            True,
            {"account_id": account_id},
        )
    ]
    if target["kind"] == "azure_ai_account_key" and options.get("delete"):
        slot = (target.get("attrs") or {}).get("slot") or target["id"].rsplit("/", 1)[-1]
        steps.append(
            RevokeStep(
                "azure",
                scope,
                "credential",
                target["id"],
                "regenerate_key",
                f"Regenerate {slot} of AI account {name}: its current value dies for good (cannot be undone).",
                False,
                {"account_id": account_id, "key_name": "Key1" if slot == "key1" else "Key2"},
            )
        )
    return steps


def _local_auth_disabled(arm: RestClient, account_id: str) -> bool:
    account = arm.request("GET", account_id, params={"api-version": COGNITIVE_API_VERSION}).json()
    return (account.get("properties") or {}).get("disableLocalAuth") is True


def _set(ctx: CollectContext, step: RevokeStep, disabled: bool) -> StepOutcome:
    account_id = step.params["account_id"]
    try:
        with arm_client(ctx, credential(ctx)) as arm:
            before = _local_auth_disabled(arm, account_id)
            if before == disabled:
                return StepOutcome("already_done", restore_data={"was_disabled": before})
            arm.request(
                "PATCH",
                account_id,
                params={"api-version": COGNITIVE_API_VERSION},
                json={"properties": {"disableLocalAuth": disabled}},
            )
            if _local_auth_disabled(arm, account_id) != disabled:
                return StepOutcome("failed", error="read back: disableLocalAuth did not change")
    except ScopeError as exc:
        return StepOutcome("failed", error=f"{exc.code}: {exc.message}")
    keys = {f"{account_id}/keys/{slot}": ("revoked" if disabled else "active") for slot in ("key1", "key2")}
    return StepOutcome("done", restore_data={"was_disabled": before}, inventory=keys)


def disable_local_auth(connector: Connector, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
    return _set(ctx, step, True)


def enable_local_auth(connector: Connector, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
    if (step.restore_data or {}).get("was_disabled"):
        return StepOutcome("skipped", error="key auth was already off before the revoke")
    return _set(ctx, step, False)


def regenerate_key(connector: Connector, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
    try:
        with arm_client(ctx, credential(ctx)) as arm:
            # the response holds the new key values: not read, not logged
            arm.request(
                "POST",
                f"{step.params['account_id']}/regenerateKey",
                params={"api-version": COGNITIVE_API_VERSION},
                json={"keyName": step.params["key_name"]},
            ).close()
    except ScopeError as exc:
        return StepOutcome("failed", error=f"{exc.code}: {exc.message}")
    return StepOutcome("done")


def no_restore(connector: Connector, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
    return StepOutcome("skipped", error="a regenerated key's old value cannot come back")
