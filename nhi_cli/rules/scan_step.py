"""The scan's post-load step: people, agent patterns, rules and findings, in the scan's
transaction, so an interrupted scan leaves neither new inventory nor new findings behind."""
from __future__ import annotations

import sqlite3
import time

from nhi_cli.rules.engine import evaluate
from nhi_cli.rules.findings import record_findings
from nhi_cli.rules.loader import RuleSet
from nhi_cli.rules.people import load_people


def copy_agent_patterns(conn: sqlite3.Connection, agents) -> None:
    conn.execute("DELETE FROM rule_agent_pattern")
    rows = [(a.name, p, "identity") for a in agents for p in a.identities]
    rows += [(a.name, p, "credential") for a in agents for p in a.credentials]
    conn.executemany("INSERT OR IGNORE INTO rule_agent_pattern (agent_name, pattern, kind) VALUES (?, ?, ?)", rows)


class RulesStep:
    """Callable post_load hook; keeps what the CLI needs afterwards (summary, rule problems)."""

    def __init__(self, config, ruleset: RuleSet):
        self.config = config
        self.ruleset = ruleset
        self.problems = []
        self.summary: dict = {}
        self.timings: dict[str, tuple[float, float]] = {}  # step -> (wall s, CPU s), for benchmarks

    def __call__(self, conn: sqlite3.Connection, scan_id: int) -> None:
        load_people(conn, self.config.people)
        copy_agent_patterns(conn, self.config.agents)
        # rules re-read the same tables many times: map the file rather than copy pages through
        # the small default page cache (bounded, so memory stays flat on big inventories)
        conn.execute("PRAGMA mmap_size = 268435456")
        # recording findings inserts into several indexes keyed by random fingerprints: with the
        # default 2 MB page cache every insert evicts a page another insert needs next (6 s of
        # 31 at 1M credentials); 64 MB holds them, and is given back when the step ends
        # (the temp schema, where the results collect, has a cache of its own)
        sizes = {schema: conn.execute(f"PRAGMA {schema}.cache_size").fetchone()[0] for schema in ("main", "temp")}
        for schema in sizes:
            conn.execute(f"PRAGMA {schema}.cache_size = -65536")
        try:
            self._evaluate(conn, scan_id)
        finally:
            for schema, size in sizes.items():
                conn.execute(f"PRAGMA {schema}.cache_size = {int(size)}")

    def _evaluate(self, conn: sqlite3.Connection, scan_id: int) -> None:
        evaluation = evaluate(conn, self.ruleset.rules)
        self.problems = evaluation.problems
        self.timings = dict(evaluation.timings)
        started = (time.perf_counter(), time.process_time())
        ran = [r for r in self.ruleset.rules if r.id in evaluation.counts]
        errored = {r.id for r in self.ruleset.rules if r.id not in evaluation.counts}
        self.summary = record_findings(conn, scan_id, ran, self.config.suppressions, errored)
        self.summary["rules"] = len(ran)
        self.timings["(record findings)"] = (time.perf_counter() - started[0], time.process_time() - started[1])
