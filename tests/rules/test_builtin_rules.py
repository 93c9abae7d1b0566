"""Every built-in rule loads, and every case in its tests.yaml alarms or passes as it says."""

from __future__ import annotations

import pytest

from nhi_cli.rules.loader import BUILTIN_DIR, load_rule, rule_folders
from nhi_cli.rules.testing import read_tests, run_case

FOLDERS = rule_folders(BUILTIN_DIR)


def _cases():
    for folder in FOLDERS:
        rule, problems = load_rule(folder, builtin=True)
        if rule is None:
            yield pytest.param(folder, None, id=f"{folder.name}::load")
            continue
        tests, problem = read_tests(rule)
        if problem:
            yield pytest.param(folder, None, id=f"{folder.name}::tests.yaml")
            continue
        for case in tests.cases:
            yield pytest.param(folder, case, id=f"{folder.name}::{case.name}")


def test_the_pack_covers_the_issue():
    assert len(FOLDERS) >= 20


@pytest.mark.parametrize(("folder", "case"), list(_cases()))
def test_rule_case(folder, case):
    rule, problems = load_rule(folder, builtin=True)
    assert not problems, [str(p) for p in problems]
    tests, problem = read_tests(rule)
    assert problem is None, str(problem)
    outcome = run_case(rule, case, tests.now)
    assert outcome.passed, f"{case.name}: {outcome.detail}"


@pytest.fixture(scope="module")
def pg_store(postgres_server):
    from nhi_cli.store import open_store

    store = open_store(postgres_server.new_database())
    yield store
    store.close()


@pytest.mark.parametrize(("folder", "case"), list(_cases()))
def test_rule_case_on_postgresql(folder, case, pg_store):
    """The same cases on PostgreSQL: the rule's SQL, unchanged, through nhi's dialect."""
    from nhi_cli.rules.testing import store_case_db

    rule, problems = load_rule(folder, builtin=True)
    assert not problems, [str(p) for p in problems]
    tests, problem = read_tests(rule)
    assert problem is None, str(problem)
    outcome = run_case(rule, case, tests.now, store_case_db(pg_store))
    assert outcome.passed, f"{case.name}: {outcome.detail}"
