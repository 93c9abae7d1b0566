"""API calls to collect one GitHub org's deploy keys at 10 / 1,000 / 5,000 repositories.

Runs the real GitHub connector against GithubFake (loopback) with one deploy key in every
50th repository, once per strategy (graphql, rest), and prints the calls and wall time.
Usage: .venv/bin/python benchmarks/github_deploy_keys.py [REPOS ...]
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime

from nhi_cli.kit.connector import CollectContext
from nhi_cli.model import Scope
from nhi_connectors.github import GithubConnector
from nhi_connectors.github.fake import GithubFake, new_app_key


def measure(repos: int, strategy: str, pem: str, public_key) -> tuple[int, int, float]:
    with GithubFake.synthetic("bench", repos=repos, keys_every=50, public_key=public_key) as fake:
        settings = GithubConnector.Settings(endpoint=fake.url, app_id="1", app_private_key=pem, deploy_keys=strategy)
        ctx = CollectContext(now=datetime.now(UTC), settings=settings)
        start = time.perf_counter()
        batch = GithubConnector().collect(ctx, Scope("github", "bench"))
        elapsed = time.perf_counter() - start
    key_calls = sum(n for call, n in ctx.calls.items() if "graphql" in call or "/repos" in call)
    keys = sum(1 for c in batch.credentials if c.kind == "deploy_key")
    return key_calls, sum(ctx.calls.values()), elapsed, keys


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [10, 1000, 5000]
    pem, public_key = new_app_key()
    print("| repositories | keys | strategy | deploy-key calls | all calls for the org | time |")
    print("|---:|---:|---|---:|---:|---:|")
    for repos in sizes:
        for strategy in ("graphql", "rest"):
            key_calls, total, elapsed, keys = measure(repos, strategy, pem, public_key)
            print(f"| {repos:,} | {keys} | {strategy} | {key_calls:,} | {total:,} | {elapsed:.2f} s |")


if __name__ == "__main__":
    main()
