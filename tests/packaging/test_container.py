"""The container image: the Dockerfile linted by hadolint and checked for what the README
promises (slim base, non-root, `nhi` entrypoint, the inventory in a volume); built and
smoke-tested only where a container engine answers (none does on this project's CI machine).
The Action's shell script is linted by shellcheck."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert path, f"{name} is not installed (pip install -e '.[test]')"
    return path


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_dockerfile_passes_hadolint():
    done = subprocess.run(
        [_tool("hadolint"), "--no-color", str(REPO / "Dockerfile")], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_final_image_is_slim_non_root_with_nhi_as_entrypoint_and_the_inventory_in_a_volume():
    steps = _instructions()
    final = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    stage = steps[final:]
    assert "-slim" in stage[0][1].split()[0]
    users = [args for word, args in stage if word == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    last_user = max(i for i, (word, _) in enumerate(stage) if word == "USER")
    assert all(word != "RUN" for word, _ in stage[last_user:]), "a RUN after USER would need root"
    assert ("ENTRYPOINT", '["nhi"]') in stage
    assert ("VOLUME", '["/data"]') in stage
    env = " ".join(args for word, args in stage if word == "ENV")
    assert "NHI_DB=/data/nhi.db" in env
    for word, args in steps:  # every COPY from the build context names something in the repository
        if word == "COPY" and not args.startswith("--from"):
            for source in args.split()[:-1]:
                assert (REPO / source).exists(), source
    ignored = (REPO / ".dockerignore").read_text()
    assert "**/*.db" in ignored  # a local inventory never goes into the build context


def test_action_script_passes_shellcheck():
    done = subprocess.run(
        [_tool("shellcheck"), str(REPO / "action" / "scan.sh")], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _engine() -> str | None:
    for name in ("docker", "podman"):
        path = shutil.which(name)
        if path and subprocess.run([path, "info"], capture_output=True, timeout=30).returncode == 0:
            return path
    return None


@pytest.mark.slow
def test_image_builds_and_runs_the_demo_as_a_non_root_user(tmp_path):
    engine = _engine()
    if engine is None:
        pytest.skip("no container engine answers here (docker info fails): the image is linted, not built")
    subprocess.run([engine, "build", "-t", "nhi-test", str(REPO)], check=True, timeout=1800)
    who = subprocess.run(
        [engine, "run", "--rm", "--entrypoint", "id", "nhi-test", "-u"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    assert who.stdout.strip() != "0"
    demo = subprocess.run(
        [engine, "run", "--rm", "nhi-test", "scan", "--demo", "-q"], capture_output=True, text=True, timeout=600
    )
    assert demo.returncode == 0, demo.stderr
