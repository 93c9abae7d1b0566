"""Bring the demo estate up: each provider named in fixtures/demo/nhi.yaml starts its fake.

The estate is data under fixtures/demo/ (one folder per provider plus nhi.yaml). The real
connectors then scan the fakes over their real wire protocols, exactly as they would scan a
real account, so the demo exercises the same code a production scan does.
"""
from __future__ import annotations

import os
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator

from nhi_cli.kit import registry
from nhi_cli.config import Config, load_config
from nhi_cli.errors import ConfigError, NhiError


def estate_dir() -> Path:
    override = os.environ.get("NHI_DEMO_ESTATE")
    path = Path(override) if override else Path(__file__).resolve().parents[2] / "fixtures" / "demo"
    if not (path / "nhi.yaml").is_file():
        raise NhiError(f"the demo estate is missing ({path}/nhi.yaml); run nhi from a source checkout")
    return path


@contextmanager
def demo_estate(now: datetime, providers: list[str] | None = None) -> Iterator[Config]:
    """Start the fakes; yield the demo config pointing every provider at its fake."""
    estate = estate_dir()
    config = load_config(estate / "nhi.yaml")
    # The estate's times are relative ("400 days ago"); anchoring them to the day, not the
    # second, makes two demo scans on one day identical, so `nhi diff` shows only real change.
    now = now.replace(hour=0, minute=0, second=0, microsecond=0)
    unknown = sorted(set(providers or []) - set(config.providers))
    if unknown:
        raise ConfigError(f"--provider {', '.join(unknown)}: not in the demo estate ({', '.join(config.providers)})")
    with ExitStack() as stack:
        for name in list(config.providers):
            if providers and name not in providers:
                config.providers.pop(name)
                continue
            connector_cls = registry.load(name)
            settings = connector_cls.demo(stack, estate, now)
            if settings is None:
                raise NhiError(f"the {name} connector has no demo estate")
            config.providers[name] = {**config.providers[name], **settings}
        yield config
