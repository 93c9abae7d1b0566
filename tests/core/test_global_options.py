"""--db, --config, --quiet and --verbose mean the same before or after the command, and the
inventory path is chosen in one documented order: --db, then NHI_DB, then `db:` in nhi.yaml,
then ./nhi.db."""

from __future__ import annotations

import json

import pytest

from nhi_cli.errors import ExitCode


def _query_file(nhi, *args) -> str:
    """Which inventory a command opened: the missing-inventory error names the path."""
    result = nhi(*args)
    assert result.code == ExitCode.CANNOT_RUN, result.err
    assert "no inventory at" in result.err
    return result.err.split("no inventory at ", 1)[1].split(";")[0]


@pytest.mark.parametrize(
    "args",
    [
        ("--db", "root.db", "query", "SELECT 1"),
        ("query", "SELECT 1", "--db", "root.db"),
        ("--db", "other.db", "query", "SELECT 1", "--db", "root.db"),  # the one nearer the command wins
        ("findings", "list", "--db", "root.db"),
        ("--db", "root.db", "agents", "list"),
        ("rules", "list", "--db", "root.db", "--format", "json"),  # accepted even where the db is not read
    ],
)
def test_db_before_or_after_the_command(nhi, args):
    if "rules" in args:
        result = nhi(*args)
        assert result.code == 0 and json.loads(result.out)
        return
    assert _query_file(nhi, *args) == "root.db"


def test_db_order_flag_then_env_then_config_then_default(nhi, tmp_path, monkeypatch):
    assert _query_file(nhi, "query", "SELECT 1") == "nhi.db"
    (tmp_path / "nhi.yaml").write_text("version: 1\ndb: from-config.db\n")
    assert _query_file(nhi, "query", "SELECT 1") == "from-config.db"  # relative to ./nhi.yaml
    monkeypatch.setenv("NHI_DB", "from-env.db")
    assert _query_file(nhi, "query", "SELECT 1") == "from-env.db"
    assert _query_file(nhi, "query", "SELECT 1", "--db", "flag.db") == "flag.db"


def test_config_after_the_command_is_read(nhi, tmp_path):
    (tmp_path / "elsewhere.yaml").write_text("version: 1\nbogus: 1\n")
    for args in (("--config", "elsewhere.yaml", "rules", "list"), ("rules", "list", "-c", "elsewhere.yaml")):
        result = nhi(*args)
        assert result.code == ExitCode.USAGE
        assert "elsewhere.yaml:2: bogus: unknown setting" in result.err


def test_command_help_lists_the_global_options(nhi):
    out = nhi("findings", "list", "--help").out
    assert "Global options" in out
    for option in ("--db", "--config", "--quiet", "--verbose"):
        assert option in out
