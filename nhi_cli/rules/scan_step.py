"""The scan's post-load step: people, agent patterns, rules and findings, in the scan's
transaction, so an interrupted scan leaves neither new inventory nor new findings behind."""

from __future__ import annotations

import time
from typing import Any

from nhi_cli.config import AgentConfig, Config
from nhi_cli.iam.store_step import refresh as refresh_effective_permissions
from nhi_cli.rules.engine import evaluate
from nhi_cli.rules.findings import record_findings
from nhi_cli.rules.loader import RuleProblem, RuleSet
from nhi_cli.rules.people import load_people
from nhi_cli.store.db import engine_of
from nhi_cli.store.interface import DbConnection


def copy_agent_patterns(conn: DbConnection, agents: list[AgentConfig]) -> None:
    conn.execute("DELETE FROM rule_agent_pattern")
    rows = [(a.name, p, "identity") for a in agents for p in a.identities]
    rows += [(a.name, p, "credential") for a in agents for p in a.credentials]
    conn.executemany("INSERT OR IGNORE INTO rule_agent_pattern (agent_name, pattern, kind) VALUES (?, ?, ?)", rows)


# What the load wrote and the rules read. PostgreSQL plans from statistics that autovacuum
# gathers only some time after a load has committed: rules evaluated in the load's own
# transaction would otherwise be planned from the previous scan's row counts (or none, on a
# new inventory; one rule once took 258 s instead of 3 s that way, benchmarks/README.md).
# ANALYZE samples a bounded number of rows per table, and counts this transaction's own rows.
# SQLite's rules are written not to need statistics.
LOADED_TABLES = (
    "identity",
    "credential",
    '"grant"',
    "policy_grant",
    "policy_attachment",
    "trust",
    "credential_location",
    "person",
    "rule_agent_pattern",
)


def refresh_statistics(conn: DbConnection, tables: tuple[str, ...]) -> None:
    if engine_of(conn) == "postgresql":
        conn.execute(f"ANALYZE {', '.join(tables)}")


class RulesStep:
    """Callable post_load hook; keeps what the CLI needs afterwards (summary, rule problems)."""

    def __init__(self, config: Config, ruleset: RuleSet) -> None:
        self.config = config
        self.ruleset = ruleset
        self.problems: list[RuleProblem] = []
        self.summary: dict[str, Any] = {}
        self.timings: dict[str, tuple[float, float]] = {}  # step -> (wall s, CPU s), for benchmarks

    def __call__(self, conn: DbConnection, scan_id: int) -> None:
        load_people(conn, self.config.people)
        copy_agent_patterns(conn, self.config.agents)
        if engine_of(conn) != "sqlite":  # the page-cache tuning below is SQLite's
            started = (time.perf_counter(), time.process_time())
            refresh_statistics(conn, LOADED_TABLES)
            analyse_timing = (time.perf_counter() - started[0], time.process_time() - started[1])
            self._evaluate(conn, scan_id)
            self.timings["(analyze)"] = analyse_timing
            return
        # Rules re-read the same tables many times: map the file rather than copy pages through
        # the page cache. Bounded (mapped pages count towards the process's resident memory
        # once touched) at 320 MB: at 1M credentials the file is 940 MB, and the mapped part is
        # worth more than the same memory as page cache (measured: 256 MB mapped + 2 x 64 MB
        # cache 9.4 CPU s / 503 MB peak; 320 MB mapped + 8 + 16 MB cache 8.6-9.0 s / 393 MB).
        conn.execute("PRAGMA mmap_size = 335544320")
        # Findings are written in fingerprint order (findings.py), so inserting into the
        # fingerprint indexes touches few pages: a modest page cache suffices (bigger caches
        # measured slower). Both are given back when the step ends.
        wanted = {"main": -8192, "temp": -16384}  # KiB
        sizes = {schema: conn.execute(f"PRAGMA {schema}.cache_size").fetchone()[0] for schema in ("main", "temp")}
        for schema, size in wanted.items():
            conn.execute(f"PRAGMA {schema}.cache_size = {size}")
        try:
            self._evaluate(conn, scan_id)
        finally:
            for schema, size in sizes.items():
                conn.execute(f"PRAGMA {schema}.cache_size = {int(size)}")

    def _evaluate(self, conn: DbConnection, scan_id: int) -> None:
        started = (time.perf_counter(), time.process_time())
        # what AWS principals can effectively do (admin, escalation methods, assume-role
        # edges), which the AWS permission rules read
        refresh_effective_permissions(conn)
        refresh_statistics(conn, ("effective_permission",))
        iam_timing = (time.perf_counter() - started[0], time.process_time() - started[1])
        evaluation = evaluate(conn, self.ruleset.rules)
        self.problems = evaluation.problems
        self.timings = {"(aws effective permissions)": iam_timing, **evaluation.timings}
        started = (time.perf_counter(), time.process_time())
        ran = [r for r in self.ruleset.rules if r.id in evaluation.counts]
        errored = {r.id for r in self.ruleset.rules if r.id not in evaluation.counts}
        self.summary = record_findings(conn, scan_id, ran, self.config.suppressions, errored)
        self.summary["rules"] = len(ran)
        self.timings["(record findings)"] = (time.perf_counter() - started[0], time.process_time() - started[1])
