"""Azure tests: the real connector, with an injected static token, against AzureFake serving the
recorded, sanitized Graph and ARM payloads in fixtures/azure/ (helpers in azure_helpers.py)."""

from __future__ import annotations

import pytest
from azure_helpers import FIXTURES

from nhi_cli.kit.times import load_relative_estate
from nhi_cli.model import utcnow
from nhi_connectors.azure.fake import AzureFake


@pytest.fixture
def azure():
    """A started fake with pages of two items, so every Graph and ARM list is paged."""
    with AzureFake(load_relative_estate(FIXTURES / "tenant.json", utcnow()), page_size=2) as fake:
        yield fake
