"""OpenAI organization through the Admin API: projects, project API keys, service accounts and
Admin keys. Auth: an Admin key (OPENAI_ADMIN_KEY or ``admin_key:``); ``endpoint`` overrides
https://api.openai.com/v1. One scope: the organization. Revoke deletes a key (irreversible).
"""
from __future__ import annotations

from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from pydantic import SecretStr

from nhi_cli.connector import CollectContext, Connector, ConnectorSettings, RevokeStep, ScopeFailed, StepOutcome
from nhi_cli.model import Batch, Scope

from ..credentials import admin_key

DEFAULT_ENDPOINT = "https://api.openai.com/v1"


class OpenAISettings(ConnectorSettings):
    admin_key: SecretStr | None = None  # else OPENAI_ADMIN_KEY
    organization: str = "default"  # the scope's name in the inventory (e.g. your org id org-...)
    include_archived_projects: bool = False


def _admin_key(settings: OpenAISettings) -> str:
    return admin_key(settings, "openai", "OpenAI")


def make_client(ctx: CollectContext):
    from nhi_cli.http import RestClient

    settings: OpenAISettings = ctx.settings
    headers = {"Authorization": f"Bearer {_admin_key(settings)}", "Content-Type": "application/json", "User-Agent": "nhi"}
    return RestClient(settings.endpoint or DEFAULT_ENDPOINT, ctx, label="openai", headers=lambda: headers)


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
        _admin_key(ctx.settings)  # fail early, once, when there is no key at all
        return [Scope("openai", ctx.settings.organization, ctx.settings.organization)]

    def collect(self, ctx: CollectContext, scope: Scope) -> Batch:
        from . import collect as c

        settings: OpenAISettings = ctx.settings
        batch = Batch()
        try:
            with make_client(ctx) as client:
                # Projects first: a 401/403 here denies the whole scope.
                for project in c.get_projects(client, settings.include_archived_projects):
                    batch.extend(c.transform_service_accounts(scope.id, project, c.get_service_accounts(client, project["id"])))
                    batch.extend(c.transform_project_keys(scope.id, project, c.get_project_api_keys(client, project["id"])))
                batch.extend(c.transform_admin_keys(scope.id, c.get_admin_keys(client), _admin_key(settings)))
        except (ValueError, KeyError) as exc:
            raise ScopeFailed("malformed_response", str(exc)) from None
        return batch

    def plan_revoke(self, ctx: CollectContext, target: dict[str, Any], options: dict[str, Any]) -> list[RevokeStep]:
        from .revoke import plan

        return plan(target, options)

    def execute_step(self, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
        from .revoke import execute

        return execute(ctx, step, make_client)

    def restore_step(self, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
        return StepOutcome("skipped", "a deleted OpenAI key cannot be restored")

    @classmethod
    def demo(cls, stack: ExitStack, estate: Path, now: datetime) -> dict[str, Any] | None:
        from .fake import DEMO_ADMIN_KEY, OpenAIFake

        fake = stack.enter_context(OpenAIFake.from_dir(estate / "openai", now=now, admin_keys={DEMO_ADMIN_KEY}))
        return {"endpoint": fake.url + "/v1", "admin_key": DEMO_ADMIN_KEY, "organization": "org-northwind"}
