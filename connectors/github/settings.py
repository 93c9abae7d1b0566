"""The GitHub connector's settings: ``providers.github`` in nhi.yaml, and the endpoints they imply."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from nhi_cli.kit.connector import ConnectorSettings

DEFAULT_ENDPOINT = "https://api.github.com"


class GithubSettings(ConnectorSettings):
    orgs: list[str] = []  # empty: the orgs the app is installed in, or the token's orgs
    token: SecretStr | None = None  # else GITHUB_TOKEN
    app_id: str | None = None
    app_private_key: SecretStr | None = None  # PEM text; or app_private_key_path
    app_private_key_path: Path | None = None
    installation_id: int | None = None  # else looked up per org (GET /orgs/{org}/installation)
    graphql_endpoint: str | None = None  # default: derived from endpoint (GHES: /api/graphql)
    deploy_keys: str = "graphql"  # graphql (repos with keys found 100 per call) or rest (every repo)


def rest_base(settings: GithubSettings) -> str:
    return (settings.endpoint or DEFAULT_ENDPOINT).rstrip("/")


def graphql_url(settings: GithubSettings) -> str:
    """github.com: https://api.github.com/graphql; GHES: https://HOST/api/graphql."""
    if settings.graphql_endpoint:
        return settings.graphql_endpoint
    base = rest_base(settings)
    return base[: -len("/v3")] + "/graphql" if base.endswith("/api/v3") else base + "/graphql"
