"""Connectors are found through the ``nhi.connectors`` entry-point group.

The built-ins register there the same way a third-party package would, and nothing is
imported until a connector is asked for by name.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from nhi_cli.errors import ConfigError, NhiError

if TYPE_CHECKING:  # types only: this module stays cheap to import
    from nhi_cli.config import Config
    from nhi_cli.kit.connector import Connector, ConnectorSettings

GROUP = "nhi.connectors"


def available() -> list[str]:
    return sorted({ep.name for ep in entry_points(group=GROUP)})


def load(name: str) -> type[Connector]:
    matches = [ep for ep in entry_points(group=GROUP) if ep.name == name]
    if not matches:
        raise ConfigError(f"unknown provider {name!r}; known providers: {', '.join(available())}")
    try:
        connector_cls: type[Connector] = matches[0].load()
        return connector_cls
    except Exception as exc:  # a broken plugin is named, not a traceback
        raise NhiError(f"cannot load connector {name!r} ({matches[0].value}): {exc}") from exc


def connector_for(config: Config, name: str) -> tuple[Connector, ConnectorSettings]:
    """(connector instance, validated settings) for provider ``name`` from ``config``.

    The one way a scan (nhi_cli/scan.py) and a revoke (nhi_cli/revoke/context.py) build a
    connector, so both talk to the same endpoint, profile and accounts. A provider ``config``
    does not configure gets its default settings."""
    connector_cls = load(name)
    return connector_cls(), config.provider_settings(name, connector_cls)
