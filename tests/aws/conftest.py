"""AWS test helpers: moto's threaded server on loopback, seeded through its backend, and a
config file pointing the real connector at it. The CLI runs for real (the `nhi` fixture)."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import UTC, datetime

import pytest

from nhi_connectors.aws import fake


@pytest.fixture
def moto_url():
    with ExitStack() as stack:
        yield fake.start_server(stack)


@pytest.fixture
def now():
    return datetime.now(UTC).replace(microsecond=0)
