"""The findings lifecycle: what one scan's rule results do to the findings tables.

- `finding` keeps the current state per fingerprint (rule + resource): open or resolved, with
  first/last seen. A finding that comes back after being resolved reopens under its old
  fingerprint and keeps its first_seen.
- `finding_occurrence` records every finding of every scan, with whether a suppression hid it.
- `scan_rule` records the rules as they ran (effective severity and params); `scan_suppression`
  records every configured suppression with `expired` and how many findings it `matched`.

A finding is "new" in a scan when the previous scan had no occurrence of its fingerprint.
Every open finding the scan did not report is resolved (fixed, removed, or its rule disabled),
except findings of a rule that failed in this scan.
Suppressions match the rule id (exact or glob) and the resource id or name (exact or glob, as
SQLite GLOB: case-sensitive `*`, `?`, `[...]`); the first matching suppression wins. An expired
suppression hides nothing, and the scan reports it as expired with what it matched.
"""

from __future__ import annotations

import json
from collections.abc import Set as AbstractSet
from datetime import date
from typing import Any

from nhi_cli.config import Suppression
from nhi_cli.rules.loader import Rule
from nhi_cli.severity import Severity, rank, worst_first
from nhi_cli.store.interface import DbConnection


def suppression_expired(suppression: Suppression, today: date) -> bool:
    """A suppression is valid through its expiry date and expired the day after."""
    return suppression.expires < today


def _glob(pattern: str) -> str:
    """fnmatch-style pattern as SQLite GLOB: only the negated class differs ([!x] -> [^x])."""
    return pattern.replace("[!", "[^")


def previous_scan(conn: DbConnection, scan_id: int) -> int | None:
    previous: int | None = conn.execute("SELECT MAX(id) FROM scan_run WHERE id < ?", (scan_id,)).fetchone()[0]
    return previous


def record_findings(
    conn: DbConnection,
    scan_id: int,
    rules: list[Rule],
    suppressions: list[Suppression],
    errored: AbstractSet[str] = frozenset(),
) -> dict[str, Any]:
    """Write one scan's findings from temp.rule_result (filled by engine.evaluate), set-based;
    returns a summary (counts and expired suppressions)."""
    now = conn.execute("SELECT started_at FROM scan_run WHERE id = ?", (scan_id,)).fetchone()[0]
    today = date.fromisoformat(now[:10])
    conn.executemany(
        "INSERT OR REPLACE INTO scan_rule (scan_id, rule_id, title, severity, property, meta) VALUES (?,?,?,?,?,?)",
        [
            (
                scan_id,
                r.id,
                r.meta.title,
                r.severity,
                r.meta.property,
                json.dumps(r.describe(), sort_keys=True, default=str),
            )
            for r in rules
        ],
    )
    # suppressions in order, first match wins; an expired one still counts what it matches
    expired = [suppression_expired(s, today) for s in suppressions]
    matched = []
    for index, s in enumerate(suppressions):
        matched.append(
            conn.execute(
                "UPDATE temp.rule_result SET suppression_index = ? WHERE suppression_index IS NULL AND rule_id GLOB ? "
                "AND (resource_id GLOB ? OR resource_name GLOB ?)",
                (index, _glob(s.rule), _glob(s.resource), _glob(s.resource)),
            ).rowcount
        )
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS rule_suppression (idx INTEGER PRIMARY KEY, hides INTEGER, doc TEXT)")
    conn.execute("DELETE FROM temp.rule_suppression")
    conn.executemany(
        "INSERT INTO temp.rule_suppression VALUES (?, ?, ?)",
        [
            (
                i,
                int(not expired[i]),
                json.dumps(
                    {
                        "rule": s.rule,
                        "resource": s.resource,
                        "reason": s.reason,
                        "owner": s.owner,
                        "expires": s.expires.isoformat(),
                    }
                ),
            )
            for i, s in enumerate(suppressions)
        ],
    )
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS rule_meta (rule_id TEXT PRIMARY KEY, severity TEXT, property TEXT)")
    conn.execute("DELETE FROM temp.rule_meta")
    conn.executemany(
        "INSERT INTO temp.rule_meta VALUES (?, ?, ?)", [(r.id, r.severity, r.meta.property) for r in rules]
    )
    # Rows go in fingerprint order: the fingerprint indexes of finding and finding_occurrence
    # then grow at one end instead of taking every insert at a random page (4 s of 14 at 1M
    # credentials, 281k findings). rule_result is keyed by rule and resource (cheap to fill),
    # so the rows are sorted once, with everything both inserts need, into a table keyed by
    # fingerprint, and both inserts read it in order (sorting for each insert cost 1 s more).
    conn.execute("DROP TABLE IF EXISTS temp.finding_batch")
    conn.execute(
        "CREATE TEMP TABLE finding_batch (fingerprint TEXT PRIMARY KEY, rule_id TEXT, resource_id TEXT, "
        "resource_type TEXT, resource_name TEXT, provider TEXT, scope TEXT, severity TEXT, property TEXT, reason TEXT, "
        "evidence TEXT, suppressed INTEGER, suppression TEXT) WITHOUT ROWID"
    )
    conn.execute(
        "INSERT INTO temp.finding_batch SELECT r.fingerprint, r.rule_id, r.resource_id, r.resource_type, "
        "r.resource_name, r.provider, r.scope, m.severity, m.property, r.reason, r.evidence, COALESCE(s.hides, 0), "
        "CASE WHEN s.hides = 1 THEN s.doc END "
        "FROM temp.rule_result r JOIN temp.rule_meta m USING (rule_id) "
        "LEFT JOIN temp.rule_suppression s ON s.idx = r.suppression_index ORDER BY r.fingerprint"
    )
    conn.execute(
        "INSERT OR REPLACE INTO finding_occurrence "
        "(scan_id, fingerprint, severity, reason, evidence, suppressed, suppression) "
        "SELECT ?, fingerprint, severity, reason, evidence, suppressed, suppression FROM temp.finding_batch "
        "ORDER BY fingerprint",
        (scan_id,),
    )
    conn.execute(
        "INSERT INTO finding (fingerprint, rule_id, resource_id, resource_type, resource_name, provider, scope, "
        "severity, property, reason, evidence, status, first_seen, last_seen, first_scan, last_scan) "
        "SELECT fingerprint, rule_id, resource_id, resource_type, resource_name, provider, scope, "
        "severity, property, reason, evidence, 'open', :now, :now, :scan, :scan "
        "FROM temp.finding_batch WHERE true ORDER BY fingerprint "
        "ON CONFLICT(fingerprint) DO UPDATE SET resource_type = excluded.resource_type, "
        "resource_name = excluded.resource_name, provider = excluded.provider, scope = excluded.scope, "
        "severity = excluded.severity, property = excluded.property, reason = excluded.reason, "
        "evidence = excluded.evidence, status = 'open', last_seen = excluded.last_seen, "
        "last_scan = excluded.last_scan, resolved_at = NULL, resolved_scan = NULL",
        {"now": now, "scan": scan_id},
    )
    # a rule that failed this scan proves nothing about its findings: they stay as they were
    keep = sorted(errored)
    resolved = conn.execute(
        "UPDATE finding SET status = 'resolved', resolved_at = ?, resolved_scan = ? "
        f"WHERE status = 'open' AND last_scan <> ? AND rule_id NOT IN ({','.join('?' * len(keep))})",
        (now, scan_id, scan_id, *keep),
    ).rowcount
    conn.executemany(
        "INSERT INTO scan_suppression (scan_id, rule, resource, reason, owner, expires, expired, matched) "
        "VALUES (?,?,?,?,?,?,?,?)",
        [
            (scan_id, s.rule, s.resource, s.reason, s.owner, s.expires.isoformat(), int(expired[i]), matched[i])
            for i, s in enumerate(suppressions)
        ],
    )
    # the occurrences just written, counted where they came from (the temp table is hot;
    # finding_occurrence would be read row by row for `suppressed`)
    total, suppressed = conn.execute("SELECT COUNT(*), COALESCE(SUM(suppressed), 0) FROM temp.finding_batch").fetchone()
    # finding_batch stays until the next scan on this connection or its close, like rule_result:
    # dropping it walks every page (0.15 s at 280k findings) only to free a temp file early
    return {
        "findings": total,
        "suppressed": suppressed,
        "resolved": resolved,
        "expired_suppressions": [
            {
                "rule": s.rule,
                "resource": s.resource,
                "owner": s.owner,
                "expires": s.expires.isoformat(),
                "matched": matched[i],
            }
            for i, s in enumerate(suppressions)
            if expired[i]
        ],
    }


def new_fingerprints(conn: DbConnection, scan_id: int, baseline: set[str] | None = None) -> set[str]:
    """Fingerprints of this scan that are new: absent from the baseline file when one is given,
    else absent from the previous scan (every finding is new on the first scan)."""
    current = {r[0] for r in conn.execute("SELECT fingerprint FROM finding_occurrence WHERE scan_id = ?", (scan_id,))}
    if baseline is not None:
        return current - baseline
    previous = previous_scan(conn, scan_id)
    if previous is None:
        return current
    before = {r[0] for r in conn.execute("SELECT fingerprint FROM finding_occurrence WHERE scan_id = ?", (previous,))}
    return current - before


def gating_findings(
    conn: DbConnection,
    scan_id: int,
    fail_on: Severity | str,
    *,
    new_only: bool = False,
    baseline: set[str] | None = None,
) -> list[dict[str, Any]]:
    """Open, unsuppressed findings of ``scan_id`` at or above ``fail_on`` (and new, if asked)."""
    threshold = Severity.parse(fail_on, what="fail_on").rank
    rows = conn.execute(
        "SELECT o.fingerprint, o.severity, f.rule_id, f.resource_id, f.resource_name, o.reason "
        "FROM finding_occurrence o JOIN finding f USING (fingerprint) WHERE o.scan_id = ? AND o.suppressed = 0",
        (scan_id,),
    ).fetchall()
    found = [dict(r) for r in rows if rank(r["severity"]) >= threshold]
    if new_only:
        fresh = new_fingerprints(conn, scan_id, baseline)
        found = [f for f in found if f["fingerprint"] in fresh]
    return sorted(found, key=lambda f: (worst_first(f["severity"]), f["rule_id"], f["resource_id"]))


def latest_scan(conn: DbConnection) -> int | None:
    latest: int | None = conn.execute("SELECT MAX(id) FROM scan_run").fetchone()[0]
    return latest


def list_findings(conn: DbConnection, scan_id: int, *, include_resolved: bool = False) -> list[dict[str, Any]]:
    """The findings of one scan (open and suppressed), and optionally those resolved since.

    status: open | suppressed | resolved; new: absent from the previous scan."""
    fresh = new_fingerprints(conn, scan_id)
    rows = conn.execute(
        "SELECT f.fingerprint, o.severity, f.rule_id, f.property, f.provider, f.scope, f.resource_type, f.resource_id, "
        "f.resource_name, o.reason, o.evidence, o.suppressed, o.suppression, f.first_seen, f.last_seen, f.first_scan "
        "FROM finding_occurrence o JOIN finding f USING (fingerprint) WHERE o.scan_id = ?",
        (scan_id,),
    ).fetchall()
    found = []
    for r in rows:
        row = dict(r)
        row["status"] = "suppressed" if row.pop("suppressed") else "open"
        row["new"] = row["fingerprint"] in fresh
        row["evidence"] = json.loads(row["evidence"] or "{}")
        row["suppression"] = json.loads(row["suppression"]) if row["suppression"] else None
        found.append(row)
    if include_resolved:
        for r in conn.execute(
            "SELECT fingerprint, severity, rule_id, property, provider, scope, resource_type, resource_id, "
            "resource_name, reason, evidence, first_seen, last_seen, first_scan, resolved_at FROM finding "
            "WHERE status = 'resolved' AND resolved_scan <= ?",
            (scan_id,),
        ):
            row = dict(r)
            row.update(status="resolved", new=False, evidence=json.loads(row["evidence"] or "{}"), suppression=None)
            found.append(row)
    return sorted(found, key=lambda f: (worst_first(f["severity"]), f["rule_id"], f["resource_id"]))
