"""Broken user rules are reported with their file and reason (exit 2) and never hide the
others; rule SQL cannot write; config disables rules, overrides severity and sets params."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from nhi_cli.errors import ExitCode
from nhi_cli.rules.engine import run_rule
from nhi_cli.rules.loader import load_rule, schema_connection

GOOD_YAML = """id: {id}
title: Key older than a week
severity: high
property: revocable
description: Access keys older than max_days.
risk: Old keys leak.
remediation: Rotate them.
params:
  max_days: {{default: 7, description: Maximum age in days.}}
frameworks: {{owasp_nhi: [NHI7]}}
"""
GOOD_SQL = """SELECT id AS resource_id, 'credential' AS resource_type,
       'Key ' || id || ' is ' || age_days || ' days old.' AS reason, age_days
FROM v_credentials WHERE status = 'active' AND age_days > :max_days"""
GOOD_TESTS = """cases:
  - name: old key alarms
    expect: alarm
    resource: AKIAOLD
    rows:
      identity: [{id: u1}]
      credential: [{id: AKIAOLD, identity_id: u1, created_at: "2026-01-01T00:00:00Z"}]
  - name: new key passes
    expect: pass
    resource: AKIANEW
    rows:
      identity: [{id: u1}]
      credential: [{id: AKIANEW, identity_id: u1, created_at: "2026-11-27T00:00:00Z"}]
"""


def make_rule(
    root: Path, rule_id: str, yaml_text: str | None = None, sql: str = GOOD_SQL, tests: str = GOOD_TESTS
) -> Path:
    folder = root / rule_id
    folder.mkdir(parents=True)
    (folder / "rule.yaml").write_text(yaml_text if yaml_text is not None else GOOD_YAML.format(id=rule_id))
    (folder / "rule.sql").write_text(sql)
    (folder / "tests.yaml").write_text(tests)
    return folder


BROKEN = {
    "invalid_yaml": ({"yaml_text": "id: invalid_yaml\ntitle: [unclosed\n"}, "rule.yaml:3: invalid YAML"),
    "unknown_field": ({"yaml_text": GOOD_YAML.format(id="unknown_field") + "colour: red\n"}, "colour: unknown field"),
    "sql_error": ({"sql": "SELECT resource_id FROM v_nothing"}, "SQL error: no such table: v_nothing"),
    "missing_param": (
        {"sql": GOOD_SQL.replace(":max_days", ":min_days")},
        "uses parameter :min_days that rule.yaml does not declare",
    ),
    "writes": ({"sql": "DELETE FROM identity"}, "writes/rule.sql: SQL error"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_user_rule_is_named_and_the_others_still_load(nhi, tmp_path, name):
    kwargs, message = BROKEN[name]
    make_rule(tmp_path / "rules", "good_rule")
    make_rule(tmp_path / "rules", name, **kwargs)
    listed = nhi("rules", "list", "--rules-dir", tmp_path / "rules", "-f", "json")
    assert listed.code == ExitCode.USAGE
    assert f"rules/{name}/rule." in listed.err and message in listed.err
    ids = [r["id"] for r in json.loads(listed.out)]
    assert "good_rule" in ids and "credential_max_age" in ids and name not in ids
    tested = nhi("rules", "test", tmp_path / "rules")
    assert tested.code == ExitCode.USAGE and message in tested.err
    assert "good_rule" in tested.out and "2/2 cases passed" in tested.out


def test_a_scan_with_a_broken_rule_stops_before_collecting(nhi, tmp_path):
    make_rule(tmp_path / "rules", "sql_error", sql="SELECT nope FROM v_credentials")
    result = nhi("scan", "--demo", "--provider", "aws", "--rules-dir", tmp_path / "rules")
    assert result.code == ExitCode.USAGE
    assert "sql_error/rule.sql: SQL error: no such column: nope" in result.err
    assert not (tmp_path / "nhi.db").exists()


def test_rules_test_reports_failing_cases_with_exit_1(nhi, tmp_path):
    wrong = GOOD_TESTS.replace('"2026-11-27T00:00:00Z"', '"2025-01-01T00:00:00Z"')
    make_rule(tmp_path / "rules", "wrong_case", tests=wrong)
    result = nhi("rules", "test", tmp_path / "rules")
    assert result.code == ExitCode.FINDINGS
    assert "FAIL" in result.out and "expected no alarm" in result.out


def test_rule_sql_cannot_write_even_on_the_scan_connection(tmp_path):
    folder = make_rule(tmp_path, "harmless")
    rule, problems = load_rule(folder)
    assert not problems
    conn = schema_connection()
    conn.execute(
        "INSERT INTO identity (id, provider, scope, kind, name, first_seen, last_seen, first_scan, last_scan) "
        "VALUES ('u1', 'aws', '1', 'iam_user', 'u1', 'x', 'x', 1, 1)"
    )
    rule.sql = (
        "SELECT id AS resource_id, 'identity' AS resource_type, 'x.' AS reason FROM identity; DELETE FROM identity"
    )
    with pytest.raises(sqlite3.Error):
        run_rule(conn, rule)
    rule.sql = (
        "UPDATE identity SET name = 'pwned' RETURNING id AS resource_id, 'identity' AS resource_type, 'x.' AS reason"
    )
    with pytest.raises(sqlite3.DatabaseError, match="not authorized"):
        run_rule(conn, rule)
    assert [tuple(r) for r in conn.execute("SELECT name FROM identity")] == [("u1",)]
    conn.execute("DELETE FROM identity")  # the authorizer is gone once the rule returns


def test_config_disables_overrides_and_sets_params(nhi, tmp_path):
    (tmp_path / "nhi.yaml").write_text(
        "version: 1\nrules:\n  disable: [identity_no_owner]\n  severity: {credential_max_age: high}\n"
        "  params: {credential_max_age: {max_age_days: 30}}\n"
    )
    listed = {r["id"]: r for r in json.loads(nhi("rules", "list", "-f", "json").out)}
    assert "identity_no_owner" not in listed and listed["credential_max_age"]["severity"] == "high"
    shown = nhi("rules", "show", "credential_max_age")
    assert shown.code == 0
    assert "max_age_days = 30 (default 90)" in shown.out and "severity: high (default medium)" in shown.out
    assert "FROM v_credentials" in shown.out and "NHI7" in shown.out
    data = json.loads(nhi("rules", "show", "credential_max_age", "-f", "json").out)
    assert data["params"]["max_age_days"]["value"] == 30 and data["frameworks"]["cis"] == [
        "CIS AWS 1.14",
        "CIS GCP 1.7",
    ]
    (tmp_path / "nhi.yaml").write_text("version: 1\nrules:\n  params: {credential_max_age: {max_days: 30}}\n")
    bad = nhi("rules", "list")
    assert bad.code == ExitCode.USAGE and "unknown parameter 'max_days'" in bad.err


def test_show_unknown_rule_exits_2(nhi):
    result = nhi("rules", "show", "no_such_rule")
    assert result.code == ExitCode.USAGE and "no rule 'no_such_rule'" in result.err


def test_builtin_rules_pass_their_own_tests_through_the_cli(nhi, tmp_path):
    result = nhi("rules", "test", "--builtin", tmp_path)
    # tmp_path holds no rules: reported, but every built-in case still ran and passed
    assert "no rule folders" in result.err
    assert "FAIL" not in result.out and "cases passed" in result.out


def test_params_are_found_whatever_quotes_comments_hold():
    from nhi_cli.rules.loader import sql_params

    sql = (
        "-- the model's age: ':not_a_param' stays in this comment\n"
        "SELECT id FROM v_credentials WHERE age_days > :max_age  /* don't :skip */\n"
        "AND name <> '-- :in_string' AND kind = :kind"
    )
    assert sql_params(sql) == {"max_age", "kind"}
