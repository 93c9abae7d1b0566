"""The command line itself: help with examples everywhere, fast start-up, read-only query."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import typer

from nhi_cli import __version__
from nhi_cli.cli.app import COMMANDS, build_app
from nhi_cli.errors import ExitCode
from nhi_cli.model import Batch, Identity, ScopeResult
from nhi_cli.store import open_store
from nhi_cli.store.load import write_scan


def all_commands():
    root = typer.main.get_command(build_app())
    stack = [((), root)]
    while stack:
        path, command = stack.pop()
        yield path, command
        if hasattr(command, "commands"):
            stack.extend((path + (name,), sub) for name, sub in command.commands.items())


def test_every_command_has_help_with_an_example(nhi):
    seen = []
    for path, _command in all_commands():
        result = nhi(*path, "--help")
        assert result.code == 0, (path, result.err)
        assert "Example" in result.out, f"`nhi {' '.join(path)} --help` shows no example"
        seen.append(" ".join(path))
    assert {"scan", "inventory list", "inventory show", "query"} <= set(seen)


def test_root_help_lists_each_commands_own_summary(nhi):
    """`nhi --help` lists summaries without importing the commands: they must say what each
    command's own help says first."""
    root = typer.main.get_command(build_app())
    for name, (_, summary) in COMMANDS.items():
        first = (root.commands[name].help or "").strip().split("\n\n")[0]
        assert " ".join(first.split()) == summary, name
    listed = nhi("--help").out
    assert all(name in listed for name in COMMANDS)


def test_version(nhi):
    result = nhi("--version")
    assert result.code == 0 and result.out.strip() == f"nhi {__version__}"


def test_help_does_not_import_provider_sdks():
    code = (
        "import sys\n"
        "from nhi_cli.cli.app import run\n"
        "run(['--help'])\n"
        "heavy = [m for m in ('boto3', 'botocore', 'google', 'grpc', 'azure', 'httpx', 'moto', 'jinja2',"
        " 'pydantic', 'yaml', 'kubernetes', 'cryptography', 'urllib3', 'requests', 'nhi_connectors')"
        " if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "HEAVY="


def test_unknown_option_is_a_usage_error(nhi):
    result = nhi("scan", "--no-such-flag")
    assert result.code == ExitCode.USAGE and "No such option" in result.err


def _seed(path):
    store = open_store(path)
    b = Batch(
        identities=[
            Identity(
                "arn:aws:iam::111111111111:user/=cmd|' /C calc'!A0",
                "aws",
                "111111111111",
                "iam_user",
                "=cmd|' /C calc'!A0",
            )
        ]
    )
    now = datetime(2026, 1, 1, tzinfo=UTC)
    write_scan(
        store,
        started_at=now,
        finished_at=now,
        results=[ScopeResult("aws", "111111111111", "complete")],
        batches={("aws", "111111111111"): b},
    )
    store.close()


def test_query_is_read_only(nhi, tmp_path):
    _seed(tmp_path / "nhi.db")
    result = nhi("query", "DELETE FROM identity")
    assert result.code == ExitCode.USAGE and "readonly" in result.err.replace("-", "")
    result = nhi("query", "SELECT COUNT(*) AS n FROM v_identities", "--format", "json")
    assert result.code == 0 and '"n": 1' in result.out


def test_query_csv_neutralises_formulas(nhi, tmp_path):
    _seed(tmp_path / "nhi.db")
    result = nhi("query", "SELECT name FROM v_identities", "--format", "csv")
    assert result.out.splitlines() == ["name", "'=cmd|' /C calc'!A0"]


def test_inventory_show_unknown_id_suggests_candidates(nhi, tmp_path):
    _seed(tmp_path / "nhi.db")
    result = nhi("inventory", "show", "calc")
    assert result.code == ExitCode.USAGE
    assert "did you mean" in result.err


def test_inventory_show_credential_of_a_removed_identity(nhi, tmp_path):
    from nhi_cli.model import Credential

    store = open_store(tmp_path / "nhi.db")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    orphan = Credential(
        "AKIAORPHAN0000000001",
        "arn:aws:iam::111111111111:user/gone",
        "aws",
        "111111111111",
        "access_key",
        "active",
        key_id="AKIAORPHAN0000000001",
    )
    write_scan(
        store,
        started_at=now,
        finished_at=now,
        results=[ScopeResult("aws", "111111111111", "complete")],
        batches={("aws", "111111111111"): Batch(credentials=[orphan])},
    )
    store.close()
    result = nhi("inventory", "show", "AKIAORPHAN0000000001")
    assert result.code == 0, result.err
    assert "no longer in the inventory" in result.out and "AKIAORPHAN0000000001" in result.out
