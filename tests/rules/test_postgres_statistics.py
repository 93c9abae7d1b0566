"""On PostgreSQL, the rules of a scan run in the scan's own transaction, before autovacuum has
seen a single new row: planned from no statistics, one rule took 11 to 14 minutes instead of a
second at 75,000 identities (benchmarks/README.md). The scan analyses what it loaded first."""

from __future__ import annotations

import time

import psycopg
import pytest

TABLES = ("identity", "credential", "trust", "policy_attachment")


def _statistics(url: str) -> dict[str, tuple[int, float, int]]:
    """table -> (manual ANALYZE runs, the planner's row estimate, the rows it holds)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET search_path TO nhi")
        out = {}
        for table in TABLES:
            runs = conn.execute(
                "SELECT analyze_count FROM pg_stat_user_tables WHERE schemaname = 'nhi' AND relname = %s", (table,)
            ).fetchone()
            estimate = conn.execute(
                "SELECT reltuples FROM pg_class WHERE relname = %s AND relnamespace = 'nhi'::regnamespace", (table,)
            ).fetchone()
            rows = conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()
            assert runs and estimate and rows
            out[table] = (runs[0], estimate[0], rows[0])
        return out


@pytest.mark.slow
def test_a_scan_leaves_the_planner_statistics_of_what_it_loaded(nhi, pg_url):
    scanned = nhi("scan", "--demo", "--db", pg_url, "--quiet")
    assert scanned.code in (0, 1), scanned.err
    deadline = time.monotonic() + 10  # the server publishes a finished session's counters shortly after
    while True:
        stats = _statistics(pg_url)
        if all(runs for runs, _, _ in stats.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    for table, (runs, estimate, rows) in stats.items():
        assert rows > 0, table
        assert runs >= 1, f"{table} was never analysed by the scan"
        assert estimate == rows, f"the planner estimates {estimate} rows of {table}, it holds {rows}"
