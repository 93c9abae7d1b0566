"""Rules at scale: evaluate the whole built-in pack on synthetic inventories.

For each size (credentials) a fresh inventory is written straight into SQLite (proportional
identities, grants, trusts, locations and people), then a separate process evaluates every
built-in rule and records the findings exactly as a scan does (the rules post-load step inside
one transaction). Time and peak RSS are of that evaluation process only.

    .venv/bin/python benchmarks/rules_scale.py                 # 10k, 100k, 1M credentials
    .venv/bin/python benchmarks/rules_scale.py 10000 100000    # chosen sizes
    .venv/bin/python benchmarks/rules_scale.py --profile 100000  # plus the slowest steps

Shape per N credentials: N/2 IAM users with 2 access keys each (1 in 4 second keys inactive),
N/4 roles with one trust each, 2 grants per identity, N/100 credential locations, 1,000 people
(1 in 25 has left). About 1 in 10 keys is old, 1 in 10 unused, 1 in 20 users holds two active
keys, 1 in 50 has no owner, 1 in 100 identities is admin: findings grow with N (about 1 per 3
credentials).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

NOW = datetime(2026, 11, 28, tzinfo=UTC)
STAMP = "%Y-%m-%dT%H:%M:%SZ"


def _iso(days_ago: int) -> str:
    return (NOW - timedelta(days=days_ago)).strftime(STAMP)


def generate(db: Path, credentials: int) -> dict:
    from nhi_cli.store import open_store

    store = open_store(db)
    conn = store.conn
    users, roles = credentials // 2, credentials // 4
    now = _iso(0)
    start = time.perf_counter()
    with store.transaction():
        conn.execute(
            "INSERT INTO scan_run (id, started_at, finished_at, status, nhi_version) "
            "VALUES (1, ?, ?, 'complete', 'bench')",
            (now, now),
        )
        accounts = [f"{100000000000 + a}" for a in range(max(1, credentials // 20000))]

        def identities():
            for u in range(users):
                acct = accounts[u % len(accounts)]
                owner = None if u % 50 == 0 else f"person{u % 1000}@example.com"
                yield (
                    f"arn:aws:iam::{acct}:user/u{u}",
                    "aws",
                    acct,
                    "iam_user",
                    f"u{u}",
                    _iso(400 + u % 300),
                    _iso(u % 120),
                    owner,
                    now,
                    now,
                )
            for r in range(roles):
                acct = accounts[r % len(accounts)]
                yield (
                    f"arn:aws:iam::{acct}:role/r{r}",
                    "aws",
                    acct,
                    "iam_role",
                    f"r{r}",
                    _iso(300 + r % 200),
                    None if r % 13 == 0 else _iso(r % 100),
                    f"person{r % 1000}@example.com",
                    now,
                    now,
                )

        conn.executemany(
            "INSERT INTO identity (id, provider, scope, kind, name, created_at, last_used_at, owner, first_seen, "
            "last_seen, first_scan, last_scan) VALUES (?,?,?,?,?,?,?,?,?,?,1,1)",
            identities(),
        )

        def keys():
            for u in range(users):
                acct = accounts[u % len(accounts)]
                ident = f"arn:aws:iam::{acct}:user/u{u}"
                for k in range(2):
                    status = "inactive" if k == 1 and u % 20 else "active"
                    age = 400 if (u + k) % 10 == 0 else 30 + (u % 50)
                    used = None if (u + k) % 20 == 0 else _iso((u + k) % 100)
                    yield (
                        f"AKIA{u:012d}{k:04d}",
                        ident,
                        "aws",
                        acct,
                        "access_key",
                        status,
                        _iso(age),
                        used,
                        f"AKIA{u:012d}{k:04d}",
                        now,
                        now,
                    )

        conn.executemany(
            "INSERT INTO credential (id, identity_id, provider, scope, kind, status, created_at, last_used_at, key_id, "
            "first_seen, last_seen, first_scan, last_scan) VALUES (?,?,?,?,?,?,?,?,?,?,?,1,1)",
            keys(),
        )

        def grants():
            for u in range(users + roles):
                acct = accounts[u % len(accounts)]
                ident = f"arn:aws:iam::{acct}:user/u{u}" if u < users else f"arn:aws:iam::{acct}:role/r{u - users}"
                admin = int(u % 100 == 0)
                yield (ident, "aws", acct, "*" if admin else "s3:GetObject", "policy", admin, admin, 0, 0, 0)
                yield (
                    ident,
                    "aws",
                    acct,
                    "iam:PassRole" if u % 50 == 0 else "logs:PutLogEvents",
                    "policy",
                    0,
                    0,
                    0,
                    int(u % 50 == 0),
                    0,
                )

        conn.executemany(
            'INSERT INTO "grant" (identity_id, provider, scope, action, source, source_type, is_admin, '
            "is_full_wildcard, is_service_wildcard, is_privesc, is_sensitive, effect) "
            "VALUES (?,?,?,?,?,'managed',?,?,?,?,?,'Allow')",
            grants(),
        )

        def trusts():
            for r in range(roles):
                acct = accounts[r % len(accounts)]
                if r % 3 == 0:
                    yield (
                        f"arn:aws:iam::{acct}:role/r{r}",
                        "aws",
                        acct,
                        "account",
                        f"arn:aws:iam::{acct}:root",
                        acct,
                        0,
                    )
                elif r % 3 == 1:
                    yield (f"arn:aws:iam::{acct}:role/r{r}", "aws", acct, "service", "lambda.amazonaws.com", None, 0)
                else:
                    yield (
                        f"arn:aws:iam::{acct}:role/r{r}",
                        "aws",
                        acct,
                        "account",
                        "arn:aws:iam::999999999999:root",
                        "999999999999",
                        int(r % 2 == 0),
                    )

        conn.executemany(
            "INSERT INTO trust (identity_id, provider, scope, principal_type, principal, principal_account, "
            "requires_external_id, action) VALUES (?,?,?,?,?,?,?,'sts:AssumeRole')",
            trusts(),
        )
        conn.executemany(
            "INSERT INTO credential_location (credential_id, location, provider, scope) VALUES (?,?,'mcp','local')",
            ((f"AKIA{u:012d}0000", f"/home/dev{u % 10}/.cursor/mcp.json#s{u}") for u in range(0, users, 50)),
        )
        conn.executemany(
            "INSERT INTO person (id, email, active, source) VALUES (?, ?, ?, 'bench')",
            ((f"person{p}@example.com", f"person{p}@example.com", int(p % 25 != 0)) for p in range(1000)),
        )
    conn.execute("ANALYZE")
    counts = {
        t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]
        for t in ("identity", "credential", "grant", "trust", "credential_location")
    }
    store.close()
    counts["generate_s"] = round(time.perf_counter() - start, 1)
    return counts


def evaluate(db: Path) -> dict:
    """Run in its own process: the rules step inside one transaction, as `nhi scan` does."""
    from nhi_cli.config import Config
    from nhi_cli.rules.gate import load_ruleset
    from nhi_cli.rules.scan_step import RulesStep
    from nhi_cli.store import open_store

    store = open_store(db)
    config = Config()
    ruleset = load_ruleset(config)
    step = RulesStep(config, ruleset)
    start, cpu = time.perf_counter(), time.process_time()
    with store.transaction() as conn:
        step(conn, 1)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    findings = store.conn.execute("SELECT COUNT(*) FROM finding").fetchone()[0]
    store.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "rules": len(ruleset.rules),
        "findings": findings,
        "evaluate_s": round(elapsed, 2),
        "cpu_s": round(cpu, 2),
        "peak_rss_mb": round(peak_mb),
        "counts": step.summary.get("counts", {}),
        "timings": {k: [round(w, 3), round(c, 3)] for k, (w, c) in step.timings.items()},
    }


def print_profile(result: dict, top: int = 15) -> None:
    """The slowest steps of one evaluation (each rule, the context fill, the findings lifecycle)."""
    steps = sorted(result["timings"].items(), key=lambda kv: -kv[1][1])
    print(f"{'':>4}{'step':<45} {'wall s':>7} {'CPU s':>6}")
    for name, (wall, cpu) in steps[:top]:
        print(f"{'':>4}{name:<45} {wall:>7.3f} {cpu:>6.3f}")
    rest = steps[top:]
    if rest:
        wall, cpu = sum(w for _, (w, _) in rest), sum(c for _, (_, c) in rest)
        print(f"{'':>4}{f'({len(rest)} more)':<45} {wall:>7.3f} {cpu:>6.3f}")


def main(argv: list[str]) -> None:
    if argv[:1] == ["--evaluate"]:
        print(json.dumps(evaluate(Path(argv[1]))))
        return
    profile = "--profile" in argv
    argv = [a for a in argv if a != "--profile"]
    sizes = [int(a) for a in argv] or [10_000, 100_000, 1_000_000]
    print(
        f"{'credentials':>12} {'identities':>11} {'grants':>9} {'rules':>5} {'findings':>9} {'wall s':>7} "
        f"{'CPU s':>6} {'peak RSS MB':>11}"
    )
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "bench.db"
            counts = generate(db, size)
            out = subprocess.run(
                [sys.executable, __file__, "--evaluate", str(db)],
                check=True,
                capture_output=True,
                text=True,
                env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
            )
            result = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"{counts['credential']:>12,} {counts['identity']:>11,} {counts['grant']:>9,} {result['rules']:>5} "
                f"{result['findings']:>9,} {result['evaluate_s']:>7} {result['cpu_s']:>6} {result['peak_rss_mb']:>11}",
                flush=True,
            )
            if profile:
                print_profile(result)


if __name__ == "__main__":
    main(sys.argv[1:])
