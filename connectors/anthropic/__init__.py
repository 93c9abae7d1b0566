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

from pydantic import SecretStr

from nhi_cli.connector import (CollectContext, Connector, ConnectorSettings, RevokeStep, ScopeDenied, ScopeFailed,
                               StepOutcome)
from nhi_cli.model import Batch, Scope

from ..credentials import admin_key

DEFAULT_ENDPOINT = "https://api.anthropic.com"


class AnthropicSettings(ConnectorSettings):
    admin_key: SecretStr | None = None  # else ANTHROPIC_ADMIN_KEY
    organization: str = "default"  # the scope's name in the inventory
    anthropic_version: str = "2023-06-01"


def _admin_key(settings: AnthropicSettings) -> str:
    return admin_key(settings, "anthropic", "Anthropic")


def make_client(ctx: CollectContext):
    from nhi_cli.http import RestClient

    settings: AnthropicSettings = ctx.settings
    headers = {"x-api-key": _admin_key(settings), "anthropic-version": settings.anthropic_version,
               "content-type": "application/json", "user-agent": "nhi"}
    return RestClient(settings.endpoint or DEFAULT_ENDPOINT, ctx, label="anthropic", headers=lambda: headers)


class AnthropicConnector(Connector):
    name = "anthropic"
    Settings = AnthropicSettings
    revoke_kinds: ClassVar[dict[str, list[str]]] = {"api_key": ["deactivate_key"], "anthropic_api_key": ["deactivate_key"]}

    def scopes(self, ctx: CollectContext) -> list[Scope]:
        _admin_key(ctx.settings)
        return [Scope("anthropic", ctx.settings.organization, ctx.settings.organization)]

    def collect(self, ctx: CollectContext, scope: Scope) -> Batch:
        from . import collect as c

        try:
            with make_client(ctx) as client:
                keys = c.get_api_keys(client)  # a 401/403 here denies the scope
                workspaces = {w["id"]: w for w in c.get_workspaces(client)}
                try:
                    users = {u["id"]: u for u in c.get_users(client)}
                except ScopeDenied as exc:
                    ctx.gap("users (key creators' e-mails)", exc.code, exc.message)
                    users = {}
            return c.transform_api_keys(scope.id, keys, workspaces, users)
        except (ValueError, KeyError) as exc:
            raise ScopeFailed("malformed_response", str(exc)) from None

    def plan_revoke(self, ctx: CollectContext, target: dict[str, Any], options: dict[str, Any]) -> list[RevokeStep]:
        from .revoke import plan

        return plan(target)

    def execute_step(self, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
        from .revoke import set_status

        return set_status(ctx, step, make_client, "inactive", restoring=False)

    def restore_step(self, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
        from .revoke import set_status

        previous = (step.restore_data or {}).get("previous_status", "active")
        return set_status(ctx, step, make_client, previous, restoring=True)

    @classmethod
    def demo(cls, stack: ExitStack, estate: Path, now: datetime) -> dict[str, Any] | None:
        from .fake import DEMO_ADMIN_KEY, AnthropicFake

        fake = stack.enter_context(AnthropicFake.from_dir(estate / "anthropic", now=now, admin_keys={DEMO_ADMIN_KEY}))
        return {"endpoint": fake.url, "admin_key": DEMO_ADMIN_KEY, "organization": "northwind-robotics"}
