"""One demo inventory (two demo scans) shared by the CLI misuse tests: they only read it."""

from __future__ import annotations

import pytest

from tests.conftest import invoke


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("cli-demo") / "nhi.db"
    for _ in range(2):  # two scans, so "new", diff and --scan have a previous scan
        result = invoke("--db", db, "-q", "scan", "--demo")
        assert result.code == 0, result.err
    return db
