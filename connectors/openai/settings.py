"""The OpenAI connector's settings: ``providers.openai`` in nhi.yaml."""

from __future__ import annotations

from pydantic import SecretStr

from nhi_cli.kit.connector import ConnectorSettings

DEFAULT_ENDPOINT = "https://api.openai.com/v1"


class OpenAISettings(ConnectorSettings):
    admin_key: SecretStr | None = None  # else OPENAI_ADMIN_KEY
    organization: str = "default"  # the scope's name in the inventory (e.g. your org id org-...)
    include_archived_projects: bool = False
