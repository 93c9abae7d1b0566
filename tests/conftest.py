"""Shared test helpers: run the real CLI in-process and capture what a user would see."""

from __future__ import annotations

import io
import sqlite3
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass

import pytest

from nhi_cli.cli.app import run


@dataclass
class Result:
    code: int
    out: str
    err: str


def invoke(*args: str) -> Result:
    """Run `nhi ARGS...` in-process, as the console script would, and capture its output."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = run([str(a) for a in args])
    return Result(code, out.getvalue(), err.getvalue())


def db_rows(sql: str, *args, db: str = "nhi.db") -> list[dict]:
    """Rows of a read-only query on the inventory the test's scan wrote (./nhi.db by default)."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, args)]
    finally:
        conn.close()


@pytest.fixture
def nhi():
    return invoke


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Every test runs in its own directory with fake AWS credentials and no real config."""
    monkeypatch.chdir(tmp_path)
    for var in ("NHI_DB", "NHI_CONFIG", "NHI_SECRET_SALT", "AWS_PROFILE", "AWS_ENDPOINT_URL", "NHI_ALLOW_ENDPOINTS"):
        monkeypatch.delenv(var, raising=False)
    # The tests of each feature write ./nhi.yaml as its owner would and trust it; the trust
    # model's own tests (tests/security/test_config_trust.py) unset this and prove the default.
    monkeypatch.setenv("NHI_TRUST_CWD_CONFIG", "1")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-user-config"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    yield tmp_path


# PostgreSQL test server (session) and per-test databases: pg_url, store_target
from postgres_server import pg_url, postgres_server, store_target  # noqa: E402,F401
