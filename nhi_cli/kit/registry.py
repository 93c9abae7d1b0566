"""Connectors are found through the ``nhi.connectors`` entry-point group.

The built-ins register there the same way a third-party package would, and nothing is
imported until a connector is asked for by name.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from nhi_cli.errors import ConfigError, NhiError

GROUP = "nhi.connectors"


def available() -> list[str]:
    return sorted({ep.name for ep in entry_points(group=GROUP)})


def load(name: str):
    matches = [ep for ep in entry_points(group=GROUP) if ep.name == name]
    if not matches:
        raise ConfigError(f"unknown provider {name!r}; known providers: {', '.join(available())}")
    try:
        return matches[0].load()
    except Exception as exc:  # a broken plugin is named, not a traceback
        raise NhiError(f"cannot load connector {name!r} ({matches[0].value}): {exc}") from exc


def connector_for(config, name: str):
    """(connector instance, validated settings) for provider ``name`` from ``config``.

    The one way a scan (nhi_cli/scan.py) and a revoke (nhi_cli/revoke/context.py) build a
    connector, so both talk to the same endpoint, profile and accounts. ``config`` is a
    nhi_cli.config.Config; a provider it does not configure gets its default settings."""
    connector_cls = load(name)
    return connector_cls(), config.provider_settings(name, connector_cls)
