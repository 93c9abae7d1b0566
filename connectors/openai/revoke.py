"""Revoking OpenAI keys: delete (IRREVERSIBLE: OpenAI has no deactivate; a new key must be
created and distributed). Verified by reading the key back (404 = gone)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nhi_cli.errors import NhiError
from nhi_cli.kit.connector import CollectContext, RevokeStep, ScopeError, StepOutcome
from nhi_cli.kit.http import HttpError, NotFound, RestClient


def _label(cred: dict[str, Any]) -> str:
    hint = cred.get("hint")
    return f"{cred.get('name') or cred['id']!r}" + (f" ({hint})" if hint else f" ({cred.get('key_id') or cred['id']})")


def _key_step(cred: dict[str, Any], scope: str) -> RevokeStep | None:
    attrs = cred.get("attrs") or {}
    if cred.get("status") in ("revoked",):
        return None
    if cred.get("kind") == "admin_api_key":
        if attrs.get("used_by_nhi"):
            raise NhiError(f"refusing to delete {cred['id']}: it is the Admin key nhi itself is using")
        return RevokeStep(
            "openai",
            scope,
            "credential",
            cred["id"],
            "delete_admin_key",
            f"Delete OpenAI Admin API key {_label(cred)}. IRREVERSIBLE.",
            False,
            {"key_id": cred.get("key_id") or attrs["api_key_id"]},
        )
    return RevokeStep(
        "openai",
        scope,
        "credential",
        cred["id"],
        "delete_api_key",
        f"Delete OpenAI API key {_label(cred)} in project "
        f"{attrs.get('project_name') or attrs.get('project_id')}. IRREVERSIBLE: OpenAI keys cannot be "
        f"deactivated; a new key must be created.",
        False,
        {
            "project_id": attrs["project_id"],
            "key_id": cred.get("key_id") or attrs["api_key_id"],
            "owner_type": attrs.get("owner_type"),
        },
    )


def plan(target: dict[str, Any], options: dict[str, Any]) -> list[RevokeStep]:
    scope = target.get("scope", "")
    if target.get("type") == "credential":
        if target.get("kind") not in ("api_key", "admin_api_key"):
            raise NhiError(f"OpenAI cannot revoke a credential of kind {target.get('kind')!r}")
        step = _key_step(target, scope)
        return [step] if step else []
    steps = [s for s in (_key_step(c, scope) for c in target.get("credentials") or []) if s]
    if target.get("kind") == "openai_service_account" and options.get("delete"):
        attrs = target.get("attrs") or {}
        steps.append(
            RevokeStep(
                "openai",
                scope,
                "identity",
                target["id"],
                "delete_service_account",
                f"Delete OpenAI service account {target.get('name')!r} and all its keys. IRREVERSIBLE.",
                False,
                {"project_id": attrs["project_id"], "service_account_id": attrs["service_account_id"]},
            )
        )
    return steps


def _paths(step: RevokeStep) -> str:
    p = step.params
    if step.action == "delete_admin_key":
        return f"/organization/admin_api_keys/{p['key_id']}"
    if step.action == "delete_service_account":
        return f"/organization/projects/{p['project_id']}/service_accounts/{p['service_account_id']}"
    return f"/organization/projects/{p['project_id']}/api_keys/{p['key_id']}"


def execute(ctx: CollectContext, step: RevokeStep, make_client: Callable[[CollectContext], RestClient]) -> StepOutcome:
    path = _paths(step)
    try:
        with make_client(ctx) as client:
            try:
                client.request("DELETE", path)
            except NotFound:
                return StepOutcome(
                    "already_done", inventory={step.target_id: "revoked"} if step.target_type == "credential" else {}
                )
            except HttpError as exc:
                if step.params.get("owner_type") == "service_account" and exc.status_code in (400, 409, 422):
                    return StepOutcome(
                        "failed",
                        f"{exc.code}: OpenAI refused to delete a service-account key; revoke "
                        f"the service account itself (identity revoke with --delete)",
                    )
                raise
            try:
                client.get_json(path)
                return StepOutcome("failed", "verification failed: OpenAI still returns the key after DELETE")
            except NotFound:
                pass
    except ScopeError as exc:
        return StepOutcome("failed", f"{exc.code}: {exc.message}")
    return StepOutcome("done", inventory={step.target_id: "revoked"} if step.target_type == "credential" else {})
