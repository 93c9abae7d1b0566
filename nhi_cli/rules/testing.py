"""Running a rule's tests.yaml: each case loads inventory rows into a fresh in-memory database
(with every migration applied), runs the rule and checks that the resource alarms or passes.

Like semgrep's --test: a rule is not done until it has a case that must alarm and one that must
pass. Built-in rules run through tests/rules/test_builtin_rules.py; user rules through
`nhi rules test DIR`.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager as ContextManager
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nhi_cli import yaml_safe
from nhi_cli.iam.store_step import refresh
from nhi_cli.rules.engine import run_rule
from nhi_cli.rules.loader import Rule, RuleProblem, _unreadable, _validation_problem, _yaml_problem, schema_connection
from nhi_cli.store.db import db_errors
from nhi_cli.store.interface import DbConnection, Inventory

DEFAULT_NOW = "2026-11-28T00:00:00Z"
DEFAULT_PROVIDER, DEFAULT_SCOPE = "aws", "111111111111"
TABLES = (
    "identity",
    "credential",
    "grant",
    "policy_grant",
    "policy_attachment",
    "trust",
    "credential_location",
    "person",
    "scan_run",
    "scope_result",
    "rule_agent_pattern",
    "credential_link",
    "agent_member",
    "effective_permission",
)
JSON_COLUMNS = {"tags", "attrs", "condition", "conditions", "gaps", "api_calls", "summary"}


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    expect: Literal["alarm", "pass"]
    resource: str = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)
    rows: dict[Literal[TABLES], list[dict[str, Any]]] = Field(default_factory=dict)  # type: ignore[valid-type]


class TestFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    now: str = DEFAULT_NOW
    cases: list[Case] = Field(min_length=2)


@dataclass
class CaseOutcome:
    rule_id: str
    case: str
    expect: str
    resource: str
    passed: bool
    detail: str = ""


def _last_part(identifier: str) -> str:
    return identifier.replace(":", "/").rstrip("/").rsplit("/", 1)[-1]


def _defaults(table: str, row: dict[str, Any], now: str, identities: dict[str, dict[str, Any]]) -> dict[str, Any]:
    row = dict(row)
    owner = identities.get(row.get("identity_id") or row.get("credential_id") or "", {})
    base = {"provider": owner.get("provider", DEFAULT_PROVIDER), "scope": owner.get("scope", DEFAULT_SCOPE)}
    stamps = {"first_seen": now, "last_seen": now, "first_scan": 1, "last_scan": 1}
    if table == "identity":
        defaults = {
            **base,
            "kind": "iam_user",
            "name": _last_part(row.get("id", "x")),
            "created_at": "2025-01-01T00:00:00Z",
            **stamps,
        }
    elif table == "credential":
        defaults = {**base, "kind": "access_key", "status": "active", "created_at": now, "last_used_at": now, **stamps}
    elif table == "grant":
        defaults = {**base, "effect": "Allow", "resource": "*", "source": "test-policy", "source_type": "managed"}
    elif table == "policy_grant":  # a policy document's grants, stored once (migration 0014)
        defaults = {**base, "effect": "Allow", "resource": "*"}
    elif table == "policy_attachment":
        defaults = {**base, "source": "test-policy", "source_type": "managed"}
    elif table == "trust":
        defaults = {**base, "action": "sts:AssumeRole"}
    elif table == "credential_location":
        defaults = {"provider": "mcp", "scope": "local", "context": ""}
    elif table == "person":
        defaults = {"source": "test", "active": 1}
    elif table == "scan_run":
        defaults = {"started_at": now, "finished_at": now, "status": "complete", "nhi_version": "test"}
    elif table == "agent_member":
        defaults = {"member_type": "identity", "provider": DEFAULT_PROVIDER, "confidence": "high"}
    elif table == "scope_result":
        defaults = {"scan_id": 1, "status": "complete"}
    else:
        defaults = {}
    merged = {**defaults, **row}
    for key, value in merged.items():
        if key in JSON_COLUMNS and not isinstance(value, str) and value is not None:
            merged[key] = json.dumps(value, sort_keys=True)
        elif isinstance(value, bool):
            merged[key] = int(value)
    return merged


def load_case(conn: DbConnection, case: Case, now: str) -> None:
    rows = case.rows
    identities = {r["id"]: r for r in rows.get("identity", []) if "id" in r}
    credentials = {r["id"]: identities.get(r.get("identity_id"), {}) for r in rows.get("credential", []) if "id" in r}
    owners = {**identities, **credentials}
    if not rows.get("scan_run"):
        conn.execute(
            "INSERT INTO scan_run (id, started_at, finished_at, status, nhi_version) "
            "VALUES (1, ?, ?, 'complete', 'test')",
            (now, now),
        )
    for table in TABLES:
        for raw in rows.get(table, []):
            row = _defaults(table, raw, now, owners)
            columns = list(row)
            conn.execute(
                f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})',
                [row[c] for c in columns],
            )
    if rows.get("grant") or rows.get("policy_attachment") or rows.get("trust"):
        # as after a scan's load: AWS cases go through the policy evaluator, so a case states
        # policies (Allow, Deny, conditions) and the rule sees their effective permission
        refresh(conn)


def read_tests(rule: Rule) -> tuple[TestFile | None, RuleProblem | None]:
    path = rule.folder / "tests.yaml"
    if not path.is_file():
        return None, RuleProblem(path, "missing: every rule needs cases that alarm and cases that pass")
    try:
        data = yaml_safe.load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        return None, _yaml_problem(path, exc)
    except (OSError, UnicodeDecodeError) as exc:
        return None, RuleProblem(path, f"cannot read: {_unreadable(exc)}")
    try:
        tests = TestFile.model_validate(data or {})
    except ValidationError as exc:
        return None, _validation_problem(path, exc)
    expects = {c.expect for c in tests.cases}
    if expects != {"alarm", "pass"}:
        return None, RuleProblem(path, "needs at least one case that must alarm and one that must pass")
    return tests, None


@contextmanager
def sqlite_case_db() -> Iterator[sqlite3.Connection]:
    """A fresh in-memory SQLite inventory for one case."""
    conn = schema_connection()
    try:
        yield conn
    finally:
        conn.close()


def store_case_db(store: Inventory) -> Callable[[], ContextManager[DbConnection]]:
    """Cases on an opened (empty) store of either engine: each case's rows are loaded in a
    transaction that is rolled back afterwards, so cases never see each other's rows."""

    @contextmanager
    def case_db() -> Iterator[DbConnection]:
        with contextlib.suppress(RolledBack):
            with store.transaction() as conn:
                yield conn
                raise RolledBack

    return case_db


class RolledBack(Exception):
    pass


def run_case(
    rule: Rule, case: Case, now: str, case_db: Callable[[], ContextManager[DbConnection]] = sqlite_case_db
) -> CaseOutcome:
    errors = db_errors()
    with case_db() as conn:
        try:
            load_case(conn, case, now)
        except errors as exc:
            return CaseOutcome(rule.id, case.name, case.expect, case.resource, False, f"bad rows: {exc}")
        unknown = sorted(set(case.params) - set(rule.params))
        if unknown:
            return CaseOutcome(
                rule.id, case.name, case.expect, case.resource, False, f"unknown parameter {unknown[0]!r}"
            )
        try:
            results = run_rule(conn, rule, case.params)
        except errors as exc:
            return CaseOutcome(rule.id, case.name, case.expect, case.resource, False, f"SQL error: {exc}")
    hit = next((r for r in results if r.resource_id == case.resource), None)
    if case.expect == "alarm":
        if hit is None:
            return CaseOutcome(rule.id, case.name, "alarm", case.resource, False, "expected an alarm, got none")
        if not hit.reason.rstrip().endswith("."):
            return CaseOutcome(
                rule.id, case.name, "alarm", case.resource, False, f"reason must end with a period: {hit.reason!r}"
            )
        return CaseOutcome(rule.id, case.name, "alarm", case.resource, True, hit.reason)
    if hit is not None:
        return CaseOutcome(rule.id, case.name, "pass", case.resource, False, f"expected no alarm, got: {hit.reason}")
    return CaseOutcome(rule.id, case.name, "pass", case.resource, True)


def run_tests(
    rule: Rule, case_db: Callable[[], ContextManager[DbConnection]] = sqlite_case_db
) -> tuple[list[CaseOutcome], RuleProblem | None]:
    tests, problem = read_tests(rule)
    if tests is None:
        return [], problem
    return [run_case(rule, case, tests.now, case_db) for case in tests.cases], None
