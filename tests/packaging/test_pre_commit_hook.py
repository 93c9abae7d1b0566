"""The pre-commit hook, run by the real pre-commit tool (`pre-commit try-repo`) on a throwaway
git repository: a planted token in a staged .mcp.json stops the commit with file:line, a clean
config passes, and no inventory file is left anywhere in the repository.

pre-commit builds the hook's environment by pip-installing this repository. The install is kept
offline-friendly like the wheel test's: pip reads the same wheelhouse (NHI_WHEELHOUSE, default
~/.cache/nhi-test-wheelhouse) with --no-index once it holds every dependency; only a missing one
is downloaded into it, once, through the ordinary index.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
TOKEN = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"
SOURCES = (
    "pyproject.toml",
    "setup.py",
    "README.md",
    ".pre-commit-hooks.yaml",
    "nhi_cli",
    "connectors",
    "fixtures/demo",
)


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> Path:
    """This project's sources as a git repository (try-repo installs from a commit)."""
    repo = tmp_path_factory.mktemp("hook-repo")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "*.db")
    for name in SOURCES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=ignore)
        else:
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, repo / name)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "hook")
    return repo


@pytest.fixture(scope="module")
def wheelhouse(hook_repo) -> Path:
    house = Path(os.environ.get("NHI_WHEELHOUSE") or Path.home() / ".cache" / "nhi-test-wheelhouse")
    house.mkdir(parents=True, exist_ok=True)
    wanted = [str(hook_repo), "setuptools>=68", "wheel"]
    offline = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "-q",
        "--no-index",
        "--find-links",
        str(house),
        "-d",
        str(house),
        *wanted,
    ]
    if subprocess.run(offline, capture_output=True, timeout=600).returncode != 0:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--find-links", str(house), "-d", str(house), *wanted],
            check=True,
            capture_output=True,
            timeout=900,
        )
    return house


def _pre_commit(work: Path, hook_repo: Path, house: Path, home: Path, *files: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NHI_", "PIP_", "VIRTUAL_ENV"))}
    env.update(
        PRE_COMMIT_HOME=str(home),
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(house),
        NO_COLOR="1",
        NHI_SECRET_SALT="pre-commit-test-salt-0123456789",
    )
    tool = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which("pre-commit")
    assert tool, "pre-commit is not installed (pip install -e '.[test]')"
    return subprocess.run(
        [tool, "try-repo", str(hook_repo), "nhi-mcp-secrets", "--files", *files],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )


def test_the_hook_stops_a_planted_token_with_file_and_line_and_leaves_no_inventory(tmp_path, hook_repo, wheelhouse):
    work = tmp_path / "project"
    (work / ".cursor").mkdir(parents=True)
    (work / "README.md").write_text("a project\n")
    (work / ".mcp.json").write_text(
        '{\n  "mcpServers": {\n    "github": {\n      "command": "npx",\n'
        f'      "env": {{"GITHUB_PERSONAL_ACCESS_TOKEN": "{TOKEN}"}}\n    }}\n  }}\n}}\n'
    )
    (work / ".cursor" / "mcp.json").write_text(
        '{"mcpServers": {"github": {"command": "npx", "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "${env:GH_TOKEN}"}}}}\n'
    )
    _git(work, "init", "-q")
    _git(work, "add", "-A")
    home = tmp_path / "pre-commit-home"

    caught = _pre_commit(work, hook_repo, wheelhouse, home, ".mcp.json", ".cursor/mcp.json")
    assert caught.returncode == 1, caught.stdout + caught.stderr
    assert ".mcp.json:5: Secret " in caught.stdout and "github_pat" in caught.stdout
    assert TOKEN not in caught.stdout + caught.stderr  # the hint only, never the token
    assert ".cursor/mcp.json:" not in caught.stdout  # a reference, not a secret

    clean = _pre_commit(work, hook_repo, wheelhouse, home, ".cursor/mcp.json")
    assert clean.returncode == 0, clean.stdout + clean.stderr

    leftovers = [p for p in work.rglob("*") if p.suffix in (".db", ".db-wal", ".db-shm") or p.name.startswith("nhi.db")]
    assert leftovers == []
