"""The scan evaluates rules set-based (INSERT ... SELECT into temp.rule_result, over temp
snapshots of hot views); `nhi rules test` and run_rule stream rows through Python. Both must
give the same findings: checked on every built-in rule's own test inventories."""

from __future__ import annotations

import json

import pytest

from nhi_cli.rules.engine import evaluate, run_rule
from nhi_cli.rules.loader import BUILTIN_DIR, load_rule, rule_folders, schema_connection
from nhi_cli.rules.testing import load_case, read_tests


def _alarm_cases():
    for folder in rule_folders(BUILTIN_DIR):
        rule, _ = load_rule(folder, builtin=True)
        tests, _ = read_tests(rule)
        for case in tests.cases:
            if case.expect == "alarm":
                yield pytest.param(rule, case, tests.now, id=f"{folder.name}::{case.name}")


def _findings(conn):
    rows = conn.execute(
        "SELECT fingerprint, resource_id, resource_type, reason, provider, scope, resource_name, evidence "
        "FROM temp.rule_result ORDER BY fingerprint"
    ).fetchall()
    return [(*tuple(r)[:7], json.loads(r[7])) for r in rows]


@pytest.mark.parametrize(("rule", "case", "now"), list(_alarm_cases()))
def test_scan_evaluation_reports_what_the_rule_test_reports(rule, case, now):
    conn = schema_connection()
    load_case(conn, case, now)
    rule.params.update(case.params)
    expected = sorted(
        (
            r.fingerprint,
            r.resource_id,
            r.resource_type,
            r.reason,
            r.provider,
            r.scope,
            r.resource_name,
            json.loads(json.dumps(r.evidence, default=str)),
        )
        for r in run_rule(conn, rule)
    )
    evaluation = evaluate(conn, [rule])
    assert not evaluation.problems
    assert _findings(conn) == expected and expected
    assert evaluation.counts[rule.id] == len(expected)
    # the snapshots are gone afterwards: users' queries on this connection read the live views
    assert not conn.execute("SELECT name FROM sqlite_temp_master WHERE name = 'v_rule_agents'").fetchall()
