"""Anthropic organization through the Admin API: API keys and workspaces (users name the key
creators). Auth: an Admin key (ANTHROPIC_ADMIN_KEY or ``admin_key:``) sent as ``x-api-key``
with ``anthropic-version``; ``endpoint`` overrides https://api.anthropic.com. One scope: the
organization. Revoke sets a key inactive (reversible: restore sets it active).
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from nhi_cli.kit.connector import CollectContext, Connector, RevokeStep, ScopeError, ScopeFailed, StepOutcome
from nhi_cli.kit.payloads import by_id
from nhi_cli.model import MALFORMED, Batch, Scope

from . import clients, revoke, transform
from .clients import admin_key, make_client
from .fake import DEMO_ADMIN_KEY, AnthropicFake
from .settings import AnthropicSettings


class AnthropicConnector(Connector):
    name = "anthropic"
    Settings = AnthropicSettings
    revoke_kinds: ClassVar[dict[str, list[str]]] = {
        "api_key": ["deactivate_key"],
        "anthropic_api_key": ["deactivate_key"],
    }

    def scopes(self, ctx: CollectContext) -> list[Scope]:
        admin_key(ctx.settings)
        return [Scope("anthropic", ctx.settings.organization, ctx.settings.organization)]

    def collect(self, ctx: CollectContext, scope: Scope) -> Batch:
        try:
            with make_client(ctx) as client:
                keys = clients.get_api_keys(client)  # a 401/403 here denies the scope
                listed, default_ids = clients.get_workspaces(client)
                workspaces = by_id(listed)
                try:
                    users = by_id(clients.get_users(client))
                except ScopeError as exc:  # refused or failed: the owners' e-mails are a gap
                    ctx.gap("users (key creators' e-mails)", exc.code, exc.message)
                    users = {}
            return transform.transform_api_keys(scope.id, keys, workspaces, users, default_ids)
        except ValueError as exc:  # a page that is not JSON
            raise ScopeFailed(MALFORMED, str(exc)) from None

    def plan_revoke(self, ctx: CollectContext, target: dict[str, Any], options: dict[str, Any]) -> list[RevokeStep]:
        return revoke.plan(target)

    def execute_step(self, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
        return revoke.set_status(ctx, step, make_client, "inactive", restoring=False)

    def restore_step(self, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
        previous = (step.restore_data or {}).get("previous_status", "active")
        return revoke.set_status(ctx, step, make_client, previous, restoring=True)

    @classmethod
    def demo(cls, stack: ExitStack, estate: Path, now: datetime) -> dict[str, Any] | None:
        fake = stack.enter_context(AnthropicFake.from_dir(estate / "anthropic", now=now, admin_keys={DEMO_ADMIN_KEY}))
        return {"endpoint": fake.url, "admin_key": DEMO_ADMIN_KEY, "organization": "northwind-robotics"}
