"""Azure tests: the real connector, with an injected static token, against AzureFake serving the
recorded, sanitized Graph and ARM payloads in fixtures/azure/."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from nhi_cli.model import utcnow
from nhi_connectors.azure.fake import AzureFake, load_estate

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "azure"
SUB_A = "aaaaaaaa-0000-4000-8000-00000000000a"
SUB_B = "bbbbbbbb-0000-4000-8000-00000000000b"
TENANT = "11111111-2222-4333-8444-0000000000aa"
PLANTED = "PLANTED~azureSecretValue~DoNotStore~Q7v9Xk2Lm4Np6Rt8"


def sp_id(n: int) -> str:
    return f"5e7a1000-0000-4000-8000-{n:012d}"


def app_id(n: int) -> str:
    return f"a9900000-0000-4000-8000-{n:012d}"


@pytest.fixture
def azure():
    """A started fake with pages of two items, so every Graph and ARM list is paged."""
    with AzureFake(load_estate(FIXTURES / "tenant.json", utcnow()), page_size=2) as fake:
        yield fake


def write_config(fake: AzureFake, **settings) -> Path:
    path = Path("nhi.yaml")
    path.write_text(yaml.safe_dump({"version": 1, "providers": {"azure": fake.settings(**settings)}}))
    return path


from tests.conftest import db_rows  # noqa: E402,F401  (re-exported for the Azure tests)


def scopes_of(out: str) -> dict[str, dict]:
    return {s["scope"]: s for s in json.loads(out)["scopes"] if s["provider"] == "azure"}
