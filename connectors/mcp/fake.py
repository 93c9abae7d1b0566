"""The MCP demo estate: a home folder of agent configs copied from fixtures/demo/mcp/home.

MCP configs are local files, so the "fake" is a real folder tree rather than a server; a
project inside it becomes a git work tree so the tracked/ignored checks run for real.

Checked against: no client publishes a machine-readable model of its config file, so the
fixtures are files in each client's documented format (the README's client table names the
documentation), and tests/fidelity/test_transform_mutations.py feeds the JSON ones to the real
connector with one field, or one whole server entry, mutated at a time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any


def start_demo(stack: ExitStack, estate: Path) -> dict[str, Any] | None:
    """Copy the demo home tree to a temporary folder, make its project a git work tree
    (a ``.git`` folder cannot be committed inside nhi's own repository), and point the
    connector at it. Paths show as ``~/...``, so ids stay the same from run to run."""
    source = estate / "mcp" / "home"
    if not source.is_dir():
        return None
    tmp = Path(tempfile.mkdtemp(prefix="nhi-demo-mcp-"))
    stack.callback(shutil.rmtree, tmp, True)
    home = tmp / "home"
    shutil.copytree(source, home, symlinks=True)
    repos = []
    for marker in sorted(home.rglob("GIT_REPO_MARKER")):
        make_work_tree(marker.parent)
        repos.append(str(marker.parent))
    return {"home": str(home), "paths": repos, "discover": True}


def make_work_tree(folder: Path) -> None:
    """``git init`` + ``git add`` (the configs are then tracked, as if committed); without a
    git binary, a bare ``.git`` folder still marks the work tree."""
    git = shutil.which("git")
    if git is not None:
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
        for args in (["init", "-q"], ["add", "-A"]):
            done = subprocess.run(
                [git, "-C", str(folder), *args],
                env=env,
                timeout=30,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if done.returncode != 0:
                break
        else:
            return
    (folder / ".git").mkdir(exist_ok=True)
