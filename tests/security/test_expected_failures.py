"""Issue 20 item 11: a lock held by another process and a full disk are expected conditions:
one line each, their own exit codes (7 and 8), never "internal error", and the inventory as it
was before the run."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import pytest

from nhi_cli.errors import ExitCode
from tests.conftest import db_rows, invoke

KEY = "sk-proj-Pm4Qn7Rs1Tu3Vw5Xy7Za9Bc1De3Fg5Hi7Jk9T3BlbkFJLm1No3Pq5"


@pytest.fixture
def project(tmp_path) -> Path:
    project = tmp_path / "proj"
    project.mkdir()
    servers = {f"s{i}": {"command": "x", "env": {"OPENAI_API_KEY": KEY}} for i in range(3)}
    (project / ".mcp.json").write_text(json.dumps({"mcpServers": servers}))
    return project


def one_line(result, code: int) -> str:
    assert result.code == code, (result.code, result.err)
    # the scan's per-scope progress lines (timestamped, for CI logs) may come first
    lines = [line for line in result.err.strip().splitlines() if line.startswith("nhi:")]
    assert len(lines) == 1 and lines[0].startswith("nhi: error: "), result.err
    assert "internal error" not in lines[0]
    return lines[0]


def test_a_scan_blocked_by_another_writer_stops_at_the_lock_timeout(project, monkeypatch):
    assert invoke("scan", "--mcp-path", str(project)).code in (0, 1)
    other = sqlite3.connect("nhi.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another nhi process in the middle of writing
    try:
        monkeypatch.setenv("NHI_LOCK_TIMEOUT", "0.3")
        line = one_line(invoke("scan", "--mcp-path", str(project)), ExitCode.BUSY)
        assert "locked by another nhi process" in line
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert db_rows("SELECT COUNT(*) AS n FROM scan_run")[0]["n"] == 1


@pytest.fixture
def tiny_disk():
    """A 256 KiB tmpfs: a real ENOSPC (root in a container may mount; otherwise skipped)."""
    where = Path(tempfile.mkdtemp(prefix="nhi-full-"))
    if (
        os.name != "posix"
        or os.geteuid() != 0
        or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=256k", "nhi-test", str(where)], capture_output=True
        ).returncode
    ):
        shutil.rmtree(where)
        pytest.skip("needs to mount a small tmpfs")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)
        shutil.rmtree(where)


def test_a_full_disk_is_one_line_and_exit_8(project, tiny_disk):
    # a larger estate than fits in 256 KiB (the inventory's schema alone takes part of it)
    servers = {
        f"server-{i}": {
            "command": "npx",
            "args": [f"pkg-{i}"] * 20,
            "env": {"OPENAI_API_KEY": KEY, "NOTE": "x" * 200},
        }
        for i in range(400)
    }
    (project / ".mcp.json").write_text(json.dumps({"mcpServers": servers}))
    line = one_line(invoke("--db", tiny_disk / "nhi.db", "scan", "--mcp-path", str(project)), ExitCode.NO_SPACE)
    assert "no space left" in line


def test_a_full_disk_for_a_report_is_one_line_and_exit_8(project, tiny_disk):
    assert invoke("scan", "--mcp-path", str(project)).code in (0, 1)
    (tiny_disk / "filler").write_bytes(b"\0" * (256 * 1024 - 8192))
    line = one_line(invoke("report", "-f", "html", "-o", tiny_disk / "report.html"), ExitCode.NO_SPACE)
    assert "no space left" in line.lower()
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["filler"]  # no temporary file left behind
