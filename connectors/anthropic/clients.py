"""The Anthropic get layer: the Admin API client and the get_* calls (paging only, no transform)."""
from __future__ import annotations

from nhi_cli.kit.connector import CollectContext
from nhi_cli.kit.credentials import admin_key as kit_admin_key

from .settings import DEFAULT_ENDPOINT, AnthropicSettings


def admin_key(settings: AnthropicSettings) -> str:
    return kit_admin_key(settings, "anthropic", "Anthropic")


def make_client(ctx: CollectContext):
    from nhi_cli.kit.http import RestClient

    settings: AnthropicSettings = ctx.settings
    headers = {"x-api-key": admin_key(settings), "anthropic-version": settings.anthropic_version,
               "content-type": "application/json", "user-agent": "nhi"}
    return RestClient(settings.endpoint or DEFAULT_ENDPOINT, ctx, label="anthropic", headers=lambda: headers)


def _paged(client, path: str, name: str):
    return list(client.paged_cursor(path, {"limit": 100}, cursor_param="after_id", cursor_field="last_id",
                                    count_as=f"anthropic:GET {name}"))


def get_api_keys(client) -> list[dict]:
    return _paged(client, "/v1/organizations/api_keys", "/v1/organizations/api_keys")


def get_workspaces(client) -> list[dict]:
    return _paged(client, "/v1/organizations/workspaces", "/v1/organizations/workspaces")


def get_users(client) -> list[dict]:
    return _paged(client, "/v1/organizations/users", "/v1/organizations/users")
