"""`nhi evaluate`: agents, rules and the findings lifecycle, once, over the whole inventory.

After N shard scans (`nhi scan --shard K/N`), each of which wrote only its own scopes, one
evaluation records a scan of its own: its coverage is every scope's latest result (a scope
whose shard failed keeps its earlier rows and shows the result of the scan that last wrote
it, with that scan's id), then the same post-load steps an unsharded scan runs (agents,
rules, findings) read the whole estate. It waits for shard writes in flight (store/locks.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from nhi_cli import __version__
from nhi_cli.model import iso, utcnow
from nhi_cli.scan import operator_name
from nhi_cli.store.interface import DbConnection, Inventory
from nhi_cli.store.load import PostLoad
from nhi_cli.store.locks import hold_evaluation, hold_scan_write

LATEST_RESULTS = """
SELECT r.* FROM scope_result r
JOIN (SELECT provider, scope, MAX(scan_id) AS scan_id FROM scope_result WHERE scope <> '*'
      GROUP BY provider, scope) latest
  ON latest.provider = r.provider AND latest.scope = r.scope AND latest.scan_id = r.scan_id
ORDER BY r.provider, r.scope
"""
LOADED = ("complete", "partial")


@dataclass
class EvaluationOutcome:
    scan_id: int
    scopes: int
    complete: bool
    from_scans: list[int]
    missing_shards: list[str]


def missing_shards(conn: DbConnection) -> list[str]:
    """Shards of the current round that wrote nothing: a runner that failed or was killed (its
    scopes keep their earlier rows). A round is every shard scan since the last complete
    evaluation, so re-running the failed shard and evaluating again completes it."""
    last = conn.execute(
        "SELECT MAX(id) FROM scan_run WHERE status = 'complete' AND summary LIKE '%\"evaluation\": true%'"
    ).fetchone()[0]
    seen: dict[int, set[int]] = {}
    for (summary,) in conn.execute(
        "SELECT summary FROM scan_run WHERE id > ? AND summary LIKE '%\"shard\"%'", (last or 0,)
    ).fetchall():
        k, n = (int(x) for x in json.loads(summary)["shard"].split("/"))
        seen.setdefault(n, set()).add(k)
    if not seen:
        return []
    n = max(seen)
    return [f"{k}/{n}" for k in range(1, n + 1) if k not in seen[n]]


def run_evaluation(
    store: Inventory,
    post_load: list[PostLoad],
    *,
    now: datetime | None = None,
    waiting: Callable[[str], None] | None = None,
) -> EvaluationOutcome:
    started = now or utcnow()
    with store.transaction() as conn:
        hold_evaluation(conn, waiting)
        hold_scan_write(conn, evaluates=True)
        latest = [dict(r) for r in conn.execute(LATEST_RESULTS).fetchall()]
        missing = missing_shards(conn)
        complete = all(r["status"] in LOADED for r in latest) and not missing
        sources = sorted({r["scan_id"] for r in latest})
        summary = {
            "evaluation": True,
            "scopes": len(latest),
            "from_scans": sources,
            "missing_shards": missing,
            "providers": sorted({r["provider"] for r in latest}),
            "identities": sum(r["identities"] for r in latest if r["status"] in LOADED),
            "credentials": sum(r["credentials"] for r in latest if r["status"] in LOADED),
        }
        demo = conn.execute("SELECT demo FROM scan_run WHERE id = ?", (max(sources),)).fetchone()[0] if sources else 0
        scan_id = conn.execute(
            "INSERT INTO scan_run (started_at, finished_at, status, nhi_version, demo, operator, summary) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                iso(started),
                iso(utcnow()),
                "complete" if complete else "incomplete",
                __version__,
                demo,
                operator_name(),
                json.dumps(summary),
            ),
        ).lastrowid
        assert scan_id is not None  # an INSERT always sets it
        started_of = dict(conn.execute("SELECT id, started_at FROM scan_run").fetchall())
        for r in latest:  # coverage says which scan wrote each scope's rows, and when
            where = f"rows from scan {r['scan_id']} ({started_of.get(r['scan_id'])})"
            message = f"{r['message']} [{where}]" if r["message"] else where
            conn.execute(
                "INSERT INTO scope_result (scan_id, provider, scope, scope_name, status, error_code, message, gaps, "
                "api_calls, duration_ms, identities, credentials) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    scan_id,
                    r["provider"],
                    r["scope"],
                    r["scope_name"],
                    r["status"],
                    r["error_code"],
                    message,
                    r["gaps"],
                    r["api_calls"],
                    r["duration_ms"],
                    r["identities"],
                    r["credentials"],
                ),
            )
        for step in post_load:
            step(conn, scan_id)
    return EvaluationOutcome(scan_id, len(latest), complete, sources, missing)
