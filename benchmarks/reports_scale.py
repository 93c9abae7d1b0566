"""Render every report format for a large inventory and time each one.

Seeds a real nhi inventory directly with SQL (two scans, N credentials on N/2 identities over
20 scopes, findings on about half of the credentials and a fifth of the identities), then
times reading the store into the report model once and each renderer on it, plus `nhi diff`
and the fix-first ranking alone (it is part of reading the model; `fixfirst` times it again).

    .venv/bin/python benchmarks/reports_scale.py                 # 100,000 credentials
    .venv/bin/python benchmarks/reports_scale.py --credentials 10000 --keep out/
    .venv/bin/python benchmarks/reports_scale.py --formats ocsf    # only these renderers
    .venv/bin/python benchmarks/reports_scale.py --formats fixfirst,markdown,html
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nhi_cli.reports import render  # noqa: E402
from nhi_cli.reports.diff import build_diff  # noqa: E402
from nhi_cli.reports.diff import render_json as diff_json
from nhi_cli.reports.model import build_report  # noqa: E402
from nhi_cli.reports.ranking import rank  # noqa: E402
from nhi_cli.store import open_store  # noqa: E402

RULES = (
    ("credential_max_age", "Credential older than the maximum age", "medium", "revocable", ["NHI7"]),
    ("credential_unused", "Credential unused", "medium", "revocable", ["NHI1"]),
    ("identity_no_owner", "Identity without an owner", "low", "auditable", ["NHI1"]),
    ("admin_grant", "Administrator or full-wildcard access", "critical", "scoped", ["NHI5"]),
    ("agent_static_credential", "Agent on a long-lived static credential", "high", "revocable", ["NHI7"]),
)
SCANS = (("2026-11-01T09:00:00Z", 1), ("2026-11-28T09:00:00Z", 2))


def fp(rule: str, resource: str) -> str:
    return hashlib.sha256(f"{rule}\x00{resource}".encode()).hexdigest()


def seed(db: Path, credentials: int) -> dict:
    rng = random.Random(7)
    store = open_store(db)
    identities = credentials // 2
    scopes = [f"{100000000000 + i}" for i in range(20)]
    counts = {"findings": 0}
    with store.transaction() as conn:
        for started, scan_id in SCANS:
            conn.execute(
                "INSERT INTO scan_run VALUES (?, ?, ?, 'complete', '0.1.0', 0, 'bench', '{}')",
                (scan_id, started, started),
            )
            conn.executemany(
                "INSERT INTO scope_result (scan_id, provider, scope, status, api_calls, identities, "
                "credentials) VALUES (?, 'aws', ?, ?, ?, ?, ?)",
                [
                    (
                        scan_id,
                        s,
                        "denied" if i == 19 and scan_id == 2 else "complete",
                        json.dumps({"iam:GetAccountAuthorizationDetails": 40}),
                        identities // 20,
                        credentials // 20,
                    )
                    for i, s in enumerate(scopes)
                ],
            )
            for rule_id, title, sev, prop, owasp in RULES:
                conn.execute(
                    "INSERT INTO scan_rule VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        scan_id,
                        rule_id,
                        title,
                        sev,
                        prop,
                        json.dumps(
                            {
                                "description": title + ".",
                                "risk": "Risk.",
                                "remediation": "Fix it.",
                                "frameworks": {"owasp_nhi": owasp},
                            }
                        ),
                    ),
                )
            conn.execute(
                "INSERT INTO scan_suppression VALUES (?, 'identity_no_owner', 'arn:*:bot-1*', 'Batch jobs', "
                "'dana.lee@northwind.example', '2027-01-31', 0, 11)",
                (scan_id,),
            )
        ident_rows, cred_rows, finding_rows, occ_rows = [], [], [], []
        for i in range(identities):
            scope = scopes[i % 20]
            iid = f"arn:aws:iam::{scope}:user/bot-{i}"
            owner = None if i % 5 == 0 else f"team-{i % 40}@northwind.example"
            ident_rows.append(
                (
                    iid,
                    "aws",
                    scope,
                    "iam_user",
                    f"bot-{i}",
                    "2024-01-01T00:00:00Z",
                    owner,
                    json.dumps({"env": "prod", "team": f"t{i % 40}"}),
                    "2026-11-01T09:00:00Z",
                    "2026-11-28T09:00:00Z",
                    1,
                    2,
                )
            )
            findings = []
            if owner is None:
                findings.append(("identity_no_owner", iid, "identity", f"bot-{i}"))
            if i % 97 == 0:
                findings.append(("admin_grant", iid, "identity", f"bot-{i}"))
            for k in range(2):
                kid = f"AKIA{i:010d}{k:06d}"
                age = rng.randint(1, 1200)
                cred_rows.append(
                    (
                        kid,
                        iid,
                        "aws",
                        scope,
                        "access_key",
                        "active",
                        f"2026-{1 + age % 11:02d}-01T00:00:00Z",
                        kid,
                        kid[-4:],
                        "2026-11-01T09:00:00Z",
                        "2026-11-28T09:00:00Z",
                        1,
                        2,
                    )
                )
                if age > 365:
                    findings.append(("credential_max_age", kid, "credential", f"bot-{i}"))
                elif age > 300:
                    findings.append(("credential_unused", kid, "credential", f"bot-{i}"))
            for rule_id, resource_id, rtype, name in findings:
                rule = next(r for r in RULES if r[0] == rule_id)
                f = fp(rule_id, resource_id)
                reason = f"{rtype.capitalize()} {resource_id} of {name} fails {rule_id}."
                finding_rows.append(
                    (
                        f,
                        rule_id,
                        resource_id,
                        rtype,
                        name,
                        "aws",
                        scope,
                        rule[2],
                        rule[3],
                        reason,
                        "{}",
                        "open",
                        "2026-11-01T09:00:00Z",
                        "2026-11-28T09:00:00Z",
                        1,
                        2,
                    )
                )
                for scan_id in (1, 2) if i % 10 else (2,):  # a tenth are new in scan 2
                    occ_rows.append(
                        (
                            scan_id,
                            f,
                            rule[2],
                            reason,
                            json.dumps({"identity_id": resource_id}),
                            int(rule_id == "identity_no_owner" and name.startswith("bot-1") and len(name) == 6),
                        )
                    )
        conn.executemany(
            "INSERT INTO identity (id, provider, scope, kind, name, created_at, owner, tags, first_seen, "
            "last_seen, first_scan, last_scan) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            ident_rows,
        )
        conn.executemany(
            "INSERT INTO credential (id, identity_id, provider, scope, kind, status, created_at, key_id, "
            "hint, first_seen, last_seen, first_scan, last_scan) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            cred_rows,
        )
        conn.executemany(
            "INSERT INTO finding (fingerprint, rule_id, resource_id, resource_type, resource_name, "
            "provider, scope, severity, property, reason, evidence, status, first_seen, last_seen, "
            "first_scan, last_scan) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            finding_rows,
        )
        conn.executemany(
            "INSERT INTO finding_occurrence (scan_id, fingerprint, severity, reason, evidence, "
            "suppressed) VALUES (?,?,?,?,?,?)",
            occ_rows,
        )
        counts.update(identities=identities, credentials=len(cred_rows), findings=len(finding_rows))
    store.close()
    return counts


def timed(fn):
    """(value, wall seconds); CPU seconds of the last call in LAST_CPU (the machine is shared)."""
    global LAST_CPU
    start, cpu = time.perf_counter(), time.process_time()
    value = fn()
    LAST_CPU = time.process_time() - cpu
    return value, time.perf_counter() - start


LAST_CPU = 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--credentials", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="write the rendered reports into this directory")
    parser.add_argument("--formats", help="comma-separated renderers to time (default: all, plus diff)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "nhi.db"
        counts, seconds = timed(lambda: seed(db, args.credentials))
        print(
            f"seeded {counts['identities']:,} identities, {counts['credentials']:,} credentials, "
            f"{counts['findings']:,} findings in {seconds:.1f} s"
        )
        store = open_store(db)
        conn = store.readonly()
        print(f"{'step':<26}{'wall s':>8}{'cpu s':>8}{'output':>11}")
        report, build_s = timed(lambda: build_report(conn, with_credentials=False))
        print(f"{'read store (findings)':<26}{build_s:>8.2f}{LAST_CPU:>8.2f}")
        if not args.formats or "fixfirst" in args.formats.split(","):
            items, s = timed(
                lambda: rank(conn, report.scan, report.findings, report.agents, report.rules, report.suppressed)
            )
            top = items[0] if items else None
            print(f"{'fix-first ranking':<26}{s:>8.2f}{LAST_CPU:>8.2f}{len(items):>8,} items")
            if top is not None:
                print(f"  first: {top.key} score {top.score} {top.parts}")
        inv_report = report
        if not args.formats or "inventory" in args.formats:
            inv_report, inv_s = timed(lambda: build_report(conn, with_credentials=True))
            print(f"{'read store (+credentials)':<26}{inv_s:>8.2f}{LAST_CPU:>8.2f}")
        jobs = [(fmt, report, "findings") for fmt in ("table", "json", "sarif", "markdown", "csv", "html", "ocsf")]
        jobs += [("csv --what inventory", inv_report, "inventory"), ("json --what inventory", inv_report, "inventory")]
        jobs.append(("markdown --new-only", report, "findings"))
        if args.formats:
            wanted = set(args.formats.split(","))
            jobs = [job for job in jobs if job[0] in wanted]
        for label, rep, what in jobs:
            text, s = timed(partial(render, rep, label.split()[0], what, new_only="--new-only" in label))
            print(f"{label:<26}{s:>8.2f}{LAST_CPU:>8.2f}{len(text.encode()) / 1e6:>8.1f} MB")
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
                (args.keep / f"report-{label.replace(' ', '_').replace('--', '')}.out").write_text(text)
        if not args.formats or "diff" in args.formats.split(","):
            doc, s = timed(lambda: diff_json(build_diff(conn)))
            print(f"{'diff (json)':<26}{s:>8.2f}{LAST_CPU:>8.2f}{len(doc.encode()) / 1e6:>8.1f} MB")
        conn.close()
        store.close()
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
