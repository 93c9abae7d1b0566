"""The Anthropic connector's settings: ``providers.anthropic`` in nhi.yaml."""

from __future__ import annotations

from pydantic import SecretStr

from nhi_cli.kit.connector import ConnectorSettings

DEFAULT_ENDPOINT = "https://api.anthropic.com"


class AnthropicSettings(ConnectorSettings):
    admin_key: SecretStr | None = None  # else ANTHROPIC_ADMIN_KEY
    organization: str = "default"  # the scope's name in the inventory
    anthropic_version: str = "2023-06-01"
