"""The OpenAI get layer: the Admin API client and the get_* calls (paging only, no transform)."""

from __future__ import annotations

from nhi_cli.kit.connector import CollectContext
from nhi_cli.kit.credentials import admin_key as kit_admin_key

from .settings import DEFAULT_ENDPOINT, OpenAISettings


def admin_key(settings: OpenAISettings) -> str:
    return kit_admin_key(settings, "openai", "OpenAI")


def make_client(ctx: CollectContext):
    from nhi_cli.kit.http import RestClient

    settings: OpenAISettings = ctx.settings
    headers = {
        "Authorization": f"Bearer {admin_key(settings)}",
        "Content-Type": "application/json",
        "User-Agent": "nhi",
    }
    return RestClient(settings.endpoint or DEFAULT_ENDPOINT, ctx, label="openai", headers=lambda: headers)


# --- get ------------------------------------------------------------------------------------
def get_projects(client, include_archived: bool) -> list[dict]:
    return list(
        client.paged_cursor(
            "/organization/projects",
            {"limit": 100, "include_archived": str(include_archived).lower()},
            count_as="openai:GET /organization/projects",
        )
    )


def get_project_api_keys(client, project_id: str) -> list[dict]:
    # owner_project_access=any: without it OpenAI hides keys whose owner lost access to the project
    return list(
        client.paged_cursor(
            f"/organization/projects/{project_id}/api_keys",
            {"limit": 100, "owner_project_access": "any"},
            count_as="openai:GET /organization/projects/{id}/api_keys",
        )
    )


def get_service_accounts(client, project_id: str) -> list[dict]:
    return list(
        client.paged_cursor(
            f"/organization/projects/{project_id}/service_accounts",
            {"limit": 100},
            count_as="openai:GET /organization/projects/{id}/service_accounts",
        )
    )


def get_admin_keys(client) -> list[dict]:
    return list(
        client.paged_cursor(
            "/organization/admin_api_keys", {"limit": 100}, count_as="openai:GET /organization/admin_api_keys"
        )
    )


def get_users(client) -> list[dict]:
    """Organization users: an Admin key's ``owner`` carries no e-mail, its user here does."""
    return list(client.paged_cursor("/organization/users", {"limit": 100}, count_as="openai:GET /organization/users"))
