"""The wheel as a user gets it: built from the sources, installed into a fresh virtualenv away
from the checkout, then run there.

A base install (no extras) must answer `--help`, scan MCP configs, and name the extra to
install for a cloud provider or the demo; `nhi-cli[demo]` must run the demo from the estate
shipped inside the wheel and render the HTML report.

Installs are offline-friendly: the fresh virtualenv installs with ``--no-index`` from a
wheelhouse (NHI_WHEELHOUSE, default ~/.cache/nhi-test-wheelhouse). Only when the wheelhouse
lacks a dependency does pip download it once, through the ordinary index, into the wheelhouse.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
# What a source distribution would not carry either: environments, caches, local inventories.
NOT_SOURCES = shutil.ignore_patterns(
    ".venv",
    ".git",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    "*.db",
    "*.db-*",
    ".pytest_cache",
    "tests",
    "benchmarks",
    "reference",
)


def _run(*args, cwd=None, env=None, check=True, timeout=900) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(map(str, args))} exited {result.returncode}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """nhi-cli's wheel, built from a copy of the sources (an in-tree build would write build/
    and *.egg-info into the checkout other tests run from)."""
    work = tmp_path_factory.mktemp("wheel-build")
    src = work / "src"
    shutil.copytree(REPO, src, ignore=NOT_SOURCES)
    _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", work / "dist", src)
    wheels = list((work / "dist").glob("nhi_cli-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def wheelhouse(wheel) -> Path:
    house = Path(os.environ.get("NHI_WHEELHOUSE") or Path.home() / ".cache" / "nhi-test-wheelhouse")
    house.mkdir(parents=True, exist_ok=True)
    return house


def _fresh_venv(root: Path) -> Path:
    venv.EnvBuilder(with_pip=True, clear=True).create(root)
    return root / "bin"


def _install(bin_dir: Path, wheelhouse: Path, requirement: str) -> None:
    """Install offline from the wheelhouse; fill it from the index only if it lacks something."""
    offline = (bin_dir / "python", "-m", "pip", "install", "-q", "--no-index", "--find-links", wheelhouse, requirement)
    if _run(*offline, check=False).returncode != 0:
        _run(sys.executable, "-m", "pip", "download", "-q", "-d", wheelhouse, "--find-links", wheelhouse, requirement)
        _run(*offline)


def _user_env(home: Path) -> dict[str, str]:
    """A user's environment: no variable pointing back at the checkout or the test venv."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("NHI_", "PYTHON", "VIRTUAL_ENV", "AWS_", "GOOGLE_", "AZURE_"))
    }
    env.update(HOME=str(home), NO_COLOR="1", COLUMNS="200", NHI_SECRET_SALT="wheel-test-salt-0123456789")
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory, wheel, wheelhouse):
    root = tmp_path_factory.mktemp("fresh-user")
    shutil.copy(wheel, wheelhouse / wheel.name)  # our wheel next to its dependencies
    bin_dir = _fresh_venv(root / "venv")
    _install(bin_dir, wheelhouse, "nhi-cli==0.1.0")
    work = root / "work"
    work.mkdir()
    return bin_dir, work, _user_env(root)


def test_base_install_scans_mcp_configs_and_names_the_missing_extras(installed, wheelhouse):
    bin_dir, work, env = installed
    nhi = bin_dir / "nhi"
    # The cloud SDKs are extras: the base install has none of them.
    probe = _run(
        bin_dir / "python",
        "-c",
        "import importlib.util as u; print([m for m in ('boto3', 'azure', 'grpc', 'moto') if u.find_spec(m)])",
        cwd=work,
        env=env,
    )
    assert probe.stdout.strip() == "[]"
    # It is the installed copy that runs, not the checkout.
    where = _run(bin_dir / "python", "-c", "import nhi_cli; print(nhi_cli.__file__)", cwd=work, env=env)
    assert str(REPO) not in where.stdout and str(bin_dir.parent) in where.stdout

    assert _run(nhi, "--help", cwd=work, env=env).returncode == 0

    # An MCP config with a planted token: found with no cloud SDK installed.
    (work / ".mcp.json").write_text(
        '{"mcpServers": {"gh": {"command": "npx", "env": '
        '{"GITHUB_TOKEN": "ghp_' + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8" + '"}}}}\n'
    )
    mcp = _run(
        nhi, "--db", "mcp.db", "scan", "--mcp-path", ".mcp.json", "--format", "json", cwd=work, env=env, check=False
    )
    assert mcp.returncode == 0, mcp.stderr
    assert "mcp_" in mcp.stdout and "Traceback" not in mcp.stderr

    (work / "aws.yaml").write_text("providers:\n  aws: {}\n")
    aws = _run(nhi, "--db", "aws.db", "scan", "-c", "aws.yaml", cwd=work, env=env, check=False)
    assert aws.returncode == 4
    assert aws.stderr.strip().splitlines() == [
        "nhi: error: the aws provider needs the boto3 package, which is not installed: "
        "pip install 'nhi-cli[aws]' (or 'nhi-cli[all]')"
    ]

    demo = _run(nhi, "--db", "demo.db", "scan", "--demo", cwd=work, env=env, check=False)
    assert demo.returncode == 4
    assert len(demo.stderr.strip().splitlines()) == 1
    assert "pip install 'nhi-cli[demo]'" in demo.stderr


def test_demo_and_html_report_from_the_installed_wheel(installed, wheelhouse):
    bin_dir, work, env = installed
    _install(bin_dir, wheelhouse, "nhi-cli[demo]==0.1.0")
    nhi = bin_dir / "nhi"
    scan = _run(nhi, "scan", "--demo", cwd=work, env=env, check=False)
    assert scan.returncode == 0, scan.stderr
    # Every provider of the estate shipped in the wheel was scanned (the GitHub org is Northwind's).
    for provider in ("aws", "gcp", "azure", "github", "openai", "anthropic", "mcp"):
        assert f"\n│ {provider} " in scan.stdout, provider
    assert "northwind-robotics" in scan.stdout
    assert (work / "nhi.db").is_file()
    report = _run(nhi, "report", "--format", "html", "--output", "report.html", cwd=work, env=env, check=False)
    assert report.returncode == 0, report.stderr
    html = (work / "report.html").read_text()
    assert html.lstrip().lower().startswith("<!doctype html") and "ops-copilot" in html
