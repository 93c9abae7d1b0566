"""The CI gate end to end: `nhi scan` over a planted MCP config (the real mcp connector, real
SQLite), --fail-on, suppressions and their expiry, --new-only and baseline files."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta

from nhi_cli.errors import ExitCode
from nhi_cli.rules.gate import exit_code
from tests.rules.conftest import FAKE_PAT, FAKE_PAT_2, write_mcp


def _config(tmp_path, suppressions: str = "") -> str:
    path = tmp_path / "nhi.yaml"
    path.write_text("version: 1\nproviders:\n  mcp:\n    discover: false\n" + suppressions, encoding="utf-8")
    return str(path)


def _suppression(expires: date, rule: str = "credential_in_local_config", resource: str = "mcp-secret:*") -> str:
    return (
        f'suppressions:\n  - rule: {rule}\n    resource: "{resource}"\n    reason: vendor demo token, rotated by the '
        f"vendor\n    owner: dana.lee@northwind.example\n    expires: {expires.isoformat()}\n"
    )


def test_fail_on_high_then_suppressed_then_expired(nhi, tmp_path, mcp_config):
    config = _config(tmp_path)
    first = nhi("scan", "--mcp-path", mcp_config, "--config", config, "--fail-on", "high")
    assert first.code == ExitCode.FINDINGS, first.err
    assert "credential_in_local_config" in first.err and "at or above high" in first.err

    tomorrow = date.today() + timedelta(days=1)
    config = _config(tmp_path, _suppression(tomorrow))
    hidden = nhi("scan", "--mcp-path", mcp_config, "--config", config, "--fail-on", "high", "-q", "-f", "json")
    assert hidden.code == ExitCode.OK, hidden.err
    summary = json.loads(hidden.out)["findings"]
    assert summary["suppressed"] == 1 and summary["open"] == 0 and summary["gating"] == []
    listed = json.loads(nhi("findings", "list", "--status", "suppressed", "-f", "json").out)
    assert [r["status"] for r in listed] == ["suppressed"]

    config = _config(tmp_path, _suppression(date.today() - timedelta(days=1)))
    expired = nhi("scan", "--mcp-path", mcp_config, "--config", config, "--fail-on", "high")
    assert expired.code == ExitCode.FINDINGS
    assert "expired on" in expired.err and "no longer hides its 1 finding" in expired.err
    conn = sqlite3.connect(tmp_path / "nhi.db")
    rows = conn.execute("SELECT scan_id, expired, matched FROM scan_suppression ORDER BY scan_id").fetchall()
    assert rows == [(2, 0, 1), (3, 1, 1)]
    # one finding across the three scans: the same fingerprint, first seen in scan 1
    assert conn.execute("SELECT COUNT(*), MIN(first_scan), MAX(last_scan) FROM finding").fetchone() == (1, 1, 3)
    assert conn.execute("SELECT suppressed FROM finding_occurrence ORDER BY scan_id").fetchall() == [(0,), (1,), (0,)]


def test_fail_on_threshold_above_the_findings_passes(nhi, tmp_path, mcp_config):
    result = nhi("scan", "--mcp-path", mcp_config, "--config", _config(tmp_path), "--fail-on", "critical", "-q")
    assert result.code == ExitCode.OK, result.err
    assert nhi("scan", "--mcp-path", mcp_config, "--config", _config(tmp_path), "-q").code == ExitCode.OK


def test_new_only_gates_on_findings_new_since_the_previous_scan(nhi, tmp_path, mcp_config):
    config = _config(tmp_path)
    assert nhi("scan", "--mcp-path", mcp_config, "--config", config, "--fail-on", "high", "--new-only", "-q").code == 1
    again = nhi("scan", "--mcp-path", mcp_config, "--config", config, "--fail-on", "high", "--new-only", "-q")
    assert again.code == ExitCode.OK, again.err
    write_mcp(mcp_config, FAKE_PAT, FAKE_PAT_2)
    grown = nhi("scan", "--mcp-path", mcp_config, "--config", config, "--fail-on", "high", "--new-only")
    assert grown.code == ExitCode.FINDINGS
    assert "1 new finding(s)" in grown.err
    new = json.loads(nhi("findings", "list", "--new", "-f", "json").out)
    assert len(new) == 1 and new[0]["new"] is True


def test_bad_baseline_and_option_misuse_exit_2_before_scanning(nhi, tmp_path, mcp_config):
    config = _config(tmp_path)
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    bad = nhi(
        "scan", "--mcp-path", mcp_config, "--config", config, "--fail-on", "high", "--baseline", tmp_path / "bad.json"
    )
    assert bad.code == ExitCode.USAGE and "bad.json:1: baseline is not valid JSON" in bad.err
    missing = nhi("scan", "--mcp-path", mcp_config, "--config", config, "--new-only")
    assert missing.code == ExitCode.USAGE and "need --fail-on" in missing.err
    assert not (tmp_path / "nhi.db").exists()


def test_resolved_when_the_secret_is_removed_and_no_secret_is_stored(nhi, tmp_path, mcp_config):
    config = _config(tmp_path)
    nhi("scan", "--mcp-path", mcp_config, "--config", config, "-q")
    write_mcp(mcp_config)
    nhi("scan", "--mcp-path", mcp_config, "--config", config, "-q")
    resolved = json.loads(nhi("findings", "list", "--status", "resolved", "-f", "json").out)
    assert [r["rule_id"] for r in resolved] == ["credential_in_local_config"]
    assert json.loads(nhi("findings", "list", "-f", "json").out) == []
    data = b"".join(p.read_bytes() for p in tmp_path.glob("nhi.db*"))
    assert FAKE_PAT.encode() not in data and FAKE_PAT[4:-4].encode() not in data


def test_exit_codes_combine_rule_errors_then_incomplete_then_findings():
    gating = [{"severity": "high"}]
    assert exit_code(rule_errors=True, complete=False, allow_partial=False, gating=gating) == ExitCode.USAGE
    assert exit_code(rule_errors=False, complete=False, allow_partial=False, gating=gating) == ExitCode.INCOMPLETE
    assert exit_code(rule_errors=False, complete=False, allow_partial=True, gating=gating) == ExitCode.FINDINGS
    assert exit_code(rule_errors=False, complete=False, allow_partial=True, gating=[]) == ExitCode.OK
    assert exit_code(rule_errors=False, complete=True, allow_partial=False, gating=[]) == ExitCode.OK


def test_baseline_holds_for_config_secrets_across_fresh_inventories(nhi, tmp_path, mcp_config, monkeypatch):
    """A CI runner keeps no database: with one NHI_SECRET_SALT the secret's finding has the same
    fingerprint in every fresh inventory, so a committed baseline keeps the gate green."""
    monkeypatch.setenv("NHI_SECRET_SALT", "ci-secret-store-value-0123456789")
    first = nhi("--db", tmp_path / "a.db", "scan", "--mcp-path", mcp_config, "--fail-on", "high")
    assert first.code == ExitCode.FINDINGS
    baseline = tmp_path / "baseline.json"
    assert nhi("--db", tmp_path / "a.db", "findings", "baseline", "-o", baseline).code == 0
    fresh = nhi(
        "--db", tmp_path / "b.db", "scan", "--mcp-path", mcp_config, "--fail-on", "high", "--baseline", baseline
    )
    assert fresh.code == ExitCode.OK, fresh.err
    monkeypatch.setenv("NHI_SECRET_SALT", "another-runner-salt-9876543210")  # a different salt: new ids
    other = nhi(
        "--db", tmp_path / "c.db", "scan", "--mcp-path", mcp_config, "--fail-on", "high", "--baseline", baseline
    )
    assert other.code == ExitCode.FINDINGS


def test_a_short_secret_salt_is_refused(nhi, tmp_path, mcp_config, monkeypatch):
    monkeypatch.setenv("NHI_SECRET_SALT", "short")
    result = nhi("--db", tmp_path / "d.db", "scan", "--mcp-path", mcp_config)
    assert result.code == ExitCode.CANNOT_RUN and "NHI_SECRET_SALT must be at least 16" in result.err
