"""Secrets a connector reads from nhi.yaml or, failing that, from the environment.

One place for the rule every key-based connector follows (the OpenAI and Anthropic Admin keys,
a GitHub token): a value under ``providers.<name>`` wins, else the provider's usual
environment variable; none at all is ``AuthFailed`` once, before any scope.
"""

from __future__ import annotations

import os
from typing import Protocol

from pydantic import SecretStr

from nhi_cli.kit.connector import AuthFailed


class AdminKeySettings(Protocol):
    """Settings of a connector authenticated by an Admin API key (OpenAI, Anthropic)."""

    @property
    def admin_key(self) -> SecretStr | None: ...


def secret_setting(value: SecretStr | None, env: str) -> str | None:
    """The configured secret, else the environment variable ``env``; None when neither is set."""
    return (value.get_secret_value() if value else os.environ.get(env)) or None


def admin_key(settings: AdminKeySettings, provider: str, title: str) -> str:
    """The Admin API key from ``providers.<provider>.admin_key`` or ``<PROVIDER>_ADMIN_KEY``."""
    env = f"{provider.upper()}_ADMIN_KEY"
    key = secret_setting(settings.admin_key, env)
    if not key:
        raise AuthFailed("no_credentials", f"no {title} Admin key: set {env} or providers.{provider}.admin_key")
    return key
