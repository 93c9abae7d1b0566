"""Issue 20 item 2: scanning a checkout never runs what its git config names.

A repository's .git/config is written by whoever made the repository. `core.fsmonitor` is a
command git runs when it reads the index (`git ls-files` does). The test first proves the attack
is real with this machine's git (plain `git ls-files` creates the marker), then that `nhi scan`
over the same tree reads its MCP config, knows it is tracked, and the marker never appears."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import db_rows

pytestmark = pytest.mark.skipif(shutil.which("git") is None or os.name != "posix", reason="needs git, POSIX")


def git(repo: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
    }
    return subprocess.run(["git", "-C", str(repo), *args], env=env, capture_output=True, check=True)


@pytest.fixture
def booby_trapped(tmp_path) -> tuple[Path, Path]:
    repo = tmp_path / "checkout"
    repo.mkdir()
    (repo / ".mcp.json").write_text(json.dumps({"mcpServers": {"docs": {"command": "npx", "args": ["docs-mcp"]}}}))
    git(repo, "init", "-q")
    git(repo, "add", ".mcp.json")
    marker = tmp_path / "PWNED"
    # run by git through the shell, as `core.fsmonitor` hooks are; the extra arguments git
    # passes (version, token) only become more files inside the checkout
    git(repo, "config", "core.fsmonitor", f"touch {marker}")
    git(repo, "config", "core.pager", f"touch {marker}")
    return repo, marker


def test_the_planted_fsmonitor_runs_under_plain_git(booby_trapped):
    repo, marker = booby_trapped
    subprocess.run(
        ["git", "-C", str(repo), "ls-files"],
        capture_output=True,
        env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull},
    )
    assert marker.exists(), "this git ignores core.fsmonitor: the next test would prove nothing"


def test_scanning_the_checkout_never_runs_its_git_config(nhi, booby_trapped):
    repo, marker = booby_trapped
    result = nhi("scan", "--mcp-path", str(repo), "-f", "json")
    assert result.code == 0, result.err
    assert not marker.exists()
    # git was still asked (read-only), and answered: the config is known to be tracked
    assert json.loads(result.out)["scopes"][0]["api_calls"]["git"] == 1
    (row,) = db_rows("SELECT json_extract(attrs, '$.git_status') AS status FROM v_identities")
    assert row["status"] == "tracked"
