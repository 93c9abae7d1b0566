"""Issue 20 item 6: files written with --output in a shared directory.

The attacker owns a directory entry next to the target (a symlink at the target's name, or at
the temporary name nhi used to pick: ``.NAME.<pid>.tmp``), or names a target that is not a
regular file. The victim file is never touched, the inventory is never overwritten, and a write
error is one line with its exit code (4; 8 for a full disk; 2 for naming the inventory)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest

from nhi_cli.errors import ExitCode
from tests.conftest import db_rows, invoke

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX files")


@pytest.fixture
def inventory(tmp_path):
    project = tmp_path / "proj"
    project.mkdir()
    key = "sk-proj-Pm4Qn7Rs1Tu3Vw5Xy7Za9Bc1De3Fg5Hi7Jk9T3BlbkFJLm1No3Pq5"
    (project / ".mcp.json").write_text(
        json.dumps({"mcpServers": {"llm": {"command": "x", "env": {"OPENAI_API_KEY": key}}}})
    )
    result = invoke("scan", "--mcp-path", str(project))
    assert result.code in (0, 1), result.err
    return tmp_path / "nhi.db"


def one_error_line(result, code):
    assert result.code == code, (result.code, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nhi: error: "), result.err
    assert "internal error" not in lines[0]
    return lines[0]


def test_symlinks_at_the_target_and_at_the_old_temporary_name_are_not_written_through(inventory, tmp_path):
    victim = tmp_path / "victim.conf"
    victim.write_text("root-owned settings\n")
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "report.html").symlink_to(victim)
    (shared / f".report.html.{os.getpid()}.tmp").symlink_to(victim)  # the name nhi used to pick
    assert invoke("report", "-f", "html", "-o", shared / "report.html").code == 0
    assert victim.read_text() == "root-owned settings\n"
    written = shared / "report.html"
    assert not written.is_symlink() and "<html" in written.read_text().lower()
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert [p.name for p in shared.iterdir() if p.name.endswith(".tmp") and not p.is_symlink()] == []


def test_a_target_that_is_not_a_regular_file_is_refused_and_left_alone(inventory, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    line = one_error_line(invoke("report", "-f", "json", "-o", fifo), ExitCode.CANNOT_RUN)
    assert "not a regular file" in line
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    if os.geteuid() == 0:  # a device node of our own, like /dev/null (never the real one)
        device = tmp_path / "null"
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        one_error_line(invoke("report", "-o", device, "-f", "csv"), ExitCode.CANNOT_RUN)
        assert stat.S_ISCHR(os.lstat(device).st_mode)
    one_error_line(invoke("findings", "baseline", "-o", fifo), ExitCode.CANNOT_RUN)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@pytest.mark.parametrize(
    "args", [("report", "-f", "json", "-o"), ("findings", "baseline", "-o"), ("diff", "-f", "json", "-o")]
)
def test_the_inventory_itself_is_never_an_output(inventory, args):
    before = inventory.read_bytes()
    line = one_error_line(invoke(*args, inventory), ExitCode.USAGE)
    assert "is an nhi inventory" in line
    assert inventory.read_bytes() == before
    assert db_rows("SELECT COUNT(*) AS n FROM scan_run")[0]["n"] == 1


def test_a_full_standard_output_is_one_line_and_exit_8(inventory, tmp_path):
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "nhi_cli", "report", "-f", "json"],
            cwd=tmp_path,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    assert done.returncode == ExitCode.NO_SPACE, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines == ["nhi: error: cannot write to standard output: No space left on device"], done.stderr
