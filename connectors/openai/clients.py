"""The OpenAI get layer: the Admin API client and the get_* calls (paging only, no transform)."""

from __future__ import annotations

from typing import Any

from nhi_cli.kit.connector import CollectContext
from nhi_cli.kit.credentials import admin_key as kit_admin_key
from nhi_cli.kit.http import RestClient

from .settings import DEFAULT_ENDPOINT, OpenAISettings


def admin_key(settings: OpenAISettings) -> str:
    return kit_admin_key(settings, "openai", "OpenAI")


def make_client(ctx: CollectContext) -> RestClient:
    settings: OpenAISettings = ctx.settings
    headers = {
        "Authorization": f"Bearer {admin_key(settings)}",
        "Content-Type": "application/json",
        "User-Agent": "nhi",
    }
    return RestClient(settings.endpoint or DEFAULT_ENDPOINT, ctx, label="openai", headers=lambda: headers)


# --- get ------------------------------------------------------------------------------------
def _paged(
    client: RestClient, path: str, params: dict[str, Any] | None = None, *, counted: str | None = None
) -> list[dict[str, Any]]:
    """Every item of a cursor-paged list; ``counted`` names the call in the API-call counts when
    ``path`` holds an id (one count per endpoint, not per project)."""
    return list(client.paged_cursor(path, {"limit": 100, **(params or {})}, count_as=f"openai:GET {counted or path}"))


def get_projects(client: RestClient, include_archived: bool) -> list[dict[str, Any]]:
    return _paged(client, "/organization/projects", {"include_archived": str(include_archived).lower()})


def get_project_api_keys(client: RestClient, project_id: str) -> list[dict[str, Any]]:
    # owner_project_access=any: without it OpenAI hides keys whose owner lost access to the project
    return _paged(
        client,
        f"/organization/projects/{project_id}/api_keys",
        {"owner_project_access": "any"},
        counted="/organization/projects/{id}/api_keys",
    )


def get_service_accounts(client: RestClient, project_id: str) -> list[dict[str, Any]]:
    return _paged(
        client,
        f"/organization/projects/{project_id}/service_accounts",
        counted="/organization/projects/{id}/service_accounts",
    )


def get_admin_keys(client: RestClient) -> list[dict[str, Any]]:
    return _paged(client, "/organization/admin_api_keys")


def get_users(client: RestClient) -> list[dict[str, Any]]:
    """Organization users: an Admin key's ``owner`` carries no e-mail, its user here does."""
    return _paged(client, "/organization/users")
