"""Issue 20 item 8: SQL someone else wrote cannot run forever, ignore Ctrl-C, or create files.

A recursive CTE without an end is the attack: in `nhi query` it stops at the deadline with one
line (exit 2); in a user rule during a scan it is that rule's error (exit 2) while the scan
commits and releases the inventory; Ctrl-C stops it (exit 130). ATTACH and VACUUM INTO, which
create files anywhere even on a read-only connection, are refused."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nhi_cli.errors import ExitCode
from tests.conftest import db_rows, invoke

FOREVER = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT max(i) FROM n"
KEY = "sk-proj-Pm4Qn7Rs1Tu3Vw5Xy7Za9Bc1De3Fg5Hi7Jk9T3BlbkFJLm1No3Pq5"
RULE_YAML = """id: never_ends
title: A rule that never ends
severity: high
property: revocable
description: Counts forever.
risk: None.
remediation: None.
frameworks: {owasp_nhi: [NHI7]}
"""
RULE_SQL = """WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n)
SELECT id AS resource_id, 'identity' AS resource_type, 'Never.' AS reason
FROM v_identities WHERE id IN (SELECT CAST(i AS TEXT) FROM n WHERE i < 0)"""


@pytest.fixture
def inventory(tmp_path) -> Path:
    project = tmp_path / "proj"
    project.mkdir()
    (project / ".mcp.json").write_text(
        json.dumps({"mcpServers": {"llm": {"command": "x", "env": {"OPENAI_API_KEY": KEY}}}})
    )
    result = invoke("scan", "--mcp-path", str(project))
    assert result.code in (0, 1), result.err
    return project


def one_line(result, code) -> str:
    assert result.code == code, (result.code, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    return lines[0]


def test_a_query_that_never_ends_stops_at_its_deadline(inventory, monkeypatch):
    started = time.monotonic()
    line = one_line(invoke("query", FOREVER, "--timeout", "0.5"), ExitCode.USAGE)
    assert "stopped at its deadline of 0.5 s" in line
    monkeypatch.setenv("NHI_QUERY_TIMEOUT", "0.3")
    line = one_line(invoke("query", FOREVER), ExitCode.USAGE)
    assert "deadline of 0.3 s" in line
    assert time.monotonic() - started < 30


@pytest.mark.parametrize(
    "sql", ["ATTACH DATABASE 'planted.db' AS p", "VACUUM INTO 'copy.db'", "SELECT 1; ATTACH 'planted.db' AS p"]
)
def test_query_cannot_attach_or_vacuum_into(inventory, tmp_path, sql):
    result = invoke("query", sql)
    assert result.code == ExitCode.USAGE
    assert not (tmp_path / "planted.db").exists() and not (tmp_path / "copy.db").exists()


def test_query_still_reads_the_views_and_their_columns(inventory):
    result = invoke(
        "query", "SELECT name FROM pragma_table_info('v_credentials') WHERE name = 'age_days'", "-f", "json"
    )
    assert result.code == 0, result.err
    assert json.loads(result.out) == [{"name": "age_days"}]


def test_a_user_rule_that_never_ends_is_a_broken_rule_and_the_scan_still_commits(inventory, tmp_path, monkeypatch):
    rule = tmp_path / "rules" / "never_ends"
    rule.mkdir(parents=True)
    (rule / "rule.yaml").write_text(RULE_YAML)
    (rule / "rule.sql").write_text(RULE_SQL)
    monkeypatch.setenv("NHI_RULE_TIMEOUT", "0.5")
    result = invoke("scan", "--mcp-path", str(inventory), "--rules-dir", str(tmp_path / "rules"))
    assert result.code == ExitCode.USAGE, result.err
    assert "never_ends" in result.err and "deadline of 0.5 s" in result.err
    # the scan committed (two scans now), the built-in rules' findings are there, and nothing holds the lock
    assert db_rows("SELECT COUNT(*) AS n FROM scan_run")[0]["n"] == 2
    assert [
        r["status"] for r in db_rows("SELECT status FROM finding WHERE rule_id = 'credential_in_local_config'")
    ] == ["open"]
    assert invoke("scan", "--mcp-path", str(inventory)).code in (0, 1)


@pytest.mark.skipif(os.name != "posix", reason="SIGINT")
def test_ctrl_c_stops_a_query_that_never_ends(inventory, tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "nhi_cli", "query", FOREVER, "--timeout", "600"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(2.0)  # the interpreter started and SQLite is counting
        assert proc.poll() is None, proc.stderr.read()
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == ExitCode.INTERRUPTED, err
    assert "interrupted" in err and "Traceback" not in err
