"""The connector that owns a credential, with a context built the way a scan builds it.

Settings come from ``providers.<name>`` in nhi.yaml through ``Config.provider_settings`` and
the connector class from the registry, exactly as `nhi scan` does (nhi_cli/cli/scan.py
``_plan``), so a revoke talks to the same endpoint, profile and accounts the scan read. A
provider that is not configured gets its default settings (the standard credential chain).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from nhi_cli.kit.connector import CollectContext, Connector


@dataclass
class Connectors:
    """One connector instance and one context per provider, for the length of a command."""

    config: Any
    now: datetime
    salt: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    cancel: threading.Event = field(default_factory=threading.Event)
    _made: dict[str, tuple[Connector, CollectContext]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, provider: str) -> tuple[Connector, CollectContext]:
        """(connector, ctx); raises NhiError when the connector cannot be loaded."""
        from nhi_cli.kit import registry

        with self._lock:
            if provider not in self._made:
                connector_cls = registry.load(provider)
                settings = self.config.provider_settings(provider, connector_cls)
                ctx = CollectContext(now=self.now, settings=settings, secret_salt=self.salt,
                                     cancel=self.cancel, options=dict(self.options))
                self._made[provider] = (connector_cls(), ctx)
            return self._made[provider]

    def calls(self) -> dict[str, int]:
        """API calls made through every context, for `--verbose` and benchmarks."""
        total: dict[str, int] = {}
        for _, ctx in self._made.values():
            for call, n in ctx.calls.items():
                total[call] = total.get(call, 0) + n
        return total
