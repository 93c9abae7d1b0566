"""`nhi config validate` lists every error with file:line and a suggestion; `nhi init` writes a
commented nhi.yaml from what it detects, never a secret; an impossible date is a config error."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

BROKEN = """\
version: 1
fail_on: hihg
providers:
  aws:
    profle: audit
  awz: {}
suppressions:
  - rule: admin_grant
    resource: x
    reason: because
    owner: me
    expires: 2027-13-01
rules:
  disabel: [admin_grant]
"""


def test_validate_reports_every_error_with_its_line_and_a_suggestion(nhi, tmp_path):
    (tmp_path / "nhi.yaml").write_text(BROKEN)
    result = nhi("config", "validate")
    assert result.code == 2
    lines = result.err.splitlines()
    assert lines[-1] == "nhi: error: nhi.yaml: 5 errors"
    errors = lines[:-1]
    assert [e.split(":")[1] for e in errors] == ["2", "5", "6", "12", "14"]
    assert errors[0].startswith("nhi.yaml:2: fail_on: Input should be 'critical'")
    assert errors[1] == "nhi.yaml:5: providers.aws.profle: unknown setting (did you mean profile?)"
    assert errors[2].startswith("nhi.yaml:6: providers.awz: unknown provider (did you mean aws?)")
    assert errors[3].startswith("nhi.yaml:12: suppressions.0.expires: ") and "month" in errors[3]
    assert errors[4] == "nhi.yaml:14: rules.disabel: unknown setting (did you mean disable?)"
    assert result.out == ""


def test_validate_accepts_the_demo_config(nhi):
    result = nhi("config", "validate", REPO / "fixtures" / "demo" / "nhi.yaml")
    assert result.code == 0, result.err
    assert result.out.strip().endswith("nhi.yaml: valid")


def test_an_impossible_date_stops_a_command_as_a_config_error(nhi, tmp_path):
    (tmp_path / "nhi.yaml").write_text(
        "suppressions:\n  - rule: admin_grant\n    resource: x\n    reason: because\n"
        "    owner: me\n    expires: 2027-13-01\n"
    )
    result = nhi("scan", "--demo", "-c", "nhi.yaml")
    assert result.code == 2
    assert result.err.splitlines() == [
        "nhi: error: nhi.yaml:6: suppressions.0.expires: Input should be a valid date or datetime, "
        "month value is outside expected range of 1-12"
    ]
    assert not (tmp_path / "nhi.db").exists()


def test_init_writes_a_commented_config_from_what_it_detects_and_no_secret(nhi, tmp_path, monkeypatch):
    secrets = {
        "GITHUB_TOKEN": "ghp_initTestToken000000000000000000000000",
        "OPENAI_ADMIN_KEY": "sk-admin-initTestKey0000000000000000",
        "AWS_SECRET_ACCESS_KEY": "initTestAwsSecret000000000000000000000000",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ANTHROPIC_ADMIN_KEY", raising=False)
    result = nhi("init", "--aws-org")
    assert result.code == 0, result.err
    text = (tmp_path / "nhi.yaml").read_text()
    for value in secrets.values():
        assert value not in text
    assert "\n  aws:\n    org: true\n" in text
    assert "\n  github: {}\n" in text and "\n  openai: {}\n" in text
    assert "\n  # anthropic:\n" in text and "ANTHROPIC_ADMIN_KEY is not set" in text
    assert "nhi: github: found: GITHUB_TOKEN" in result.err
    validated = nhi("config", "validate")
    assert validated.code == 0, validated.err

    again = nhi("init")
    assert again.code == 2
    assert again.err.strip() == "nhi: error: nhi.yaml already exists; pass --force to overwrite it"
    assert (tmp_path / "nhi.yaml").read_text() == text
