"""Who pressed the kill switch, and how nhi knows.

The name is only as good as where it came from, so the log keeps both: ``--operator`` (said
on the command line), an environment variable (``NHI_OPERATOR``, a CI system's actor,
``USER``), or the login name of the process. Where a connector can say which cloud principal
its calls were signed as (AWS: STS GetCallerIdentity), that is logged too, after the steps,
so asking never delays the kill.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass

from nhi_cli.revoke.context import Connectors

ENV_VARS = ("NHI_OPERATOR", "GITHUB_ACTOR", "GITLAB_USER_LOGIN", "USER", "USERNAME")


@dataclass(frozen=True)
class Operator:
    name: str
    source: str  # "--operator", "env USER", "login", ...


def current_operator(flag: str | None = None) -> Operator:
    if flag and flag.strip():
        return Operator(flag.strip(), "--operator")
    for var in ENV_VARS:
        if os.environ.get(var):
            return Operator(os.environ[var], f"env {var}")
    try:
        return Operator(getpass.getuser(), "login")
    except Exception:
        return Operator("unknown", "unknown")


def caller_principals(connectors: Connectors, providers: list[str]) -> dict[str, str]:
    """provider -> the principal its calls were made as, for connectors that can tell; a
    failure to ask is left out (it never fails the revoke)."""
    found = {}
    for provider in providers:
        try:
            connector, ctx = connectors.get(provider)
            principal = connector.caller_identity(ctx)
        except Exception:  # an identity lookup must never turn a done revoke into an error
            continue
        if principal:
            found[provider] = str(principal)
    return found
