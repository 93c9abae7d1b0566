"""Who may write what at the same time: PostgreSQL advisory locks, held for one transaction.

- Shard scans run concurrently: each takes the evaluation lock *shared* and, just before it
  writes a scope, that scope's lock exclusively. Shards own disjoint scopes, so they never
  wait for each other; two runners given the same scope (a misconfigured matrix) take turns
  instead of interleaving their rows.
- `nhi evaluate` (and an unsharded `nhi scan`, which evaluates) takes the evaluation lock
  *exclusively*: it waits for the shard writes in flight, and shard writes that start after it
  wait for it, so rules never read an estate half-written.
- Readers (reports, `nhi query`, dashboards) take no lock: a scope's new rows become visible
  only when its shard commits (PostgreSQL's snapshot isolation per statement).

On SQLite the file has one writer at a time (BEGIN IMMEDIATE), which gives the same guarantees;
these functions do nothing there.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

from nhi_cli.model import ScopeResult
from nhi_cli.store.db import engine_of
from nhi_cli.store.interface import DbConnection


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_*lock."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


EVALUATION_LOCK = lock_key("nhi:evaluation")


def scope_lock_key(provider: str, scope: str) -> int:
    return lock_key(f"nhi:scope\0{provider}\0{scope}")


def hold_scan_write(conn: DbConnection, *, evaluates: bool) -> None:
    """At the start of a scan's write transaction."""
    if engine_of(conn) == "sqlite":
        return
    mode = "pg_advisory_xact_lock" if evaluates else "pg_advisory_xact_lock_shared"
    conn.execute(f"SELECT {mode}(?)", (EVALUATION_LOCK,))


def hold_scope(conn: DbConnection, provider: str, scope: str) -> None:
    """Just before a scan writes one scope's rows."""
    if engine_of(conn) != "sqlite":
        conn.execute("SELECT pg_advisory_xact_lock(?)", (scope_lock_key(provider, scope),))


def hold_evaluation(conn: DbConnection, waiting: Callable[[str], None] | None = None) -> None:
    """At the start of `nhi evaluate`: wait (saying so) while shard scans are writing."""
    if engine_of(conn) == "sqlite":
        return
    if conn.execute("SELECT pg_try_advisory_xact_lock(?)", (EVALUATION_LOCK,)).fetchone()[0]:
        return
    if waiting:
        waiting("nhi: shard scans are still writing to this inventory; evaluate waits for them to commit")
    conn.execute("SELECT pg_advisory_xact_lock(?)", (EVALUATION_LOCK,))


def sorted_scopes(results: Iterable[ScopeResult]) -> list[ScopeResult]:
    """Scopes in one order for every writer (provider, scope), so scope locks never deadlock."""
    return sorted(results, key=lambda r: (r.provider, r.scope))
