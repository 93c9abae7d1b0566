"""The store at scale, SQLite against PostgreSQL: load, evaluation (the AWS effective
permissions, every rule, the findings lifecycle), reports, peak memory, and shard-write
throughput with 1, 4 and 8 concurrent writers.

A synthetic organisation of A accounts, each with U IAM users holding 2 access keys (1 in 4
second keys inactive, 1 in 10 old, 1 in 10 unused), U/2 roles with one trust each, and G grants
per identity (1 in 100 identities admin) from one of two policy documents per account, stored
once each and attached to every holder (as the AWS connector stores them). Every account is
written the way a shard writes a scope: through the real loader (store/load.py, write_scan with
--shard semantics), so the figures include upserts, history and the advisory locks. Evaluation
is `nhi evaluate`'s rules step (every built-in rule, findings recorded) in its own process,
measured there; then `nhi report`'s reading of the store and its renderers, in another process.
Each step's wall time, CPU time and peak RSS are its own process's.

    .venv/bin/python benchmarks/store_scale.py                       # SQLite only
    .venv/bin/python benchmarks/store_scale.py --pg postgresql://user:pw@127.0.0.1/db
    .venv/bin/python benchmarks/store_scale.py --accounts 1000 --users 500 --grants 13 --pg URL \
        --writer-accounts 100                                        # 1M credentials, 9.75M grants

The PostgreSQL database given is emptied (schema nhi dropped) before each run.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def account_batch(a: int, users: int, grants: int):
    from nhi_cli.model import Batch, Credential, Identity, PolicyAttachment, PolicyGrant, ScopeResult, Trust

    acct = f"{100000000000 + a}"
    b = Batch()
    for u in range(users):
        arn = f"arn:aws:iam::{acct}:user/u{u}"
        b.identities.append(
            Identity(
                arn,
                "aws",
                acct,
                "iam_user",
                f"u{u}",
                created_at=NOW - timedelta(days=400 + u % 300),
                last_used_at=NOW - timedelta(days=u % 120),
                owner=None if u % 50 == 0 else f"person{u % 1000}@example.com",
            )
        )
        for k in range(2):
            kid = f"AKIA{a:06d}{u:06d}{k:04d}"
            b.credentials.append(
                Credential(
                    kid,
                    arn,
                    "aws",
                    acct,
                    "access_key",
                    "inactive" if (k == 1 and u % 4 == 0) else "active",
                    key_id=kid,
                    created_at=NOW - timedelta(days=500 if u % 10 == 0 else 30),
                    last_used_at=None if u % 10 == 1 else NOW - timedelta(days=1),
                )
            )
    for r in range(users // 2):
        arn = f"arn:aws:iam::{acct}:role/r{r}"
        b.identities.append(
            Identity(
                arn,
                "aws",
                acct,
                "iam_role",
                f"r{r}",
                created_at=NOW - timedelta(days=300),
                owner=f"person{r % 1000}@example.com",
            )
        )
        b.trusts.append(
            Trust(
                arn,
                "aws",
                acct,
                "account",
                f"arn:aws:iam::{100000000000 + (a + 1) % 1000}:root",
                "sts:AssumeRole",
                principal_account=f"{100000000000 + (a + 1) % 1000}",
            )
        )
    # Two policy documents per account, each stored once (policy_grant) and attached to its
    # holders (policy_attachment), as the AWS connector stores them: "p" (G actions) and, for
    # 1 identity in 100, "p-admin" (its first action is "*"). v_grants gives every identity G rows.
    for document in ("p", "p-admin"):
        for g in range(grants):
            admin = document == "p-admin" and g == 0
            b.policy_grants.append(
                PolicyGrant(
                    document,
                    "aws",
                    acct,
                    "*" if admin else f"s3:Get{g}",
                    is_admin=admin,
                    is_full_wildcard=admin,
                )
            )
    for n, ident in enumerate(b.identities):
        b.attachments.append(
            PolicyAttachment(ident.id, "aws", acct, "p-admin" if n % 100 == 0 else "p", "policy/p", "managed")
        )
    return acct, b, ScopeResult("aws", acct, "complete", identities=len(b.identities), credentials=len(b.credentials))


def write_accounts(target: str, accounts: list[int], users: int, grants: int, shard: str | None) -> float:
    """Write the accounts one per transaction (as a shard writes its scopes); seconds taken."""
    from nhi_cli.store import open_store
    from nhi_cli.store.load import write_scan

    store = open_store(target)
    started = time.perf_counter()
    try:
        for a in accounts:
            acct, batch, result = account_batch(a, users, grants)
            write_scan(
                store,
                started_at=NOW,
                finished_at=NOW,
                results=[result],
                batches={("aws", acct): batch},
                shard=shard or "1/1",
            )
    finally:
        store.close()
    return time.perf_counter() - started


def _writer(args) -> float:
    return write_accounts(*args)


def evaluate(target: str) -> dict:
    """The rules step of `nhi evaluate` over the whole inventory (in this process)."""
    from nhi_cli.config import Config
    from nhi_cli.evaluate import run_evaluation
    from nhi_cli.rules.loader import load_rules
    from nhi_cli.rules.scan_step import RulesStep
    from nhi_cli.store import open_store

    ruleset = load_rules()
    step = RulesStep(Config(), ruleset)
    store = open_store(target)
    started, cpu = time.perf_counter(), time.process_time()
    try:
        outcome = run_evaluation(store, [step])
        # grant rows as stored: per principal ("grant") and per document with its holders
        stored = {
            table: store.conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
            for table in ("grant", "policy_grant", "policy_attachment")
        }
    finally:
        store.close()
    slowest = sorted(step.timings.items(), key=lambda kv: -kv[1][0])[:4]
    return {
        "rows_stored": stored,
        "evaluate_s": round(time.perf_counter() - started, 1),
        "evaluate_cpu_s": round(time.process_time() - cpu, 1),
        "evaluate_peak_rss_mb": _peak_mb(),
        "findings": step.summary.get("findings"),
        "scan_id": outcome.scan_id,
        "slowest_steps_s": {name: round(wall, 1) for name, (wall, _) in slowest},
    }


def reports(target: str, formats: list[str]) -> dict:
    """What `nhi report` does: read the store into the report model, render each format."""
    from nhi_cli.reports import render
    from nhi_cli.reports.model import build_report
    from nhi_cli.store import open_store

    store = open_store(target)
    conn = store.readonly()
    out: dict = {}
    try:
        started, cpu = time.perf_counter(), time.process_time()
        report = build_report(conn)
        out["report_read_s"] = round(time.perf_counter() - started, 1)
        out["report_read_cpu_s"] = round(time.process_time() - cpu, 1)
        for fmt in formats:
            started = time.perf_counter()
            text = render(report, fmt)
            out[f"report_{fmt}_s"] = round(time.perf_counter() - started, 1)
            out[f"report_{fmt}_mb"] = round(len(text.encode()) / 1e6, 1)
            del text
    finally:
        conn.close()
        store.close()
    out["report_peak_rss_mb"] = _peak_mb()
    return out


def _peak_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def _load(target: str, accounts: int, users: int, grants: int) -> dict:
    started = time.process_time()
    wall = write_accounts(target, list(range(accounts)), users, grants, None)
    cpu = round(time.process_time() - started, 1)
    return {"load_s": round(wall, 1), "load_cpu_s": cpu, "load_peak_rss_mb": _peak_mb()}


def _child(queue, fn, *args) -> None:
    queue.put(fn(*args))


def in_child(fn, *args) -> dict:
    """fn(*args) in a fresh process, so its time and peak RSS are its own."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=_child, args=(queue, fn, *args))
    child.start()
    result = queue.get()
    child.join()
    return result


def reset_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS nhi CASCADE")


def run_engine(name: str, target: str, args) -> dict:
    result = {"engine": name}
    result.update(in_child(_load, target, args.accounts, args.users, args.grants))
    print(json.dumps(result), flush=True)
    result.update(in_child(evaluate, target))
    print(json.dumps(result), flush=True)
    if args.formats:
        result.update(in_child(reports, target, args.formats.split(",")))
    return result


def shard_throughput(url: str, accounts: int, users: int, grants: int, writers: int) -> dict:
    reset_postgres(url)
    from nhi_cli.store import open_store

    open_store(url).close()
    parts = [[a for a in range(accounts) if a % writers == w] for w in range(writers)]
    ctx = multiprocessing.get_context("spawn")
    started = time.perf_counter()
    with ctx.Pool(writers) as pool:
        pool.map(_writer, [(url, part, users, grants, f"{w + 1}/{writers}") for w, part in enumerate(parts)])
    wall = time.perf_counter() - started
    credentials = accounts * users * 2
    return {
        "writers": writers,
        "accounts": accounts,
        "wall_s": round(wall, 1),
        "credentials_per_s": int(credentials / wall),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--grants", type=int, default=10)
    parser.add_argument("--pg", help="an empty PostgreSQL database URL (its schema nhi is dropped)")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--formats", default="json,sarif,html", help="report formats to render ('' for none)")
    parser.add_argument("--writers", default="1,4,8", help="concurrent shard writers to measure ('' for none)")
    parser.add_argument("--writer-accounts", type=int, help="accounts written in the throughput runs (default all)")
    parser.add_argument("--keep", type=Path, help="keep the SQLite inventory at this path")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    identities = args.accounts * (args.users + args.users // 2)
    shape = {
        "accounts": args.accounts,
        "identities": identities,
        "credentials": args.accounts * args.users * 2,
        "grants": identities * args.grants,  # rows of v_grants
        # stored: two documents per account, one attachment per identity
        "grant_rows_stored": args.accounts * 2 * args.grants + identities,
    }
    print(json.dumps(shape), flush=True)
    engines = args.engines.split(",")
    if "sqlite" in engines:
        with tempfile.TemporaryDirectory() as tmp:
            db = str(args.keep or Path(tmp) / "nhi.db")
            print(json.dumps(run_engine("sqlite", db, args)), flush=True)
    if args.pg and "postgresql" in engines:
        reset_postgres(args.pg)
        print(json.dumps(run_engine("postgresql", args.pg, args)), flush=True)
        for writers in [int(w) for w in args.writers.split(",") if w]:
            accounts = args.writer_accounts or args.accounts
            print(json.dumps(shard_throughput(args.pg, accounts, args.users, args.grants, writers)), flush=True)


if __name__ == "__main__":
    main()
