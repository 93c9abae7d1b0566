"""Benchmark an AWS Organization scan behind real-world latency: 1 account vs 20.

moto's WSGI app runs behind a middleware that sleeps ``--latency`` ms (default 100) before
every request, the way a far-away API does. The Organization's management account and each
member account hold ``--users`` users (a key and an inline policy each) and as many roles. The
scan of one account (``accounts: [management]``) and of the whole Organization
(``--aws-org``) run in fresh processes; the script prints wall and CPU seconds, calls, and the
ratio org / one account (issue 13's target: within 3x for 20 accounts).

    .venv/bin/python benchmarks/aws_org.py                    # 20 accounts, 100 users, 100 ms
    .venv/bin/python benchmarks/aws_org.py --accounts 20 --users 1000
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import ExitStack, redirect_stdout
from datetime import UTC, datetime
from pathlib import Path

MANAGEMENT = "123456789012"
INLINE = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::bench/*"}],
    }
)
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


class Latency:
    def __init__(self, app, seconds: float):
        self.app, self.seconds = app, seconds

    def __call__(self, environ, start_response):
        if not environ.get("PATH_INFO", "").startswith("/moto-api"):
            time.sleep(self.seconds)
        return self.app(environ, start_response)


def serve(stack: ExitStack, latency_s: float) -> str:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = Latency(DomainDispatcherApplication(create_backend_app), latency_s)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stack.callback(server.shutdown)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10).close()
    return url


def one(accounts: int, users: int, latency_ms: int, whole_org: bool) -> dict:
    import boto3
    from moto.backends import get_backend

    from nhi_cli.cli.app import run
    from nhi_connectors.aws import fake

    now = datetime.now(UTC).replace(microsecond=0)
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        fake.fake_aws_credentials(stack)
        url = serve(stack, latency_ms / 1000)
        org = boto3.client("organizations", endpoint_url=url, region_name=fake.REGION)
        org.create_organization(FeatureSet="ALL")
        backend = get_backend("organizations")[MANAGEMENT]["global"]
        ids = [MANAGEMENT]
        for i in range(accounts - 1):
            org.create_account(AccountName=f"member-{i:02d}", Email=f"m{i}@example.com")
            ids.append(next(a for a in backend.accounts if a.name == f"member-{i:02d}").id)
        for account in ids:
            be = fake.iam_backend(account)
            for u in range(users):
                be.create_user(fake.REGION, f"user-{u:05d}")
                be.put_user_policy(f"user-{u:05d}", "bench", INLINE)
                fake.add_access_key(be, f"user-{u:05d}", now, age_days=100, last_used_days_ago=u % 90)
                be.create_role(f"role-{u:05d}", TRUST, "/", None, "", [], None)
        settings = {"endpoint": url, "org": True} if whole_org else {"endpoint": url, "accounts": [MANAGEMENT]}
        config = Path(tmp) / "nhi.yaml"
        config.write_text(json.dumps({"version": 1, "providers": {"aws": settings}}), encoding="utf-8")
        out = io.StringIO()
        wall, cpu = time.perf_counter(), time.process_time()
        with redirect_stdout(out):
            code = run(
                ["scan", "--config", str(config), "--db", str(Path(tmp) / "nhi.db"), "--format", "json", "--quiet"]
            )
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        scopes = json.loads(out.getvalue())["scopes"]
        calls = sum(sum(s["api_calls"].values()) for s in scopes)
        return {
            "exit": code,
            "scopes": len(scopes),
            "wall_s": round(wall, 2),
            "cpu_s": round(cpu, 2),
            "calls": calls,
            "slowest_scope_s": round(max(s["duration_ms"] for s in scopes) / 1000, 2),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--latency", type=int, default=100, help="ms added before every request")
    parser.add_argument("--one", nargs=1, choices=["account", "org"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.accounts, args.users, args.latency, args.one[0] == "org")))
        return
    runs = {}
    for what in ("account", "org"):
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                what,
                "--accounts",
                str(args.accounts),
                "--users",
                str(args.users),
                "--latency",
                str(args.latency),
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "NO_COLOR": "1"},
        )
        if proc.returncode != 0:
            sys.exit(f"{what} failed: {proc.stderr.strip()[-2000:]}")
        runs[what] = json.loads(proc.stdout.strip().splitlines()[-1])
        r = runs[what]
        print(
            f"{what:<8} scopes {r['scopes']:>3}  wall {r['wall_s']:>6} s  CPU {r['cpu_s']:>6} s  "
            f"calls {r['calls']:>4}  "
            f"slowest scope {r['slowest_scope_s']} s  (exit {r['exit']})",
            flush=True,
        )
    print(
        f"org / one account: {runs['org']['wall_s'] / runs['account']['wall_s']:.1f}x wall "
        f"({args.accounts} accounts, {args.users} users each, {args.latency} ms per call)"
    )


if __name__ == "__main__":
    main()
