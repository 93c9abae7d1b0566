"""Evaluating rules: set-based SQL over the views, on a connection that cannot write.

Rules run inside the scan's transaction (so they see the rows the scan just loaded, which a
second connection could not see before COMMIT). Each rule query runs under ``guarded``
(readonly.py), so a rule cannot write even on the scan's writable connection. Standalone
evaluation uses Store.readonly() as well.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from nhi_cli.rules.loader import Rule, RuleProblem
from nhi_cli.rules.readonly import authorize_read, guarded
from nhi_cli.store import limits
from nhi_cli.store.db import db_errors, engine_of
from nhi_cli.store.dialect import unportable
from nhi_cli.store.interface import DbConnection
from nhi_cli.store.limits import SqlTimeout

STANDARD_COLUMNS = ("resource_id", "resource_type", "reason", "provider", "scope", "resource_name")


def fingerprint(rule_id: str, resource_id: str) -> str:
    """Stable across scans: the same rule on the same resource is the same finding."""
    return hashlib.sha256(f"{rule_id}\0{resource_id}".encode()).hexdigest()


def bind_value(value: Any) -> Any:
    if isinstance(value, (list, tuple, set)):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return value


@dataclass
class Result:
    rule_id: str
    resource_id: str
    resource_type: str
    reason: str
    provider: str | None
    scope: str | None
    resource_name: str | None
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.rule_id, self.resource_id)


def iter_rule(conn: DbConnection, rule: Rule, params: dict[str, Any] | None = None) -> Iterator[Result]:
    """Run one rule and yield its results, one per resource (the first row wins).

    The statement is prepared under the authorizer (SQLite authorizes when it compiles a
    statement, not while it steps), so the caller may write its results while the rule's
    cursor is still open. Raises sqlite3.Error for a broken query."""
    values = dict(rule.params)
    values.update(params or {})
    deadline = rule_deadline(rule)
    with guarded(conn), deadline.stepping(conn):
        # PostgreSQL has no authorizer: as a subquery, the rule cannot carry a data-modifying
        # WITH (only allowed at the top level); the loader's SQLite check already refused it
        sql = rule.sql if engine_of(conn) == "sqlite" else f"SELECT * FROM (\n{rule.sql}\n) AS r"
        cursor = conn.execute(sql, {k: bind_value(v) for k, v in values.items()})
    columns = [d[0] for d in cursor.description or []]
    extra = [(i, c) for i, c in enumerate(columns) if c not in STANDARD_COLUMNS]
    index = {c: columns.index(c) for c in STANDARD_COLUMNS if c in columns}
    seen: set[str] = set()
    while True:
        with deadline.stepping(conn):  # armed only while the rule's SELECT steps, not for our inserts
            rows = cursor.fetchmany(2000)
        if not rows:
            return
        for row in rows:
            resource_id = row[index["resource_id"]] if "resource_id" in index else None
            if resource_id is None or str(resource_id) in seen:
                continue
            seen.add(str(resource_id))

            def get(name: str, row: Any = row) -> Any:
                return row[index[name]] if name in index else None

            yield Result(
                rule_id=rule.id,
                resource_id=str(resource_id),
                resource_type=str(get("resource_type") or "identity"),
                reason=str(get("reason") or f"{rule.meta.title}."),
                provider=get("provider"),
                scope=get("scope"),
                resource_name=get("resource_name"),
                evidence={c: row[i] for i, c in extra},
            )


def rule_deadline(rule: Rule) -> limits.Deadline:
    seconds = limits.timeout_from_env(limits.RULE_TIMEOUT_ENV, limits.DEFAULT_RULE_TIMEOUT)
    return limits.Deadline(seconds, f"rule {rule.id}", "NHI_RULE_TIMEOUT")


def run_rule(conn: DbConnection, rule: Rule, params: dict[str, Any] | None = None) -> list[Result]:
    """All results of one rule, with provider, scope and name filled in (for tests and tools)."""
    with view_snapshots(conn):
        found = list(iter_rule(conn, rule, params))
    _fill_context(conn, found)
    return found


def _fill_context(conn: DbConnection, results: list[Result]) -> None:
    """Provider, scope and name for rows a rule did not give them, from identity or credential."""
    missing = [r for r in results if not (r.provider and r.scope and r.resource_name)]
    for start in range(0, len(missing), 500):
        chunk = missing[start : start + 500]
        ids = [r.resource_id for r in chunk]
        marks = ",".join("?" * len(ids))
        known: dict[str, tuple[Any, ...]] = {}  # id -> (provider, scope, name)
        for table, name in (("credential", "COALESCE(name, id)"), ("identity", "name")):
            for row in conn.execute(f"SELECT id, provider, scope, {name} FROM {table} WHERE id IN ({marks})", ids):
                known.setdefault(row[0], tuple(row[1:]))
        for r in chunk:
            provider, scope, name = known.get(r.resource_id, (None, None, None))
            r.provider = r.provider or provider or "unknown"
            r.scope = r.scope or scope or "unknown"
            r.resource_name = r.resource_name or name or r.resource_id


# Keyed by (rule_id, resource_id), the pair the fingerprint hashes: each rule's rows land in
# its own key range (a rule's results mostly arrive in resource order), so inserting stays
# within a few hot pages however large the table grows. Keyed by the fingerprint, every insert
# went to a random page of the whole table, which outgrew the temp page cache at 1M
# credentials (280k results) and cost about 5 us per result. Findings are still written in
# fingerprint order (findings.py sorts once).
RESULT_TABLE = """CREATE TEMP TABLE IF NOT EXISTS rule_result (
    rule_id TEXT NOT NULL, resource_id TEXT NOT NULL, fingerprint TEXT NOT NULL, resource_type TEXT NOT NULL,
    reason TEXT NOT NULL, provider TEXT, scope TEXT, resource_name TEXT, evidence TEXT NOT NULL,
    suppression_index INTEGER, PRIMARY KEY (rule_id, resource_id)) WITHOUT ROWID"""

# Views several rules read whose rows cost a scan of a whole table each time (v_rule_agents
# reads every identity's tags): computed once per evaluation into a temp table of the same
# name. SQLite resolves an unqualified name in the temp schema first, so rule SQL reading
# `v_rule_agents` reads the snapshot; the documented view itself is unchanged.
SNAPSHOT_VIEWS = {"v_rule_agents": ("identity_id",)}


@contextmanager
def view_snapshots(conn: DbConnection) -> Iterator[None]:
    """Materialise SNAPSHOT_VIEWS as indexed temp tables for the block, then drop them (so later
    queries on this connection read the live views). A connection that cannot create temp
    tables (query_only) simply reads the views: the answers are the same, only slower. On
    PostgreSQL the planner needs no snapshot (and a failed statement would abort the
    transaction), so the views are read as they are."""
    if engine_of(conn) != "sqlite":
        yield
        return
    made = []
    try:
        for view, columns in SNAPSHOT_VIEWS.items():
            try:
                conn.execute(f"DROP TABLE IF EXISTS temp.{view}")
                conn.execute(f"CREATE TEMP TABLE {view} AS SELECT * FROM main.{view}")
            except sqlite3.Error:
                continue
            made.append(view)
            for column in columns:
                conn.execute(f"CREATE INDEX temp.{view}_{column} ON {view} ({column})")
        yield
    finally:
        for view in made:
            conn.execute(f"DROP TABLE IF EXISTS temp.{view}")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _insert_sql(conn: DbConnection, rule: Rule, values: dict[str, Any]) -> str | None:
    """The set-based form of a rule: INSERT OR IGNORE ... SELECT over the rule's query, with
    the same defaults as iter_rule and the evidence built by json_object (keys sorted). None
    when the columns do not allow it (duplicate names): the caller streams the rule instead."""
    with guarded(conn):
        columns = [d[0] for d in conn.execute(f"SELECT * FROM (\n{rule.sql}\n) AS r LIMIT 0", values).description or []]
    if "resource_id" not in columns or len(set(columns)) != len(columns):
        return None

    def col(name: str) -> str:
        return f"r.{_quote(name)}" if name in columns else "NULL"

    extra = sorted(c for c in columns if c not in STANDARD_COLUMNS)
    # SQLite's json_object; PostgreSQL's json_build_object keeps the (sorted) key order too
    build = "json_object(" if engine_of(conn) == "sqlite" else "CAST(json_build_object("
    evidence = build + ", ".join(f"'{c.replace(chr(39), chr(39) * 2)}', r.{_quote(c)}" for c in extra) + ")"
    if engine_of(conn) != "sqlite":
        evidence += " AS TEXT)"
    return (
        "INSERT OR IGNORE INTO temp.rule_result (fingerprint, rule_id, resource_id, resource_type, reason, provider, "
        "scope, resource_name, evidence) SELECT nhi_fingerprint(:__rule_id, CAST(r.resource_id AS TEXT)), :__rule_id, "
        f"CAST(r.resource_id AS TEXT), "
        f"CASE WHEN {col('resource_type')} IS NULL OR {col('resource_type')} IN ('', 0) THEN 'identity' "
        f"ELSE CAST({col('resource_type')} AS TEXT) END, "
        f"CASE WHEN {col('reason')} IS NULL OR {col('reason')} IN ('', 0) THEN :__default_reason "
        f"ELSE CAST({col('reason')} AS TEXT) END, "
        f"{col('provider')}, {col('scope')}, {col('resource_name')}, {evidence} "
        f"FROM (\n{rule.sql}\n) AS r WHERE r.resource_id IS NOT NULL"
    )


def _authorize_insert(action: int, arg1: str | None, arg2: str | None, db_name: str | None, trigger: str | None) -> int:
    """The rule guard, plus the one write the engine itself makes: rows into temp.rule_result."""
    if action == sqlite3.SQLITE_INSERT and arg1 == "rule_result" and db_name == "temp":
        return sqlite3.SQLITE_OK
    return authorize_read(action, arg1, arg2, db_name, trigger)


def _run_set_based(conn: DbConnection, rule: Rule, values: dict[str, Any]) -> int | None:
    """Rows written, or None when the rule needs the streaming path."""
    statement = _insert_sql(conn, rule, values)
    if statement is None:
        return None
    conn.set_authorizer(_authorize_insert)
    try:
        cursor = conn.execute(statement, {**values, "__rule_id": rule.id, "__default_reason": f"{rule.meta.title}."})
    finally:
        conn.set_authorizer(None)
    return cursor.rowcount


def _run_streamed(conn: DbConnection, rule: Rule) -> int:
    insert = (
        "INSERT INTO temp.rule_result (fingerprint, rule_id, resource_id, resource_type, reason, provider, scope, "
        "resource_name, evidence) VALUES (?,?,?,?,?,?,?,?,?)"
    )
    batch, n = [], 0
    for r in iter_rule(conn, rule):
        batch.append(
            (
                r.fingerprint,
                r.rule_id,
                r.resource_id,
                r.resource_type,
                r.reason,
                r.provider,
                r.scope,
                r.resource_name,
                json.dumps(r.evidence, sort_keys=True, default=str),
            )
        )
        if len(batch) >= 2000:
            conn.executemany(insert, batch)
            n, batch = n + len(batch), []
    conn.executemany(insert, batch)
    return n + len(batch)


@dataclass
class Evaluation:
    problems: list[RuleProblem]
    counts: dict[str, int]  # rule id -> findings
    timings: dict[str, tuple[float, float]] = field(default_factory=dict)  # step -> (wall s, CPU s)


def evaluate(conn: DbConnection, rules: list[Rule]) -> Evaluation:
    """Every rule, each on its own, into the temp table ``rule_result``.

    Each rule runs as one INSERT ... SELECT over its query (SQLite writes the results; Python
    never sees the rows), so time and memory stay flat however many findings there are. A rule
    whose results SQL cannot write that way (duplicate column names, BLOB evidence) is streamed
    through Python with the same defaults. A failing rule is reported and the others still run."""
    conn.execute(RESULT_TABLE)
    conn.execute("DELETE FROM temp.rule_result")
    conn.create_function("nhi_fingerprint", 2, fingerprint, deterministic=True)
    problems, counts, timings = [], {}, {}
    errors = db_errors()
    failures: tuple[type[BaseException], ...] = (
        *errors,
        ValueError,
        SqlTimeout,
    )  # a rule that fails is a problem, not a failed scan
    started = (time.perf_counter(), time.process_time())
    with view_snapshots(conn):
        timings["(view snapshots)"] = (time.perf_counter() - started[0], time.process_time() - started[1])
        for rule in rules:
            started = (time.perf_counter(), time.process_time())
            if engine_of(conn) != "sqlite" and unportable(rule.sql):
                problems.append(
                    RuleProblem(
                        rule.folder / "rule.sql",
                        f"rule {rule.id} uses SQLite-only SQL "
                        f"({', '.join(unportable(rule.sql))}): it runs on SQLite inventories "
                        "only, not on this PostgreSQL one",
                    )
                )
                continue
            values = {k: bind_value(v) for k, v in rule.params.items()}
            conn.execute("SAVEPOINT rule_eval")
            try:
                try:
                    # A user rule on SQLite is streamed: its SELECT can then be stopped at the
                    # deadline without rolling back the scan's transaction (nhi_cli/store/limits.py).
                    streamed = not rule.builtin and engine_of(conn) == "sqlite"
                    n = None if streamed else _run_set_based(conn, rule, values)
                except errors:
                    n = None  # a runtime error (e.g. json_object of a BLOB): the streaming path decides
                    conn.execute("ROLLBACK TO rule_eval")
                if n is None:
                    n = _run_streamed(conn, rule)
                counts[rule.id] = n
                conn.execute("RELEASE rule_eval")
            except failures as exc:
                conn.execute("ROLLBACK TO rule_eval")
                conn.execute("RELEASE rule_eval")
                message = exc.message if isinstance(exc, SqlTimeout) else f"SQL error: {exc}"
                problems.append(RuleProblem(rule.folder / "rule.sql", message))
            timings[rule.id] = (time.perf_counter() - started[0], time.process_time() - started[1])
    started = (time.perf_counter(), time.process_time())
    # provider, scope and name for results whose rule did not return them
    conn.execute("""UPDATE temp.rule_result SET
        provider = COALESCE(provider, (SELECT provider FROM credential WHERE id = resource_id),
                            (SELECT provider FROM identity WHERE id = resource_id), 'unknown'),
        scope = COALESCE(scope, (SELECT scope FROM credential WHERE id = resource_id),
                         (SELECT scope FROM identity WHERE id = resource_id), 'unknown'),
        resource_name = COALESCE(resource_name, (SELECT COALESCE(name, id) FROM credential WHERE id = resource_id),
                                 (SELECT name FROM identity WHERE id = resource_id), resource_id)
        WHERE provider IS NULL OR scope IS NULL OR resource_name IS NULL""")
    timings["(fill provider/scope/name)"] = (time.perf_counter() - started[0], time.process_time() - started[1])
    return Evaluation(problems, counts, timings)
