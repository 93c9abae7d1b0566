"""The store at scale, SQLite against PostgreSQL: load, rule evaluation, peak memory, and
shard-write throughput with 1, 4 and 8 concurrent writers.

A synthetic organisation of A accounts, each with U IAM users holding 2 access keys (1 in 4
second keys inactive, 1 in 10 old, 1 in 10 unused), U/2 roles with one trust each, and G
grants per identity (1 in 100 identities admin). Every account is written the way a shard
writes a scope: through the real loader (store/load.py, write_scan with --shard semantics), so
the figures include upserts, history and the advisory locks. Evaluation is `nhi evaluate`'s
rules step (every built-in rule, findings recorded) in its own process, measured there.

    .venv/bin/python benchmarks/store_scale.py --pg postgresql://user:pw@127.0.0.1/db
    .venv/bin/python benchmarks/store_scale.py --accounts 1000 --users 500 --grants 10 --pg URL

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
    from nhi_cli.model import Batch, Credential, Grant, Identity, ScopeResult, Trust

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
    for n, ident in enumerate(b.identities):
        for g in range(grants):
            admin = n % 100 == 0 and g == 0
            b.grants.append(
                Grant(
                    ident.id,
                    "aws",
                    acct,
                    "*" if admin else f"s3:Get{g}",
                    "policy/p",
                    "managed",
                    is_admin=admin,
                    is_full_wildcard=admin,
                )
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
    started = time.perf_counter()
    try:
        outcome = run_evaluation(store, [step])
    finally:
        store.close()
    return {
        "seconds": time.perf_counter() - started,
        "findings": step.summary.get("findings"),
        "scan_id": outcome.scan_id,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }


def _evaluate_in_child(target: str, queue) -> None:
    queue.put(evaluate(target))


def reset_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS nhi CASCADE")


def run_engine(name: str, target: str, accounts: int, users: int, grants: int) -> dict:
    load = write_accounts(target, list(range(accounts)), users, grants, None)
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=_evaluate_in_child, args=(target, queue))
    child.start()
    result = queue.get()
    child.join()
    return {
        "engine": name,
        "load_s": round(load, 1),
        "evaluate_s": round(result["seconds"], 1),
        "evaluate_peak_rss_mb": result["peak_rss_mb"],
        "findings": result["findings"],
    }


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
    return {"writers": writers, "wall_s": round(wall, 1), "credentials_per_s": int(credentials / wall)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--grants", type=int, default=10)
    parser.add_argument("--pg", required=True, help="an empty PostgreSQL database URL (its schema nhi is dropped)")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    identities = args.accounts * (args.users + args.users // 2)
    shape = {
        "accounts": args.accounts,
        "identities": identities,
        "credentials": args.accounts * args.users * 2,
        "grants": identities * args.grants,
    }
    print(json.dumps(shape))
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(run_engine("sqlite", str(Path(tmp) / "nhi.db"), args.accounts, args.users, args.grants)))
    reset_postgres(args.pg)
    print(json.dumps(run_engine("postgresql", args.pg, args.accounts, args.users, args.grants)))
    for writers in (1, 4, 8):
        print(json.dumps(shard_throughput(args.pg, args.accounts, args.users, args.grants, writers)))


if __name__ == "__main__":
    main()
