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
Suppressions match the rule id (exact or glob) and the resource id or name (exact or glob); an
expired suppression hides nothing, and the scan reports it as expired with what it matched.
"""
from __future__ import annotations

import json
import sqlite3
from datetime import date
from fnmatch import fnmatchcase

from nhi_cli.rules.engine import Result
from nhi_cli.rules.loader import Rule

SEVERITY_RANK = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


def suppression_expired(suppression, today: date) -> bool:
    """A suppression is valid through its expiry date and expired the day after."""
    return suppression.expires < today


def matching_suppression(result: Result, suppressions: list) -> int | None:
    for index, s in enumerate(suppressions):
        if not fnmatchcase(result.rule_id, s.rule):
            continue
        if fnmatchcase(result.resource_id, s.resource) or (
                result.resource_name and fnmatchcase(result.resource_name, s.resource)):
            return index
    return None


def previous_scan(conn: sqlite3.Connection, scan_id: int) -> int | None:
    return conn.execute("SELECT MAX(id) FROM scan_run WHERE id < ?", (scan_id,)).fetchone()[0]


def record_findings(conn: sqlite3.Connection, scan_id: int, rules: list[Rule], results: list[Result],
                    suppressions: list, errored: set[str] = frozenset()) -> dict:
    """Write one scan's findings; returns a summary (counts and expired suppressions)."""
    now = conn.execute("SELECT started_at FROM scan_run WHERE id = ?", (scan_id,)).fetchone()[0]
    today = date.fromisoformat(now[:10])
    by_id = {r.id: r for r in rules}
    conn.executemany(
        "INSERT OR REPLACE INTO scan_rule (scan_id, rule_id, title, severity, property, meta) VALUES (?,?,?,?,?,?)",
        [(scan_id, r.id, r.meta.title, r.severity, r.meta.property, json.dumps(r.describe(), sort_keys=True, default=str))
         for r in rules])
    expired = [suppression_expired(s, today) for s in suppressions]
    matched = [0] * len(suppressions)
    occurrences, upserts = [], []
    for result in results:
        rule = by_id[result.rule_id]
        index = matching_suppression(result, suppressions)
        hidden = index is not None and not expired[index]
        if index is not None:
            matched[index] += 1
        suppression = None
        if hidden:
            s = suppressions[index]
            suppression = json.dumps({"rule": s.rule, "resource": s.resource, "reason": s.reason,
                                      "owner": s.owner, "expires": s.expires.isoformat()})
        evidence = json.dumps(result.evidence, sort_keys=True, default=str)
        occurrences.append((scan_id, result.fingerprint, rule.severity, result.reason, evidence, int(hidden), suppression))
        upserts.append({
            "fingerprint": result.fingerprint, "rule_id": result.rule_id, "resource_id": result.resource_id,
            "resource_type": result.resource_type, "resource_name": result.resource_name,
            "provider": result.provider or "unknown", "scope": result.scope or "unknown", "severity": rule.severity,
            "property": rule.meta.property, "reason": result.reason, "evidence": evidence, "now": now, "scan": scan_id})
    conn.executemany(
        "INSERT OR REPLACE INTO finding_occurrence (scan_id, fingerprint, severity, reason, evidence, suppressed, suppression) "
        "VALUES (?,?,?,?,?,?,?)", occurrences)
    conn.executemany(
        "INSERT INTO finding (fingerprint, rule_id, resource_id, resource_type, resource_name, provider, scope, severity, "
        "property, reason, evidence, status, first_seen, last_seen, first_scan, last_scan) VALUES (:fingerprint, :rule_id, "
        ":resource_id, :resource_type, :resource_name, :provider, :scope, :severity, :property, :reason, :evidence, 'open', "
        ":now, :now, :scan, :scan) ON CONFLICT(fingerprint) DO UPDATE SET resource_type = excluded.resource_type, "
        "resource_name = excluded.resource_name, provider = excluded.provider, scope = excluded.scope, "
        "severity = excluded.severity, property = excluded.property, reason = excluded.reason, "
        "evidence = excluded.evidence, status = 'open', last_seen = excluded.last_seen, last_scan = excluded.last_scan, "
        "resolved_at = NULL, resolved_scan = NULL", upserts)
    # a rule that failed this scan proves nothing about its findings: they stay as they were
    keep = sorted(errored)
    resolved = conn.execute(
        "UPDATE finding SET status = 'resolved', resolved_at = ?, resolved_scan = ? "
        f"WHERE status = 'open' AND last_scan <> ? AND rule_id NOT IN ({','.join('?' * len(keep))})",
        (now, scan_id, scan_id, *keep)).rowcount
    conn.executemany(
        "INSERT INTO scan_suppression (scan_id, rule, resource, reason, owner, expires, expired, matched) "
        "VALUES (?,?,?,?,?,?,?,?)",
        [(scan_id, s.rule, s.resource, s.reason, s.owner, s.expires.isoformat(), int(expired[i]), matched[i])
         for i, s in enumerate(suppressions)])
    return {
        "findings": len(results),
        "suppressed": sum(o[5] for o in occurrences),
        "resolved": resolved,
        "expired_suppressions": [
            {"rule": s.rule, "resource": s.resource, "owner": s.owner, "expires": s.expires.isoformat(),
             "matched": matched[i]} for i, s in enumerate(suppressions) if expired[i]],
    }


def new_fingerprints(conn: sqlite3.Connection, scan_id: int, baseline: set[str] | None = None) -> set[str]:
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


def gating_findings(conn: sqlite3.Connection, scan_id: int, fail_on: str, *, new_only: bool = False,
                    baseline: set[str] | None = None) -> list[dict]:
    """Open, unsuppressed findings of ``scan_id`` at or above ``fail_on`` (and new, if asked)."""
    threshold = SEVERITY_RANK[fail_on]
    rows = conn.execute(
        "SELECT o.fingerprint, o.severity, f.rule_id, f.resource_id, f.resource_name, o.reason "
        "FROM finding_occurrence o JOIN finding f USING (fingerprint) WHERE o.scan_id = ? AND o.suppressed = 0",
        (scan_id,)).fetchall()
    found = [dict(r) for r in rows if SEVERITY_RANK.get(r["severity"], 0) >= threshold]
    if new_only:
        fresh = new_fingerprints(conn, scan_id, baseline)
        found = [f for f in found if f["fingerprint"] in fresh]
    return sorted(found, key=lambda f: (-SEVERITY_RANK[f["severity"]], f["rule_id"], f["resource_id"]))


def latest_scan(conn: sqlite3.Connection) -> int | None:
    return conn.execute("SELECT MAX(id) FROM scan_run").fetchone()[0]


def list_findings(conn: sqlite3.Connection, scan_id: int, *, include_resolved: bool = False) -> list[dict]:
    """The findings of one scan (open and suppressed), and optionally those resolved since.

    status: open | suppressed | resolved; new: absent from the previous scan."""
    fresh = new_fingerprints(conn, scan_id)
    rows = conn.execute(
        "SELECT f.fingerprint, o.severity, f.rule_id, f.property, f.provider, f.scope, f.resource_type, f.resource_id, "
        "f.resource_name, o.reason, o.evidence, o.suppressed, o.suppression, f.first_seen, f.last_seen, f.first_scan "
        "FROM finding_occurrence o JOIN finding f USING (fingerprint) WHERE o.scan_id = ?", (scan_id,)).fetchall()
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
                "SELECT fingerprint, severity, rule_id, property, provider, scope, resource_type, resource_id, resource_name, "
                "reason, evidence, first_seen, last_seen, first_scan, resolved_at FROM finding "
                "WHERE status = 'resolved' AND resolved_scan <= ?", (scan_id,)):
            row = dict(r)
            row.update(status="resolved", new=False, evidence=json.loads(row["evidence"] or "{}"), suppression=None)
            found.append(row)
    return sorted(found, key=lambda f: (-SEVERITY_RANK.get(f["severity"], 0), f["rule_id"], f["resource_id"]))
