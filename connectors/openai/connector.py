"""OpenAI organization through the Admin API: projects, project API keys, service accounts and
Admin keys. Auth: an Admin key (OPENAI_ADMIN_KEY or ``admin_key:``); ``endpoint`` overrides
https://api.openai.com/v1. One scope: the organization. Revoke deletes a key (irreversible).
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
from .fake import DEMO_ADMIN_KEY, OpenAIFake
from .settings import OpenAISettings


class OpenAIConnector(Connector):
    name = "openai"
    Settings = OpenAISettings
    revoke_kinds: ClassVar[dict[str, list[str]]] = {
        "api_key": ["delete_api_key"],
        "admin_api_key": ["delete_admin_key"],
        "openai_api_key": ["delete_api_key"],
        "openai_admin_key": ["delete_admin_key"],
        "openai_service_account": ["delete_api_key", "delete_service_account"],
    }

    def scopes(self, ctx: CollectContext) -> list[Scope]:
        admin_key(ctx.settings)  # fail early, once, when there is no key at all
        return [Scope("openai", ctx.settings.organization, ctx.settings.organization)]

    def collect(self, ctx: CollectContext, scope: Scope) -> Batch:
        settings: OpenAISettings = ctx.settings
        batch = Batch()
        try:
            with make_client(ctx) as client:
                # Projects first: a 401/403 here denies the whole scope.
                for project in clients.get_projects(client, settings.include_archived_projects):
                    if not isinstance(project, dict) or not isinstance(project.get("id"), str):
                        batch.gap("OpenAI project", MALFORMED, "a project without an id: its keys were not listed")
                        continue
                    batch.extend(
                        transform.transform_service_accounts(
                            scope.id, project, clients.get_service_accounts(client, project["id"])
                        )
                    )
                    batch.extend(
                        transform.transform_project_keys(
                            scope.id, project, clients.get_project_api_keys(client, project["id"]), ctx.now
                        )
                    )
                try:
                    users = by_id(clients.get_users(client))
                except ScopeError as exc:  # refused or failed: the Admin keys' owners are then named, not mailed
                    ctx.gap("users (Admin key owners' e-mails)", exc.code, exc.message)
                    users = {}
                batch.extend(
                    transform.transform_admin_keys(
                        scope.id, clients.get_admin_keys(client), admin_key(settings), ctx.now, users
                    )
                )
        except ValueError as exc:  # a page that is not JSON
            raise ScopeFailed(MALFORMED, str(exc)) from None
        return batch

    def plan_revoke(self, ctx: CollectContext, target: dict[str, Any], options: dict[str, Any]) -> list[RevokeStep]:
        return revoke.plan(target, options)

    def execute_step(self, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
        return revoke.execute(ctx, step, make_client)

    def restore_step(self, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
        return StepOutcome("skipped", "a deleted OpenAI key cannot be restored")

    @classmethod
    def demo(cls, stack: ExitStack, estate: Path, now: datetime) -> dict[str, Any] | None:
        fake = stack.enter_context(OpenAIFake.from_dir(estate / "openai", now=now, admin_keys={DEMO_ADMIN_KEY}))
        return {"endpoint": fake.url + "/v1", "admin_key": DEMO_ADMIN_KEY, "organization": "org-northwind"}
