"""Revoke on GCP: disable a key or a service account (both reversible), delete a key only when
asked. Every step reads the state before (to say ``already_done`` and to know what restore may
undo) and after (to verify), so the log records what the provider really shows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nhi_cli.kit.connector import RevokeStep, ScopeError, StepOutcome

from . import revoke_keys
from .clients import GcpClients, GcpNotFound


def _sa_resource(email: str, project: str | None) -> str:
    return f"projects/{project or '-'}/serviceAccounts/{email}"


def _key_steps(key_name: str, sa_email: str, scope: str, delete: bool) -> list[RevokeStep]:
    key_id = key_name.rsplit("/", 1)[-1]
    steps = [
        RevokeStep(
            "gcp",
            scope,
            "credential",
            key_name,
            "disable_key",
            f"disable key {key_id} of {sa_email}",
            True,
            params={"name": key_name},
        )
    ]
    if delete:
        steps.append(
            RevokeStep(
                "gcp",
                scope,
                "credential",
                key_name,
                "delete_key",
                f"delete key {key_id} of {sa_email} (cannot be undone)",
                False,
                params={"name": key_name},
            )
        )
    return steps


def plan(target: dict[str, Any], options: dict[str, Any]) -> list[RevokeStep]:
    """Steps for one target (the dict nhi_cli/revoke/resolve.py builds), reversible first.

    A key: disable it (and delete it with --delete). A service account: disable each of its
    active user-managed keys, then the account itself, which stops every key and token; the
    deletes, if asked for, come last."""
    kind = target.get("kind")
    if kind == "gcp_api_key":
        return revoke_keys.plan_key(target)
    target_id = target["id"]
    scope = target.get("scope") or ""
    delete = bool(options.get("delete"))
    if kind == "sa_key":
        sa_email = target.get("identity_id") or target_id.split("/")[3]
        key_steps = _key_steps(target_id, sa_email, scope, delete)
        return [s for s in key_steps if s.reversible] + [s for s in key_steps if not s.reversible]
    if kind == "service_account":
        attrs = target.get("attrs") or {}
        if attrs.get("service_agent") or target.get("is_platform"):
            # NotImplementedError: the engine shows an "unsupported" step instead of failing the plan
            raise NotImplementedError(
                f"{target_id} is a Google-managed service agent: it cannot be disabled; "
                "remove its role bindings instead"
            )
        steps: list[RevokeStep] = []
        for key in target.get("credentials") or []:
            if key.get("kind") == "sa_key" and key.get("status") == "active":
                steps.extend(_key_steps(key["id"], target_id, scope, delete))
        steps.append(
            RevokeStep(
                "gcp",
                scope,
                "identity",
                target_id,
                "disable_service_account",
                f"disable service account {target_id} (all its keys and tokens stop working)",
                True,
                params={"name": _sa_resource(target_id, scope)},
            )
        )
        return [s for s in steps if s.reversible] + [s for s in steps if not s.reversible]
    raise NotImplementedError(f"the gcp connector cannot revoke a {kind or 'record of unknown kind'}")


def _state(clients: GcpClients, step: RevokeStep) -> bool | None:
    """True if disabled, False if enabled, None if it does not exist."""
    name = step.params["name"]
    try:
        if step.target_type == "credential":
            key = clients.call("iam:GetServiceAccountKey", clients.iam.get_service_account_key, request={"name": name})
            return bool(key.disabled)
        account = clients.call("iam:GetServiceAccount", clients.iam.get_service_account, request={"name": name})
        return bool(account.disabled)
    except GcpNotFound:
        return None


def _act(clients: GcpClients, label: str, method: Callable[..., None], name: str) -> None:
    clients.call(f"iam:{label}", method, request={"name": name})


def execute(clients: GcpClients, step: RevokeStep) -> StepOutcome:
    if step.action == "delete_api_key":
        return revoke_keys.execute(clients, step)
    iam = clients.iam
    name = step.params["name"]
    try:
        before = _state(clients, step)
        if step.action == "delete_key":
            if before is None:
                return StepOutcome("already_done")
            _act(clients, "DeleteServiceAccountKey", iam.delete_service_account_key, name)
            after = _state(clients, step)
            return (
                StepOutcome("done") if after is None else StepOutcome("failed", "the key is still listed after delete")
            )
        if before is None:
            return StepOutcome("failed", f"{name} does not exist")
        if before:
            return StepOutcome("already_done", restore_data={"was_disabled": True})
        if step.action == "disable_key":
            _act(clients, "DisableServiceAccountKey", iam.disable_service_account_key, name)
        elif step.action == "disable_service_account":
            _act(clients, "DisableServiceAccount", iam.disable_service_account, name)
        else:
            return StepOutcome("failed", f"unknown gcp action {step.action}")
        if _state(clients, step) is not True:
            return StepOutcome("failed", "read back: still enabled after disable", {"was_disabled": False})
        return StepOutcome("done", restore_data={"was_disabled": False})
    except ScopeError as exc:  # refused, throttled, unreachable
        return StepOutcome("failed", f"{exc.code}: {exc.message}")


def restore(clients: GcpClients, step: RevokeStep) -> StepOutcome:
    if not step.reversible:
        return StepOutcome("skipped", "not reversible")
    if step.action == "delete_api_key":
        return revoke_keys.restore(clients, step)
    if (step.restore_data or {}).get("was_disabled"):
        return StepOutcome("skipped", "it was already disabled before the revoke")
    iam = clients.iam
    name = step.params["name"]
    try:
        if step.action == "disable_key":
            _act(clients, "EnableServiceAccountKey", iam.enable_service_account_key, name)
        elif step.action == "disable_service_account":
            _act(clients, "EnableServiceAccount", iam.enable_service_account, name)
        else:
            return StepOutcome("skipped", f"nothing to restore for {step.action}")
        after = _state(clients, step)
        if after is None:
            return StepOutcome("failed", f"{name} no longer exists")
        return StepOutcome("done") if after is False else StepOutcome("failed", "read back: still disabled")
    except ScopeError as exc:
        return StepOutcome("failed", f"{exc.code}: {exc.message}")
