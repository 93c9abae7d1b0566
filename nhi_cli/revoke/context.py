"""The connector that owns a credential, with a context built the way a scan builds it.

Connector and settings come from ``registry.connector_for``, the function `nhi scan` builds
its connectors with (nhi_cli/scan.py ``plan_scan``), so a revoke talks to the same endpoint,
profile and accounts the scan read. A provider that is not configured gets its default
settings (the standard credential chain).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from nhi_cli import extras
from nhi_cli.config import Config
from nhi_cli.kit import registry
from nhi_cli.kit.connector import CollectContext, Connector, ScanOptions


@dataclass
class Connectors:
    """One connector instance and one context per provider, for the length of a command."""

    config: Config
    now: datetime
    salt: str = ""
    options: ScanOptions = field(default_factory=ScanOptions)
    cancel: threading.Event = field(default_factory=threading.Event)
    _made: dict[str, tuple[Connector, CollectContext]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, provider: str) -> tuple[Connector, CollectContext]:
        """(connector, ctx); raises NhiError when the connector cannot be loaded."""
        with self._lock:
            if provider not in self._made:
                extras.require(provider)  # its SDK: one line naming the extra, not a failed step
                connector, settings = registry.connector_for(self.config, provider)
                ctx = CollectContext(
                    now=self.now, settings=settings, secret_salt=self.salt, cancel=self.cancel, options=self.options
                )
                self._made[provider] = (connector, ctx)
            return self._made[provider]

    def calls(self) -> dict[str, int]:
        """API calls made through every context, for `--verbose` and benchmarks."""
        total: dict[str, int] = {}
        for _, ctx in self._made.values():
            for call, n in ctx.calls.items():
                total[call] = total.get(call, 0) + n
        return total
