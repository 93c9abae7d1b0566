"""What changed between two scans: identities and credentials that appeared, disappeared or
changed (which attributes), and findings new and resolved. Rendered as table, JSON or Markdown.

Presence at a scan comes from ``first_scan``/``removed_scan``; attribute changes from the
versioned snapshots in ``identity_history``/``credential_history`` (a snapshot is written
whenever the tracked attributes change), comparing the latest snapshot at or before each scan.
"""

from __future__ import annotations

import io
import json
import sqlite3
from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text

from nhi_cli.errors import ExitCode, NhiError
from nhi_cli.reports.markdown import code
from nhi_cli.reports.model import previous_scan, resolve_scan
from nhi_cli.reports.table import text_console
from nhi_cli.severity import worst_first
from nhi_cli.store.interface import DbConnection
from nhi_cli.text import visible

SCHEMA_VERSION = "1.1.0"  # 1.1: findings.suppressed and findings.not_evaluated
IGNORED = {"attrs_hash", "last_used_at"}  # bookkeeping, and a value that moves on every busy scan
TABLES = {
    "identities": ("identity", "identity_history", "identity_id"),
    "credentials": ("credential", "credential_history", "credential_id"),
}


def resolve_pair(conn: DbConnection, a: int | None, b: int | None) -> tuple[dict[str, Any], dict[str, Any]]:
    scan_b = resolve_scan(conn, b)
    if a is None:
        a = previous_scan(conn, scan_b["id"])
        if a is None:
            raise NhiError(
                f"nhi diff needs two scans; scan {scan_b['id']} is the first (run `nhi scan` again)", ExitCode.USAGE
            )
    scan_a = resolve_scan(conn, a)
    if scan_a["id"] >= scan_b["id"]:
        raise NhiError(f"SCAN_A ({scan_a['id']}) must be older than SCAN_B ({scan_b['id']})", ExitCode.USAGE)
    return scan_a, scan_b


def _present(t: str, s: str) -> str:
    return f"{t}.first_scan <= :{s} AND ({t}.removed_scan IS NULL OR {t}.removed_scan > :{s})"


def _flatten(snapshot: dict[str, Any]) -> dict[str, Any]:
    flat = {}
    for key, value in snapshot.items():
        if key in IGNORED:
            continue
        if key in ("tags", "attrs") and isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                pass
        if isinstance(value, dict):
            for sub, v in value.items():
                flat[f"{key}.{sub}"] = v
        else:
            flat[key] = value
    return flat


def _changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    b, a = _flatten(before), _flatten(after)
    return [
        {"attribute": k, "before": b.get(k), "after": a.get(k)} for k in sorted(set(b) | set(a)) if b.get(k) != a.get(k)
    ]


def _records(conn: DbConnection, kind: str, a: int, b: int) -> dict[str, Any]:
    table, history, key = TABLES[kind]
    cols = "t.id, t.provider, t.scope, t.kind, " + (
        "t.name" if table == "identity" else "COALESCE(t.name, t.id) AS name, t.identity_id"
    )
    p = {"a": a, "b": b}
    appeared = [
        dict(r)
        for r in conn.execute(
            f"SELECT {cols} FROM {table} t WHERE {_present('t', 'b')} AND NOT ({_present('t', 'a')}) "
            "ORDER BY t.provider, t.scope, t.id",
            p,
        )
    ]
    disappeared = [
        dict(r)
        for r in conn.execute(
            f"SELECT {cols} FROM {table} t WHERE {_present('t', 'a')} AND NOT ({_present('t', 'b')}) "
            "ORDER BY t.provider, t.scope, t.id",
            p,
        )
    ]
    changed = []
    rows = conn.execute(
        f"""SELECT {cols},
              (SELECT snapshot FROM {history} h WHERE h.{key} = t.id AND h.scan_id <= :a
               ORDER BY h.scan_id DESC LIMIT 1) AS before,
              (SELECT snapshot FROM {history} h WHERE h.{key} = t.id AND h.scan_id <= :b
               ORDER BY h.scan_id DESC LIMIT 1) AS after
            FROM {table} t
            WHERE {_present("t", "a")} AND {_present("t", "b")}
              AND EXISTS (SELECT 1 FROM {history} h WHERE h.{key} = t.id AND h.scan_id > :a AND h.scan_id <= :b)
            ORDER BY t.provider, t.scope, t.id""",
        p,
    )
    for r in rows:
        row = dict(r)
        before, after = json.loads(row.pop("before") or "{}"), json.loads(row.pop("after") or "{}")
        changes = _changes(before, after)
        if changes:
            changed.append(dict(row, changes=changes))
    return {"appeared": appeared, "disappeared": disappeared, "changed": changed}


# new: open and unsuppressed in B, not so in A (an expired suppression makes a finding new again).
FINDINGS_SQL = """
SELECT f.fingerprint, o.severity, o.reason, f.rule_id, f.resource_id, f.resource_type, f.resource_name,
       f.provider, f.scope, f.property
FROM finding_occurrence o JOIN finding f ON f.fingerprint = o.fingerprint
WHERE o.scan_id = :b AND o.suppressed = 0
  AND NOT EXISTS (SELECT 1 FROM finding_occurrence p WHERE p.scan_id = :a AND p.fingerprint = o.fingerprint
                  AND p.suppressed = 0)
"""

# Open and unsuppressed in A, not so in B, for one of three reasons that a reader must not
# confuse: B ran the rule and did not find it (resolved), B found it but a suppression hides
# it (suppressed), or B did not run the rule at all: disabled or removed (not_evaluated).
# Only the first is a fix; calling the others "resolved" would hide a risk that is still there.
GONE_SQL = """
SELECT f.fingerprint, o.severity, o.reason, f.rule_id, f.resource_id, f.resource_type, f.resource_name,
       f.provider, f.scope, f.property,
       CASE WHEN EXISTS (SELECT 1 FROM finding_occurrence p WHERE p.scan_id = :b AND p.fingerprint = o.fingerprint)
              THEN 'suppressed'
            WHEN NOT EXISTS (SELECT 1 FROM scan_rule r WHERE r.scan_id = :b AND r.rule_id = f.rule_id)
              THEN 'not_evaluated'
            ELSE 'resolved' END AS outcome
FROM finding_occurrence o JOIN finding f ON f.fingerprint = o.fingerprint
WHERE o.scan_id = :a AND o.suppressed = 0
  AND NOT EXISTS (SELECT 1 FROM finding_occurrence p WHERE p.scan_id = :b AND p.fingerprint = o.fingerprint
                  AND p.suppressed = 0)
"""
GONE = ("resolved", "suppressed", "not_evaluated")


def _sorted(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda f: (worst_first(f["severity"]), f["rule_id"], f["resource_id"]))


def _findings(conn: DbConnection, a: int, b: int) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {
        "new": _sorted([dict(r) for r in conn.execute(FINDINGS_SQL, {"a": a, "b": b})])
    }
    gone = [dict(r) for r in conn.execute(GONE_SQL, {"a": a, "b": b})]
    for outcome in GONE:
        out[outcome] = _sorted(
            [{k: v for k, v in r.items() if k != "outcome"} for r in gone if r["outcome"] == outcome]
        )
    return out


def build_diff(conn: DbConnection, a: int | None = None, b: int | None = None) -> dict[str, Any]:
    conn.row_factory = sqlite3.Row
    scan_a, scan_b = resolve_pair(conn, a, b)
    ia, ib = scan_a["id"], scan_b["id"]
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "scan_a": {"id": ia, "started_at": scan_a["started_at"], "status": scan_a["status"]},
        "scan_b": {"id": ib, "started_at": scan_b["started_at"], "status": scan_b["status"]},
        "identities": _records(conn, "identities", ia, ib),
        "credentials": _records(conn, "credentials", ia, ib),
        "findings": _findings(conn, ia, ib),
    }
    doc["summary"] = {
        f"{kind}_{change}": len(doc[kind][change])
        for kind in ("identities", "credentials")
        for change in ("appeared", "disappeared", "changed")
    }
    doc["summary"].update({f"findings_{key}": len(rows) for key, rows in doc["findings"].items()})
    return doc


def render_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=True, default=str) + "\n"


def _change_text(change: dict[str, Any]) -> str:
    return f"{change['attribute']}: {change['before']!r} -> {change['after']!r}"


def render_markdown(doc: dict[str, Any]) -> str:
    a, b = doc["scan_a"], doc["scan_b"]
    out = [f"## nhi diff: scan {a['id']} ({a['started_at']}) → scan {b['id']} ({b['started_at']})", ""]
    out += ["| | appeared | disappeared | changed |", "|---|--:|--:|--:|"]
    for kind in ("identities", "credentials"):
        out.append(
            f"| {kind} | " + " | ".join(str(len(doc[kind][c])) for c in ("appeared", "disappeared", "changed")) + " |"
        )
    f = doc["findings"]
    out.append(
        f"\n**{len(f['new'])} new** and {len(f['resolved'])} resolved findings; {len(f['suppressed'])} newly "
        f"suppressed and {len(f['not_evaluated'])} no longer evaluated (rule disabled or removed), not resolved."
    )
    for kind in ("identities", "credentials"):
        for change in ("appeared", "disappeared", "changed"):
            rows = doc[kind][change]
            if not rows:
                continue
            out += ["", f"### {kind.capitalize()} {change} ({len(rows)})", ""]
            for r in rows:
                detail = ""
                if change == "changed":
                    detail = ": " + "; ".join(code(_change_text(c), 160) for c in r["changes"])
                out.append(f"- {code(r['provider'])} {code(r['kind'])} {code(r['name'] or r['id'])}{detail}")
    for label, key in (
        ("New findings", "new"),
        ("Resolved findings", "resolved"),
        ("Suppressed since scan A (still present)", "suppressed"),
        ("Not evaluated in scan B (rule disabled or removed; not resolved)", "not_evaluated"),
    ):
        rows = doc["findings"][key]
        if rows:
            out += [
                "",
                f"### {label} ({len(rows)})",
                "",
                "| severity | rule | resource | reason |",
                "|---|---|---|---|",
            ]
            out += [
                f"| {f['severity']} | {code(f['rule_id'])} | {code(f['resource_name'] or f['resource_id'], 60)} | "
                f"{code(f['reason'], 200)} |"
                for f in rows
            ]
    return "\n".join(out) + "\n"


def render_table(doc: dict[str, Any], width: int = 80, color: bool = False) -> str:
    buffer = io.StringIO()
    console = text_console(buffer, width, color)
    a, b = doc["scan_a"], doc["scan_b"]
    console.print(Text(f"nhi diff: scan {a['id']} -> scan {b['id']}", style="bold"))
    table = Table(box=box.SIMPLE_HEAD, header_style="bold", expand=True, pad_edge=False)
    table.add_column("change", no_wrap=True, width=13)
    table.add_column("resource", ratio=2, overflow="fold")
    table.add_column("detail", ratio=3, overflow="fold")
    marks = {"appeared": "+", "disappeared": "-", "changed": "~"}
    for kind in ("identities", "credentials"):
        for change in ("appeared", "disappeared", "changed"):
            for r in doc[kind][change]:
                detail = "\n".join(_change_text(c) for c in r.get("changes", []))
                table.add_row(
                    f"{marks[change]} {change}",
                    Text(visible(f"{r['provider']} {r['kind']}\n{r['name'] or r['id']}", oneline=False)),
                    Text(visible(detail, oneline=False)),
                )
    for label, key in (
        ("+ new", "new"),
        ("- resolved", "resolved"),
        ("= suppressed", "suppressed"),
        ("? not checked", "not_evaluated"),
    ):
        for f in doc["findings"][key]:
            table.add_row(
                label,
                Text(
                    visible(f"{f['severity']} {f['rule_id']}\n{f['resource_name'] or f['resource_id']}", oneline=False)
                ),
                Text(visible(f["reason"])),
            )
    if table.row_count:
        console.print(table)
    else:
        console.print("No differences.")
    s = doc["summary"]
    console.print(
        f"identities +{s['identities_appeared']} -{s['identities_disappeared']} ~{s['identities_changed']}; "
        f"credentials +{s['credentials_appeared']} -{s['credentials_disappeared']} ~{s['credentials_changed']}; "
        f"findings +{s['findings_new']} -{s['findings_resolved']}"
        + (f", {s['findings_suppressed']} suppressed" if s["findings_suppressed"] else "")
        + (f", {s['findings_not_evaluated']} not evaluated (rule disabled)" if s["findings_not_evaluated"] else "")
    )
    return buffer.getvalue()
