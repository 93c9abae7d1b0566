"""Issue 20 item 7: the inventory file is its owner's, opens exactly the path given, and reads
work where nothing can be written.

- an empty 0666 nhi.db pre-created by another user in a shared directory is not adopted (it
  would hand that user every scan written into it);
- a symlink to an empty file is not written through;
- an inventory of ours that others can read is made owner-only;
- ``--db 'inv#1?x.db'`` is that file, for writes and for the read-only connections alike;
- on a directory nhi cannot write (as a read-only file system), `nhi report` and `nhi query` work.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from nhi_cli.errors import ExitCode
from tests.conftest import invoke

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX owners and modes")
KEY = "sk-proj-Pm4Qn7Rs1Tu3Vw5Xy7Za9Bc1De3Fg5Hi7Jk9T3BlbkFJLm1No3Pq5"


@pytest.fixture
def project(tmp_path) -> Path:
    project = tmp_path / "proj"
    project.mkdir()
    (project / ".mcp.json").write_text(
        json.dumps({"mcpServers": {"llm": {"command": "x", "env": {"OPENAI_API_KEY": KEY}}}})
    )
    return project


def scan(project, *db):
    return invoke(*(("--db", db[0]) if db else ()), "scan", "--mcp-path", str(project))


def refused(result, fragment):
    assert result.code == ExitCode.CANNOT_RUN, (result.code, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], result.err


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="planting another user's file needs root")
def test_an_empty_inventory_planted_by_another_user_is_not_adopted(project, tmp_path):
    planted = tmp_path / "nhi.db"
    planted.touch()
    os.chmod(planted, 0o666)
    os.chown(planted, 4242, 4242)
    refused(scan(project), "owned by another user")
    assert planted.stat().st_size == 0


def test_a_symlink_to_an_empty_file_is_not_written_through(project, tmp_path):
    victim = tmp_path / "victim"
    victim.touch()
    (tmp_path / "nhi.db").symlink_to(victim)
    refused(scan(project), "symlink to an empty file")
    assert victim.stat().st_size == 0


def test_our_inventory_readable_by_others_is_made_owner_only(project, tmp_path):
    assert scan(project).code in (0, 1)
    os.chmod(tmp_path / "nhi.db", 0o644)
    assert scan(project).code in (0, 1)
    assert stat.S_IMODE((tmp_path / "nhi.db").stat().st_mode) == 0o600


def test_a_path_with_hash_and_question_mark_is_exactly_that_file(project, tmp_path):
    name = "inv#1?x.db"
    assert scan(project, name).code in (0, 1)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("inv")) == [name]
    # the read-only connections (query, report) open it too, not "inv" or "inv#1"
    result = invoke("--db", name, "query", "SELECT COUNT(*) AS n FROM scan_run", "-f", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out) == [{"n": 1}]
    assert invoke("--db", name, "report", "-f", "json").code in (0, 1)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("inv")) == [name]


@pytest.fixture
def read_only_copy(project, tmp_path):
    """A scanned inventory copied onto a read-only file system: a real read-only tmpfs mount when
    we may mount (root in a container), else a directory we cannot write (what SQLite sees on a
    read-only mount: no -shm can be created)."""
    assert scan(project).code in (0, 1)
    ro = Path(tempfile.mkdtemp(prefix="nhi-ro-"))
    mounted = (
        os.geteuid() == 0
        and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=8m", "nhi-test", str(ro)], capture_output=True
        ).returncode
        == 0
    )
    if os.geteuid() == 0 and not mounted:
        shutil.rmtree(ro)
        pytest.skip("root can write any directory, and mounting is not allowed here")
    shutil.copy(tmp_path / "nhi.db", ro / "nhi.db")
    if mounted:
        subprocess.run(["mount", "-o", "remount,ro", str(ro)], check=True)
    else:
        os.chmod(ro, 0o555)
    try:
        yield ro / "nhi.db"
    finally:
        if mounted:
            subprocess.run(["umount", str(ro)], check=True)
        os.chmod(ro, 0o755)
        shutil.rmtree(ro)


def test_read_only_commands_work_on_a_read_only_file_system(read_only_copy):
    for args in (
        ["query", "SELECT COUNT(*) AS n FROM v_credentials", "-f", "json"],
        ["report", "-f", "json"],
        ["findings", "list", "-f", "json"],
        ["inventory", "list", "-f", "json"],
    ):
        result = invoke("--db", read_only_copy, *args)
        assert result.code in (0, 1), (args, result.err)
        json.loads(result.out)
    assert sorted(p.name for p in read_only_copy.parent.iterdir()) == ["nhi.db"]  # no -wal, -shm
    # a command that writes says so in one line
    result = invoke("--db", read_only_copy, "scan", "--mcp-path", str(read_only_copy.parent))
    errors = [line for line in result.err.splitlines() if line.startswith("nhi:")]  # not progress lines
    assert result.code == ExitCode.CANNOT_RUN and len(errors) == 1, result.err
    assert "internal error" not in result.err
