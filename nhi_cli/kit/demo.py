"""Bring the demo estate up: each provider named in fixtures/demo/nhi.yaml starts its fake.

The estate is data under fixtures/demo/ (one folder per provider plus nhi.yaml). The real
connectors then scan the fakes over their real wire protocols, exactly as they would scan a
real account, so the demo exercises the same code a production scan does.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path

from nhi_cli import extras
from nhi_cli.config import Config, load_config
from nhi_cli.errors import ConfigError, NhiError
from nhi_cli.kit import registry


def estate_dir() -> Path:
    """The demo estate: NHI_DEMO_ESTATE, else the copy shipped in the wheel
    (nhi_cli/demo_estate/, see setup.py), else fixtures/demo/ of a source checkout."""
    override = os.environ.get("NHI_DEMO_ESTATE")
    if override:
        candidates = [Path(override)]
    else:
        package = Path(__file__).resolve().parents[1]  # nhi_cli/
        candidates = [package / "demo_estate", package.parent / "fixtures" / "demo"]
    for path in candidates:
        if (path / "nhi.yaml").is_file():
            return path
    raise NhiError(f"the demo estate is missing ({candidates[0]}/nhi.yaml); reinstall nhi-cli")


# boto3 signs the demo's calls to its loopback fakes (moto, the EKS fake) with these
AWS_DEMO_ENV = {"AWS_ACCESS_KEY_ID": "nhi-demo", "AWS_SECRET_ACCESS_KEY": "nhi-demo", "AWS_DEFAULT_REGION": "us-east-1"}


def fake_aws_credentials(stack: ExitStack) -> None:
    """Fake keys for boto3 while the demo runs (restored by ``stack``): the demo must never
    sign with, or even look for, a real profile."""
    cleared = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL")
    saved = {k: os.environ.get(k) for k in (*AWS_DEMO_ENV, *cleared)}

    def restore() -> None:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    stack.callback(restore)
    for key in cleared:
        os.environ.pop(key, None)
    os.environ.update(AWS_DEMO_ENV)


def require_demo_packages(providers: Iterable[str]) -> None:
    """The demo runs the real connectors against local fakes: it needs every SDK plus moto."""
    missing = [m for m in map(extras.missing_module, providers) if m] + extras.demo_missing()
    if missing:
        raise NhiError(
            f"the demo needs the {missing[0]} package, which is not installed: "
            f"pip install '{extras.DISTRIBUTION}[demo]'"
        )


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
    require_demo_packages(name for name in config.providers if not providers or name in providers)
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
