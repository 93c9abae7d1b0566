"""The Anthropic get layer: the Admin API client and the get_* calls (paging only, no transform)."""

from __future__ import annotations

from typing import Any

from nhi_cli.kit.connector import CollectContext
from nhi_cli.kit.credentials import admin_key as kit_admin_key
from nhi_cli.kit.http import RestClient

from .settings import DEFAULT_ENDPOINT, AnthropicSettings


def admin_key(settings: AnthropicSettings) -> str:
    return kit_admin_key(settings, "anthropic", "Anthropic")


def make_client(ctx: CollectContext) -> RestClient:
    settings: AnthropicSettings = ctx.settings
    headers = {
        "x-api-key": admin_key(settings),
        "anthropic-version": settings.anthropic_version,
        "content-type": "application/json",
        "user-agent": "nhi",
    }
    return RestClient(settings.endpoint or DEFAULT_ENDPOINT, ctx, label="anthropic", headers=lambda: headers)


def _paged(client: RestClient, path: str, params: dict[str, Any] | None = None) -> list[Any]:
    return list(
        client.paged_cursor(
            path,
            {"limit": 1000, **(params or {})},
            cursor_param="after_id",
            cursor_field="last_id",
            count_as=f"anthropic:GET {path}",
        )
    )


def get_api_keys(client: RestClient) -> list[dict[str, Any]]:
    return _paged(client, "/v1/organizations/api_keys")


def get_workspaces(client: RestClient) -> tuple[list[dict[str, Any]], set[str | None]]:
    """Every Workspace (archived ones included) and the id(s) of the default one."""
    everything = _paged(client, "/v1/organizations/workspaces", {"include_archived": "true", "include_default": "true"})
    named = {
        w.get("id")
        for w in _paged(client, "/v1/organizations/workspaces", {"include_archived": "true"})
        if isinstance(w, dict)
    }
    return everything, {w.get("id") for w in everything if isinstance(w, dict)} - named


def get_users(client: RestClient) -> list[dict[str, Any]]:
    return _paged(client, "/v1/organizations/users")
