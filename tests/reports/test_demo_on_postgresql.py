"""The whole demo estate scanned into PostgreSQL gives what it gives in SQLite: the same
findings, agents and report, compared as JSON. The two scans are separate runs, so what
differs by nature is set aside first: clocks, durations and API-call counts (a busy machine
makes an SDK retry), and the temporary home directory the MCP demo scans."""

from __future__ import annotations

import json
import re

import pytest

VOLATILE = {
    "first_seen",
    "last_seen",
    "started_at",
    "finished_at",
    "generated_at",
    "duration_ms",
    "resolved_at",
    "api_calls",
    "api_call_total",
}
TEMP_HOME = re.compile(r"/tmp/nhi-demo-mcp-[^/\s\"']+")


def _stable(value):
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    if isinstance(value, str):
        return TEMP_HOME.sub("<demo home>", value)
    return value


def _differences(a, b, path="") -> list[str]:
    """Where two JSON documents differ (for the assertion message)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b)) for d in _differences(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"[:300]]


def _json(nhi, *args):
    result = nhi(*args)
    assert result.code in (0, 1), result.err
    return _stable(json.loads(result.out))


@pytest.mark.slow
def test_demo_into_postgresql_matches_sqlite(nhi, pg_url, tmp_path, monkeypatch):
    monkeypatch.setenv("NHI_SECRET_SALT", "demo-engines-compare-salt")  # ids of secrets found in configs
    sqlite_db = str(tmp_path / "nhi.db")
    for db in (sqlite_db, pg_url):
        scanned = nhi("scan", "--demo", "--db", db, "--quiet")
        assert scanned.code in (0, 1), scanned.err
        assert "pg-test-Secret" not in scanned.out + scanned.err
    for command in (("findings", "list"), ("agents", "list"), ("report",)):
        on_sqlite = _json(nhi, *command, "--db", sqlite_db, "--format", "json")
        on_postgres = _json(nhi, *command, "--db", pg_url, "--format", "json")
        assert on_postgres == on_sqlite, (command, _differences(on_sqlite, on_postgres))
    findings = _json(nhi, "findings", "list", "--db", pg_url, "--format", "json")
    assert len(findings) > 100 and {f["rule_id"] for f in findings} >= {"admin_grant", "credential_max_age"}

    # revoke's plan and log work on the shared inventory too (a dry run changes nothing); the log
    # and the revoke key of a PostgreSQL inventory are the operator's own, under XDG_CONFIG_HOME
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    dry = nhi("revoke", "--demo", "--dry-run", "--agent", "ops-copilot", "--db", pg_url, "--yes")
    assert dry.code == 0, dry.err
    assert "dry run recorded as revocation 1" in dry.err
    log = json.loads(nhi("revoke", "log", "--db", pg_url, "--format", "json").out)
    assert [(r["id"], r["status"], r["dry_run"], r["integrity"]) for r in log] == [(1, "dry_run", True, "ok")]
    keys = list((tmp_path / "config" / "nhi" / "revoke").glob("*.revoke-key"))
    assert len(keys) == 1 and oct(keys[0].stat().st_mode & 0o777) == "0o600"
