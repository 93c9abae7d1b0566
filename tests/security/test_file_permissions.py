"""Files nhi writes are its owner's only: the inventory, its -wal/-shm journal, and the
reports and revoke plans written with --output / --plan-out (they map an estate's weak
points: admin keys, unused credentials, where keys were copied)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from tests.conftest import invoke

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def scanned(tmp_path):
    """A small real inventory: one MCP config with a planted key (a finding, a credential)."""
    project = tmp_path / "proj"
    project.mkdir()
    key = "sk-proj-Pm4Qn7Rs1Tu3Vw5Xy7Za9Bc1De3Fg5Hi7Jk9T3BlbkFJLm1No3Pq5"
    (project / ".mcp.json").write_text(
        json.dumps({"mcpServers": {"llm": {"command": "x", "env": {"OPENAI_API_KEY": key}}}})
    )
    Path("nhi.yaml").write_text(json.dumps({"providers": {"mcp": {"discover": False, "paths": [str(project)]}}}))
    old = os.umask(0o022)  # a usual umask: files would be world-readable by default
    try:
        result = invoke("scan")
        assert result.code in (0, 1), result.err
        yield tmp_path
    finally:
        os.umask(old)


def test_the_inventory_and_its_journal_files_are_owner_only(scanned):
    from nhi_cli.store import open_store

    store = open_store(scanned / "nhi.db")
    try:
        with store.transaction() as conn:  # a write: SQLite creates -wal and -shm beside the file
            conn.execute("UPDATE scan_run SET operator = operator")
        journal = [p for p in (scanned / "nhi.db-wal", scanned / "nhi.db-shm") if p.exists()]
        assert journal, "WAL mode keeps -wal/-shm while a connection is open"
        for path in [scanned / "nhi.db", *journal]:
            assert mode(path) == 0o600, f"{path.name} is {oct(mode(path))}"
    finally:
        store.close()


@pytest.mark.parametrize("fmt", ["json", "sarif", "markdown", "csv", "html"])
def test_reports_written_with_output_are_owner_only(scanned, fmt):
    target = scanned / f"report.{fmt}"
    assert invoke("report", "-f", fmt, "-o", str(target)).code == 0
    assert mode(target) == 0o600


def test_an_existing_world_readable_report_becomes_owner_only_when_rewritten(scanned):
    target = scanned / "report.json"
    target.write_text("{}")
    target.chmod(0o644)
    assert invoke("report", "-f", "json", "-o", str(target)).code == 0
    assert mode(target) == 0o600 and json.loads(target.read_text())


def test_scan_output_diff_output_and_revoke_plans_are_owner_only(scanned):
    assert invoke("scan", "-f", "sarif", "-o", str(scanned / "scan.sarif")).code in (0, 1)
    assert invoke("diff", "-f", "json", "-o", str(scanned / "diff.json")).code == 0
    identity = json.loads(invoke("query", "SELECT id FROM v_identities", "-f", "json").out)[0]["id"]
    invoke("revoke", identity, "--plan-out", str(scanned / "plan.json"))
    written = [p for p in (scanned / "scan.sarif", scanned / "diff.json", scanned / "plan.json") if p.exists()]
    assert {p.name for p in written} >= {"scan.sarif", "diff.json"}
    for path in written:
        assert mode(path) == 0o600, f"{path.name} is {oct(mode(path))}"
