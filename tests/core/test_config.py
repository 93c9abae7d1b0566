"""nhi.yaml validation: each error names the file and line and exits 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from nhi_cli.config import load_config
from nhi_cli.errors import ConfigError, ExitCode

CASES = [
    ("version: 1\nproviders:\n  aws:\n    org: true\nbogus: 1\n", 5, "bogus: unknown setting"),
    (
        "version: 1\nsuppressions:\n  - rule: r\n    resource: x\n    reason: because\n    owner: me\n"
        "    expires: soon\n",
        7,
        "suppressions.0.expires",
    ),
    ("version: 1\nsuppressions:\n  - rule: r\n    resource: x\n    expires: 2027-01-01\n", 3, "reason"),
    ("version: 1\nproviders: [aws]\n", 2, "providers"),
    ("version: 2\n", 1, "version"),
    ("version: 1\nrules:\n  severity:\n    some_rule: urgent\n", 4, "rules.severity.some_rule"),
    ("version: 1\nproviders:\n  aws: {org: yes\n", 3, "invalid YAML"),
]


@pytest.mark.parametrize("text,line,fragment", CASES)
def test_config_errors_name_the_line(tmp_path, text, line, fragment):
    path = tmp_path / "nhi.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = info.value.message
    assert message.startswith(f"{path}:{line}:"), message
    assert fragment in message


def test_malformed_config_exits_2_with_one_line(nhi, tmp_path):
    (tmp_path / "nhi.yaml").write_text("version: 1\nprovidres:\n  aws: {}\n")
    result = nhi("scan")
    assert result.code == ExitCode.USAGE
    assert result.err.strip().splitlines() == ["nhi: error: nhi.yaml:2: providres: unknown setting"]


def test_provider_settings_errors_name_the_line(nhi, tmp_path):
    (tmp_path / "nhi.yaml").write_text("version: 1\nproviders:\n  aws:\n    org: true\n    max_workers: lots\n")
    result = nhi("scan")
    assert result.code == ExitCode.USAGE
    assert "nhi.yaml:5: providers.aws.max_workers" in result.err


def test_missing_config_file_is_a_usage_error(nhi, tmp_path):
    result = nhi("--config", tmp_path / "nope.yaml", "scan")
    assert result.code == ExitCode.USAGE and "does not exist" in result.err


def test_relative_paths_resolve_against_the_config_file(tmp_path):
    sub = tmp_path / "conf"
    sub.mkdir()
    (sub / "nhi.yaml").write_text("version: 1\ndb: data/nhi.db\npeople: people.csv\nrules:\n  dirs: [myrules]\n")
    config = load_config(sub / "nhi.yaml")
    assert Path(config.db) == sub / "data/nhi.db"
    assert config.people == sub / "people.csv"
    assert config.rules.dirs == [sub / "myrules"]


def test_unknown_provider_is_a_usage_error(nhi, tmp_path):
    (tmp_path / "nhi.yaml").write_text("version: 1\nproviders:\n  oracle: {}\n")
    result = nhi("scan")
    assert result.code == ExitCode.USAGE and "unknown provider 'oracle'" in result.err


def test_scan_of_a_provider_that_is_not_configured_is_a_usage_error(nhi, tmp_path):
    (tmp_path / "nhi.yaml").write_text("version: 1\nproviders:\n  aws: {}\n")
    result = nhi("scan", "--provider", "gpc")
    assert result.code == ExitCode.USAGE
    assert "--provider gpc: not configured; configured providers: aws" in result.err
    demo = nhi("scan", "--demo", "--provider", "gpc")
    assert demo.code == ExitCode.USAGE and "not in the demo estate" in demo.err
