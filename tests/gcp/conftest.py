"""GCP test fixtures: the real IAMClient (gRPC) and Resource Manager / Policy Analyzer REST
clients talk to local fakes serving the recorded, sanitized payloads in fixtures/gcp/."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import yaml

from nhi_cli.model import utcnow
from nhi_connectors.gcp.fake import GcpFake

ROOT = Path(__file__).resolve().parents[2]
ESTATE = ROOT / "fixtures" / "gcp" / "estate.json"
NOW = utcnow()  # the scan uses the wall clock; relative fixture times ("now+90d") follow it
# The planted key material in the fixture (base64 and decoded): it must never land anywhere.
PLANTED = ("UExBTlRFRC1GQUtFLUdDUC1QUklWQVRFLUtFWS1ud29wc2NvcGlsb3Q=", "PLANTED-FAKE-GCP-PRIVATE-KEY")


@pytest.fixture
def gcp_fake():
    # page_size 2 forces the service-account and project listings across several pages
    with GcpFake.from_file(ESTATE, NOW, page_size=2) as fake:
        yield fake


@pytest.fixture
def gcp_config(gcp_fake, tmp_path):
    """Write nhi.yaml pointing the gcp connector at the fakes; returns a function to rewrite it."""

    def write(**settings) -> Path:
        section = {**gcp_fake.settings(), "organization": "organizations/410000000001", **settings}
        path = tmp_path / "nhi.yaml"
        path.write_text(yaml.safe_dump({"version": 1, "providers": {"gcp": section}}))
        return path

    write()
    return write


def query(sql: str, *args) -> list[dict]:
    conn = sqlite3.connect("nhi.db")
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, args).fetchall()]
    finally:
        conn.close()


def scopes(out: str) -> dict[str, dict]:
    return {s["scope"]: s for s in json.loads(out)["scopes"]}
