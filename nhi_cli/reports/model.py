"""Reading the inventory once into a report model that every renderer shares.

Reports render from the store, never from a live scan, so a report can be made again later for
any scan: findings come from ``finding_occurrence`` for that scan, the inventory is what was
present at that scan (``first_scan``/``removed_scan``), and ages are measured against the
scan's own clock. Every count is computed here once; renderers only lay it out.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from nhi_cli.agents.delegation import DELEGATION_KINDS
from nhi_cli.errors import ExitCode, NhiError
from nhi_cli.reports.agents import agent_rows
from nhi_cli.reports.ranking import FixItem, finding_ranks, rank
from nhi_cli.revoke.keys import key_path, load_key, log_path
from nhi_cli.revoke.log import open_readonly, read_attempts
from nhi_cli.severity import SEVERITIES, worst_first
from nhi_cli.store.interface import DbConnection

PROPERTIES = ("scoped", "delegated", "auditable", "revocable")

# OWASP Top 10 Non-Human Identities Risks - 2025 (OWASP/www-project-non-human-identities-top-10).
OWASP_NHI = (
    ("NHI1", "Improper Offboarding"),
    ("NHI2", "Secret Leakage"),
    ("NHI3", "Vulnerable Third-Party NHI"),
    ("NHI4", "Insecure Authentication"),
    ("NHI5", "Overprivileged NHI"),
    ("NHI6", "Insecure Cloud Deployment Configurations"),
    ("NHI7", "Long-Lived Secrets"),
    ("NHI8", "Environment Isolation"),
    ("NHI9", "NHI Reuse"),
    ("NHI10", "Human Use of NHI"),
)

# Credential-age histogram buckets: (label, lower bound in days inclusive, upper bound exclusive).
AGE_BUCKETS = (
    ("< 30 d", 0, 30),
    ("30-89 d", 30, 90),
    ("90-179 d", 90, 180),
    ("180-364 d", 180, 365),
    ("1-2 y", 365, 730),
    ("> 2 y", 730, None),
)
TREND_SCANS = 20  # scans shown in the findings-over-scans trend

# "present at scan :s": loaded no later than :s and not removed by :s
PRESENT = "{t}.first_scan <= :s AND ({t}.removed_scan IS NULL OR {t}.removed_scan > :s)"


@dataclass
class Report:
    """Everything any report format shows, for one scan."""

    scan: dict[str, Any]
    previous_scan_id: int | None
    findings: list[dict[str, Any]]  # present in this scan and not suppressed; new ones first
    suppressed: list[dict[str, Any]]  # present in this scan, hidden by a suppression
    resolved: list[dict[str, Any]]  # open in the previous scan, gone in this one
    rules: dict[str, dict[str, Any]]  # rule id -> descriptor as it was when the scan ran
    counts: dict[str, Any]
    inventory: dict[str, Any]
    coverage: list[dict[str, Any]]
    suppressions: list[dict[str, Any]]
    trend: list[dict[str, Any]]
    agents: list[dict[str, Any]]
    revocations: list[dict[str, Any]]
    credentials: list[dict[str, Any]] | None = None  # only for --what inventory
    fix_first: list[FixItem] = field(default_factory=list)  # ranking.py: what to fix first, rank 1 first
    generated_at: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))

    @cached_property
    def fix_first_rank(self) -> dict[str, int]:
        """fingerprint -> rank of its fix-first item (CSV and SARIF carry it per finding)."""
        return finding_ranks(self.fix_first)

    @property
    def empty(self) -> bool:
        return not self.inventory["identities"] and not self.inventory["credentials"]


def headline_status(scan: dict[str, Any], coverage: list[dict[str, Any]]) -> tuple[str, str]:
    """(status, label) for the header: never "complete" while a scope was only partly read."""
    gaps = [s for s in coverage if s["status"] != "complete"]
    status = scan["status"]
    if status == "complete" and gaps:
        status = "partial"
    label = status if not coverage else f"{status} ({len(coverage) - len(gaps)}/{len(coverage)} scopes read)"
    return status, label


def _json(text: str | None, default: Any) -> Any:
    if not text:
        return default
    if text == "{}":  # most evidence and tags: skip the parser
        return {}
    try:
        return json.loads(text)
    except ValueError:
        return default


def dicts(conn: DbConnection, sql: str, params: Any = ()) -> list[dict[str, Any]]:
    """Rows as plain dicts; tuples zipped with the column names beat sqlite3.Row at 100k rows."""
    cursor = conn.cursor()
    cursor.row_factory = None
    cursor.execute(sql, params)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor]


def resolve_scan(conn: DbConnection, scan_id: int | None) -> dict[str, Any]:
    """The scan row for ``scan_id`` (latest when None), or a usage error naming what exists."""
    if scan_id is None:
        row = conn.execute("SELECT * FROM scan_run ORDER BY id DESC LIMIT 1").fetchone()
        if row is None:
            raise NhiError("the inventory has no scans yet; run `nhi scan` first", ExitCode.CANNOT_RUN)
    else:
        row = conn.execute("SELECT * FROM scan_run WHERE id = ?", (scan_id,)).fetchone()
        if row is None:
            latest = conn.execute("SELECT MIN(id), MAX(id) FROM scan_run").fetchone()
            known = f"scans {latest[0]}-{latest[1]} exist" if latest[0] is not None else "there are no scans yet"
            raise NhiError(f"scan {scan_id} does not exist in the inventory ({known})", ExitCode.USAGE)
    scan = dict(row)
    scan["summary"] = _json(scan.get("summary"), {})
    scan["demo"] = bool(scan.get("demo"))
    return scan


def previous_scan(conn: DbConnection, scan_id: int) -> int | None:
    previous: int | None = conn.execute("SELECT MAX(id) FROM scan_run WHERE id < ?", (scan_id,)).fetchone()[0]
    return previous


def load_rules(conn: DbConnection, scan_id: int) -> dict[str, dict[str, Any]]:
    rules = {}
    for row in conn.execute(
        "SELECT rule_id, title, severity, property, meta FROM scan_rule WHERE scan_id = ? ORDER BY rule_id", (scan_id,)
    ):
        meta = _json(row["meta"], {})
        frameworks = meta.get("frameworks") or {}
        rules[row["rule_id"]] = {
            "id": row["rule_id"],
            "title": row["title"],
            "severity": row["severity"],
            "property": row["property"],
            "description": str(meta.get("description") or "").strip(),
            "risk": str(meta.get("risk") or "").strip(),
            "remediation": str(meta.get("remediation") or "").strip(),
            "owasp_nhi": [str(x) for x in frameworks.get("owasp_nhi") or []],
            "cis": [str(x) for x in frameworks.get("cis") or []],
            "params": meta.get("params") or {},
        }
    return rules


FINDING_SQL = """
SELECT o.fingerprint, o.severity, o.reason, o.evidence, o.suppressed, o.suppression,
       f.rule_id, f.resource_id, f.resource_type, f.resource_name, f.provider, f.scope, f.property,
       f.first_seen, f.first_scan,
       CASE WHEN p.fingerprint IS NULL THEN 1 ELSE 0 END AS is_new
FROM finding_occurrence o
JOIN finding f ON f.fingerprint = o.fingerprint
LEFT JOIN finding_occurrence p ON p.scan_id = :prev AND p.fingerprint = o.fingerprint
WHERE o.scan_id = :s
"""

RESOLVED_SQL = """
SELECT p.fingerprint, p.severity, p.reason, p.evidence, 0 AS suppressed, NULL AS suppression,
       f.rule_id, f.resource_id, f.resource_type, f.resource_name, f.provider, f.scope, f.property,
       f.first_seen, f.first_scan, 0 AS is_new
FROM finding_occurrence p
JOIN finding f ON f.fingerprint = p.fingerprint
WHERE p.scan_id = :prev AND p.suppressed = 0
  AND NOT EXISTS (SELECT 1 FROM finding_occurrence o WHERE o.scan_id = :s AND o.fingerprint = p.fingerprint)
"""


def finding_order(f: dict[str, Any]) -> tuple[int, int, str, str]:
    """Stable order: new first, then severity, rule, resource."""
    return (0 if f["is_new"] else 1, worst_first(f["severity"]), f["rule_id"], f["resource_id"])


def _finding(f: dict[str, Any], rules: dict[str, dict[str, Any]]) -> dict[str, Any]:
    rule = rules.get(f["rule_id"])
    f["title"] = rule["title"] if rule else f["rule_id"]
    f["owasp_nhi"] = rule["owasp_nhi"] if rule else []
    f["evidence"] = _json(f["evidence"], {})
    f["suppression"] = _json(f["suppression"], None)
    f["suppressed"] = bool(f["suppressed"])
    f["is_new"] = bool(f["is_new"])
    f["status"] = "suppressed" if f["suppressed"] else ("new" if f["is_new"] else "open")
    return f


def load_findings(
    conn: DbConnection, scan_id: int, prev: int | None, rules: dict[str, Any]
) -> tuple[list[Any], list[Any], list[Any]]:
    params = {"s": scan_id, "prev": prev if prev is not None else -1}
    present = [_finding(r, rules) for r in dicts(conn, FINDING_SQL, params)]
    findings = sorted((f for f in present if not f["suppressed"]), key=finding_order)
    suppressed = sorted((f for f in present if f["suppressed"]), key=finding_order)
    resolved = []
    if prev is not None:
        for r in dicts(conn, RESOLVED_SQL, params):
            f = _finding(r, rules)
            f["status"] = "resolved"
            resolved.append(f)
        resolved.sort(key=finding_order)
    return findings, suppressed, resolved


def count_findings(findings: list[dict[str, Any]], rules: dict[str, dict[str, Any]]) -> dict[str, Any]:
    by_severity = Counter(f["severity"] for f in findings)
    new_by_severity = Counter(f["severity"] for f in findings if f["is_new"])
    by_property = Counter(f["property"] for f in findings)
    by_provider = Counter(f["provider"] for f in findings)
    by_rule = Counter(f["rule_id"] for f in findings)
    owasp = Counter(risk for f in findings for risk in f["owasp_nhi"])
    rule_rows = []
    # most severe rule first, then the most findings: a medium rule with many findings does not
    # sit above a critical one
    for rule_id, n in sorted(
        by_rule.items(), key=lambda kv: (worst_first(rules.get(kv[0], {}).get("severity")), -kv[1], kv[0])
    ):
        rule = rules.get(rule_id, {})
        rule_rows.append(
            {
                "rule_id": rule_id,
                "title": rule.get("title", rule_id),
                "severity": rule.get("severity", ""),
                "property": rule.get("property", ""),
                "findings": n,
            }
        )
    owasp_rows = []
    for risk_id, title in OWASP_NHI:
        owasp_rows.append(
            {
                "id": risk_id,
                "title": title,
                "findings": owasp.get(risk_id, 0),
                "rules": sorted(r for r, d in rules.items() if risk_id in d["owasp_nhi"]),
            }
        )
    return {
        "total": len(findings),
        "new": sum(1 for f in findings if f["is_new"]),
        "by_severity": {s: by_severity.get(s, 0) for s in SEVERITIES},
        "new_by_severity": {s: new_by_severity.get(s, 0) for s in SEVERITIES},
        "by_property": {p: by_property.get(p, 0) for p in PROPERTIES},
        "by_provider": dict(sorted(by_provider.items())),
        "by_rule": rule_rows,
        "owasp_nhi": owasp_rows,
    }


def _provider_entry(providers: dict[str, dict[str, Any]], provider: str) -> dict[str, Any]:
    """The inventory counts of one provider, zero until its identities or credentials are read."""
    return providers.setdefault(
        provider,
        {"provider": provider, "identities": 0, "credentials": 0, "active_credentials": 0, "identity_kinds": {}},
    )


def load_inventory(conn: DbConnection, scan_id: int, now: str) -> dict[str, Any]:
    p = {"s": scan_id, "now": now}
    providers: dict[str, dict[str, Any]] = {}
    for row in conn.execute(
        f"SELECT provider, kind, COUNT(*) n, SUM(enabled) en FROM identity i "
        f"WHERE {PRESENT.format(t='i')} GROUP BY provider, kind ORDER BY provider, kind",
        p,
    ):
        entry = _provider_entry(providers, row["provider"])
        entry["identities"] += row["n"]
        entry["identity_kinds"][row["kind"]] = row["n"]
    buckets = ", ".join(
        f"SUM(CASE WHEN age >= {lo}{'' if hi is None else f' AND age < {hi}'} THEN 1 ELSE 0 END)"
        for _, lo, hi in AGE_BUCKETS
    )
    for row in conn.execute(
        f"SELECT provider, COUNT(*) n, SUM(status = 'active') act FROM credential k "
        f"WHERE {PRESENT.format(t='k')} GROUP BY provider",
        p,
    ):
        entry = _provider_entry(providers, row["provider"])
        entry["credentials"] = row["n"]
        entry["active_credentials"] = row["act"] or 0
    hist = conn.execute(
        f"SELECT {buckets}, SUM(CASE WHEN age IS NULL THEN 1 ELSE 0 END) FROM ("
        f"SELECT CAST(julianday(:now) - julianday(k.created_at) AS INTEGER) AS age FROM credential k "
        f"WHERE {PRESENT.format(t='k')} AND k.status = 'active')",
        p,
    ).fetchone()
    histogram = [{"bucket": label, "credentials": hist[i] or 0} for i, (label, _, _) in enumerate(AGE_BUCKETS)]
    histogram.append({"bucket": "unknown", "credentials": hist[len(AGE_BUCKETS)] or 0})
    rows = sorted(providers.values(), key=lambda e: e["provider"])
    return {
        "identities": sum(e["identities"] for e in rows),
        "credentials": sum(e["credentials"] for e in rows),
        "active_credentials": sum(e["active_credentials"] for e in rows),
        "by_provider": rows,
        "credential_age": histogram,
    }


def load_coverage(conn: DbConnection, scan_id: int) -> list[dict[str, Any]]:
    out = []
    for r in conn.execute(
        "SELECT provider, scope, scope_name, status, error_code, message, gaps, api_calls, "
        "duration_ms, identities, credentials FROM scope_result WHERE scan_id = ? "
        "ORDER BY provider, scope",
        (scan_id,),
    ):
        row = dict(r)
        row["gaps"] = _json(row["gaps"], [])
        row["api_calls"] = _json(row["api_calls"], {})
        row["api_call_total"] = sum(v for v in row["api_calls"].values() if isinstance(v, int))
        out.append(row)
    return out


def load_suppressions(conn: DbConnection, scan_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT rule, resource, reason, owner, expires, expired, matched FROM scan_suppression "
        "WHERE scan_id = ? ORDER BY expired, expires, rule, resource",
        (scan_id,),
    )
    return [dict(r, expired=bool(r["expired"])) for r in rows]


def load_trend(conn: DbConnection, scan_id: int) -> list[dict[str, Any]]:
    scans = conn.execute(
        "SELECT id, started_at FROM scan_run WHERE id <= ? ORDER BY id DESC LIMIT ?", (scan_id, TREND_SCANS)
    ).fetchall()
    if not scans:
        return []
    first = scans[-1]["id"]
    counts: dict[int, dict[str, Any]] = {r["id"]: {s: 0 for s in SEVERITIES} for r in scans}
    for row in conn.execute(
        "SELECT scan_id, severity, COUNT(*) n FROM finding_occurrence "
        "WHERE suppressed = 0 AND scan_id BETWEEN ? AND ? GROUP BY scan_id, severity",
        (first, scan_id),
    ):
        if row["scan_id"] in counts and row["severity"] in counts[row["scan_id"]]:
            counts[row["scan_id"]][row["severity"]] = row["n"]
    return [
        {
            "scan_id": r["id"],
            "started_at": r["started_at"],
            "by_severity": counts[r["id"]],
            "total": sum(counts[r["id"]].values()),
        }
        for r in reversed(scans)
    ]


def load_revocations(conn: DbConnection, limit: int = 200) -> list[dict[str, Any]]:
    """The revocation log (its own file beside the inventory, revoke/log.py), newest first,
    each attempt with ``integrity`` (``ok`` when its MACs verify); then attempts that older nhi
    versions logged inside the inventory, marked ``legacy (unauthenticated)``."""
    revocations = []
    main = ""
    if isinstance(conn, sqlite3.Connection):  # a PostgreSQL inventory's log is per user (keys.py)
        main = next((r[2] for r in conn.execute("PRAGMA database_list") if r[1] == "main"), "")
    log = open_readonly(log_path(Path(main))) if main else None
    if log is not None:
        try:
            key = load_key(Path(main), create=False) if key_path(Path(main)).exists() else None
        except NhiError:
            key = None
        try:
            attempts = read_attempts(log, key)
        finally:
            log.close()
        for data in sorted(attempts.values(), key=lambda a: a["id"], reverse=True)[:limit]:
            rev = {k: v for k, v in data.items() if k not in ("plan", "pid", "host", "steps")}
            rev["dry_run"] = bool(rev.get("dry_run"))
            rev["steps"] = [
                {
                    k: s.get(k)
                    for k in (
                        "seq",
                        "provider",
                        "scope",
                        "target_type",
                        "target_id",
                        "action",
                        "reversible",
                        "status",
                        "error",
                        "executed_at",
                    )
                }
                for s in data["steps"]
            ]
            revocations.append(rev)
    for r in conn.execute("SELECT * FROM revocation ORDER BY id DESC LIMIT ?", (limit,)):
        rev = dict(r)
        rev["targets"] = _json(rev["targets"], [])
        rev["dry_run"] = bool(rev["dry_run"])
        rev["integrity"] = "legacy (unauthenticated)"
        rev["steps"] = [
            dict(s, reversible=bool(s["reversible"]))
            for s in conn.execute(
                "SELECT seq, provider, scope, target_type, target_id, action, reversible, status, error, executed_at "
                "FROM revocation_step WHERE revocation_id = ? ORDER BY seq",
                (rev["id"],),
            )
        ]
        revocations.append(rev)
    return revocations


CREDENTIAL_SQL = f"""
SELECT k.id, k.identity_id, i.name AS identity_name, k.provider, k.scope, k.kind, k.status,
       k.created_at, k.last_used_at, k.expires_at, k.key_id, k.hint, i.owner, i.tags,
       CAST(julianday(:now) - julianday(k.created_at) AS INTEGER) AS age_days,
       CAST(julianday(:now) - julianday(k.last_used_at) AS INTEGER) AS days_since_used,
       CAST(julianday(k.expires_at) - julianday(:now) AS INTEGER) AS days_to_expiry
FROM credential k LEFT JOIN identity i ON i.id = k.identity_id
WHERE {PRESENT.format(t="k")}
ORDER BY k.provider, k.scope, k.identity_id, k.id
"""


def load_credentials(conn: DbConnection, scan_id: int, now: str) -> list[dict[str, Any]]:
    return dicts(conn, CREDENTIAL_SQL, {"s": scan_id, "now": now})


def build_report(conn: DbConnection, scan_id: int | None = None, *, with_credentials: bool = False) -> Report:
    """Read everything a report needs for one scan (latest when ``scan_id`` is None)."""
    conn.row_factory = sqlite3.Row
    scan = resolve_scan(conn, scan_id)
    scan_id = scan["id"]
    now = scan["started_at"]
    prev = previous_scan(conn, scan_id)
    rules = load_rules(conn, scan_id)
    findings, suppressed, resolved = load_findings(conn, scan_id, prev, rules)
    agents = agent_rows(conn, scan_id)
    # the agents most in need of attention first: worst severity, then most findings
    agents.sort(key=lambda a: (worst_first(a.get("worst_severity")), -(a.get("findings") or 0), a["name"]))
    counts = count_findings(findings, rules)
    delegation = Counter(a["delegation_kind"] for a in agents)
    counts["agents_by_delegation"] = {kind: delegation.get(kind, 0) for kind in DELEGATION_KINDS}
    return Report(
        scan=scan,
        previous_scan_id=prev,
        findings=findings,
        suppressed=suppressed,
        resolved=resolved,
        rules=rules,
        counts=counts,
        inventory=load_inventory(conn, scan_id, now),
        coverage=load_coverage(conn, scan_id),
        suppressions=load_suppressions(conn, scan_id),
        trend=load_trend(conn, scan_id),
        agents=agents,
        revocations=load_revocations(conn),
        credentials=load_credentials(conn, scan_id, now) if with_credentials else None,
        fix_first=rank(conn, scan, findings, agents, rules, suppressed),
    )
