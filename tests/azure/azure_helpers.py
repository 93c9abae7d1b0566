"""Azure test helpers (constants, config writer): a uniquely named module, because several test
folders have a conftest.py and `from conftest import ...` would pick whichever loaded first."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from nhi_connectors.azure.fake import AzureFake
from tests.conftest import db_rows  # noqa: F401  (re-exported for the Azure tests)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "azure"
SUB_A = "aaaaaaaa-0000-4000-8000-00000000000a"
SUB_B = "bbbbbbbb-0000-4000-8000-00000000000b"
TENANT = "11111111-2222-4333-8444-0000000000aa"
PLANTED = "PLANTED~azureSecretValue~DoNotStore~Q7v9Xk2Lm4Np6Rt8"


def sp_id(n: int) -> str:
    return f"5e7a1000-0000-4000-8000-{n:012d}"


def app_id(n: int) -> str:
    return f"a9900000-0000-4000-8000-{n:012d}"


def write_config(fake: AzureFake, **settings) -> Path:
    path = Path("nhi.yaml")
    path.write_text(yaml.safe_dump({"version": 1, "providers": {"azure": fake.settings(**settings)}}))
    return path


def scopes_of(out: str) -> dict[str, dict]:
    return {s["scope"]: s for s in json.loads(out)["scopes"] if s["provider"] == "azure"}
