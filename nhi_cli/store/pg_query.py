"""`nhi query` on a PostgreSQL inventory: what SQLite's authorizer and progress handler do there.

- **One statement, read-only, under a deadline.** The statement is sent as a prepared statement
  (the extended protocol refuses a second statement after a `;`, which the simple protocol would
  run: `select 1; copy ... to program ...`), inside a read-only transaction whose
  `statement_timeout` is the query's deadline (`--timeout`, `NHI_QUERY_TIMEOUT`): the server
  cancels the statement and nhi reports it as SQLite's deadline is reported. Ctrl-C cancels the
  running statement (psycopg sends the server a cancel request).
- **Planned before it runs.** `EXPLAIN (VERBOSE)` shows every relation a statement scans, with
  the columns it reads, and every function it calls, through views and subqueries alike. The
  statement is refused, before it runs, when it reads `meta.value` (the inventory's secret
  salt, as guard.py denies on SQLite), reads planner statistics (`pg_statistic` keeps sample
  values of every column, the salt's included), or calls a server-side file, program, large
  object, remote connection or session function: the equivalent of SQLite's ATTACH/VACUUM INTO,
  which would reach outside the inventory (the connecting role may be a superuser). Statements
  that cannot be planned (COPY, SET, DO, CALL, ...) are refused by EXPLAIN itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from nhi_cli.errors import ExitCode, NhiError
from nhi_cli.store.dialect import to_postgres
from nhi_cli.store.limits import SqlTimeout
from nhi_cli.store.postgres import Connection, _plain

DENIED_FUNCTIONS = (
    "pg_read_file",
    "pg_read_binary_file",
    "pg_stat_file",
    "pg_ls_",
    "lo_",
    "dblink",
    "set_config",
    "pg_terminate_backend",
    "pg_cancel_backend",
    "pg_reload_conf",
    "pg_rotate_logfile",
    "pg_promote",
    "pg_switch_wal",
    "pg_logical_emit_message",
    "pg_notify",
    # functions that run SQL given as text, out of the plan's sight
    "query_to_xml",
    "table_to_xml",
    "cursor_to_xml",
    "schema_to_xml",
    "database_to_xml",
    "ts_stat",
)
# by prefix: dblink_exec, query_to_xml_and_xmlschema, pg_ls_waldir, lo_export, ...
_CALLS = re.compile(r"\b((?:" + "|".join(re.escape(f) for f in DENIED_FUNCTIONS) + r")\w*)\s*\(", re.I)
_SECRET_COLUMN = re.compile(r"(?<![\w$])(value|\*)(?![\w$])")
STATISTICS = {"pg_statistic", "pg_statistic_ext_data"}


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def refusal(explained: Any) -> str | None:
    """Why a statement's plan (EXPLAIN (VERBOSE, FORMAT JSON)) may not run, or None."""
    for entry in explained if isinstance(explained, list) else [explained]:
        for node in _nodes(entry.get("Plan", {})):
            own = {k: v for k, v in node.items() if k not in ("Plans", "Relation Name", "Schema", "Alias")}
            text = json.dumps(own)
            relation = (node.get("Relation Name") or "").lower()
            if relation == "meta" and _SECRET_COLUMN.search(json.dumps([own.get(k) for k in sorted(own)])):
                return "reading meta.value is not authorized (the inventory's secret salt)"
            if relation in STATISTICS:
                return f"reading {relation} is not authorized (planner statistics hold sample values of the secrets)"
            called = _CALLS.search(text)
            if called:
                return f"calling {called.group(1)}() is not authorized"
    return None


def user_query(conn: Connection, sql: str, seconds: float, setting: str) -> tuple[list[str], list[dict[str, Any]]]:
    """The caller's SQL on the read-only connection: (columns, rows)."""
    import psycopg

    text = to_postgres(sql)
    raw = conn.raw
    try:
        with raw.transaction():
            raw.execute(f"SET LOCAL statement_timeout = {max(1, int(seconds * 1000))}")
            cursor = raw.cursor()
            cursor.execute("EXPLAIN (VERBOSE, FORMAT JSON) " + text, [], prepare=True)
            plan = cursor.fetchone()
            assert plan is not None  # EXPLAIN always answers one row
            problem = refusal(plan[0])
            if problem:
                raise NhiError(f"query failed: {problem} (nhi query only reads the inventory)", ExitCode.USAGE)
            cursor.execute(text, [], prepare=True)
            columns = [c.name for c in cursor.description or []]
            rows = [dict(zip(columns, (_plain(v) for v in row), strict=True)) for row in cursor.fetchall()]
    except psycopg.errors.QueryCanceled:
        raise SqlTimeout("the query", seconds, setting) from None
    return columns, rows
