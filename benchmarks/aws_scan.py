"""Benchmark the AWS scan: API calls by name, wall time and peak memory per estate size.

For each size N, a fresh process starts moto's server on loopback, seeds N IAM users (two
access keys each, an inline policy) and N roles (a trust policy and an attached AWS managed
policy) straight into moto's backend, then runs the real `nhi scan` against it and reports:

- the API calls the connector made (as recorded in the scan's scope result),
- the wall time of the scan (collect + store write + post-load steps),
- peak RSS of the process (moto's server shares it, so this includes moto's own data) and
  the growth of peak RSS during the scan.

Two modes: ``bulk`` (the default, access_key_ids: false: the fixed budget) and ``keys``
(access_key_ids: true: plus ListAccessKeys per key-holding user, to learn key ids).
``--profile`` adds where the time goes (cProfile over the scan's threads, by phase).

    .venv/bin/python benchmarks/aws_scan.py                    # 100, 1000, 10000; both modes
    .venv/bin/python benchmarks/aws_scan.py --sizes 100 1000 --modes bulk
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, redirect_stdout
from datetime import UTC, datetime
from pathlib import Path

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
INLINE = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::bench/*"}
        ],
    }
)
ROLE_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# Where a scan's time goes: cumulative seconds of these functions, over every thread of the
# scan (the collecting workers included; moto's request threads are not ours and are left out).
PHASES = {
    "collect: GAAD": "connectors/aws/gaad.py:get_authorization_details",
    "collect: credential report": "connectors/aws/credential_report.py:get_credential_report",
    "collect: ListAccessKeys": "connectors/aws/access_keys.py:get_access_keys",
    "transform": "connectors/aws/transform.py:transform_account",
    "store: identities + credentials": "nhi_cli/store/load.py:_upsert",
    "store: grants + trusts": "nhi_cli/store/load.py:_replace",
    "agents": "nhi_cli/agents/build.py:build_agents",
    "iam evaluator": "nhi_cli/iam/store_step.py:refresh",
    "rules": "nhi_cli/rules/engine.py:evaluate",
    "findings": "nhi_cli/rules/findings.py:record_findings",
}


def start_profiling() -> list:
    """cProfile in this thread and in every thread started from now on."""
    import cProfile
    import threading

    profiles = [cProfile.Profile()]

    def in_thread(*_):
        import sys as _sys

        _sys.setprofile(None)
        if "process_request_thread" in threading.current_thread().name:
            return  # a moto server thread answering a request: the fake's CPU, not nhi's
        profiler = cProfile.Profile()
        profiles.append(profiler)
        profiler.enable()

    threading.setprofile(in_thread)
    profiles[0].enable()
    return profiles


def stop_profiling(profiles: list) -> dict:
    import pstats
    import threading

    threading.setprofile(None)
    profiles[0].disable()
    stats = pstats.Stats(profiles[0])
    for p in profiles[1:]:
        p.disable()
        stats.add(p)
    found = {}
    for (filename, _, name), (_, _, _, cumulative, _) in stats.stats.items():
        for phase, where in PHASES.items():
            path, function = where.split(":")
            if filename.endswith(path) and name == function:
                found[phase] = round(found.get(phase, 0) + cumulative, 2)
    return found


def one(size: int, mode: str, profile: bool = False) -> dict:
    """Seed, scan, measure; runs inside its own process."""
    from nhi_cli.cli.app import run
    from nhi_connectors.aws import fake

    now = datetime.now(UTC).replace(microsecond=0)
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        url = fake.start_server(stack)
        fake.fake_aws_credentials(stack)
        t0 = time.perf_counter()
        be = fake.iam_backend("123456789012")
        fake.ensure_aws_policy(be, ROLE_POLICY)
        for i in range(size):
            name = f"user-{i:05d}"
            be.create_user(fake.REGION, name)
            be.put_user_policy(name, "bench", INLINE)
            fake.add_access_key(be, name, now, age_days=200 + i % 300, last_used_days_ago=i % 90)
            fake.add_access_key(be, name, now, age_days=20 + i % 30)
            role = be.create_role(f"role-{i:05d}", TRUST, "/", None, "", [], None)
            be.attach_role_policy(ROLE_POLICY, role.name)
        seed_s = time.perf_counter() - t0
        config = Path(tmp) / "nhi.yaml"
        config.write_text(
            json.dumps({"version": 1, "providers": {"aws": {"endpoint": url, "access_key_ids": mode == "keys"}}}),
            encoding="utf-8",
        )
        rss_before = peak_rss_mb()
        out = io.StringIO()
        profiles = start_profiling() if profile else []
        t0, cpu0 = time.perf_counter(), time.process_time()
        with redirect_stdout(out):
            code = run(
                ["scan", "--config", str(config), "--db", str(Path(tmp) / "nhi.db"), "--format", "json", "--quiet"]
            )
        scan_s, cpu_s = time.perf_counter() - t0, time.process_time() - cpu0
        breakdown = stop_profiling(profiles) if profile else {}
        report = json.loads(out.getvalue())
        scope = report["scopes"][0]
        return {
            "size": size,
            "mode": mode,
            "exit": code,
            "seed_s": round(seed_s, 2),
            "scan_s": round(scan_s, 2),
            "cpu_s": round(cpu_s, 2),
            "profile": breakdown,
            "calls": scope["api_calls"],
            "iam_calls": sum(v for k, v in scope["api_calls"].items() if k.startswith("iam:")),
            "identities": scope["identities"],
            "credentials": scope["credentials"],
            "collect_ms": scope["duration_ms"],
            "peak_rss_mb": round(peak_rss_mb()),
            "rss_growth_mb": round(peak_rss_mb() - rss_before),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--modes", default="bulk,keys")
    parser.add_argument("--profile", action="store_true", help="also print where the scan's time goes (cProfile)")
    parser.add_argument("--one", nargs=2, metavar=("SIZE", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(int(args.one[0]), args.one[1], args.profile)))
        return
    print(
        f"{'users':>6} {'mode':<5} {'IAM calls':>9} {'scan s':>7} {'CPU s':>6} {'collect s':>9} {'peak RSS MB':>11} "
        f"{'RSS growth MB':>13}  calls by name"
    )
    for mode in args.modes.split(","):
        for size in args.sizes:
            proc = subprocess.run(
                [sys.executable, __file__, "--one", str(size), mode, *(["--profile"] if args.profile else [])],
                capture_output=True,
                text=True,
                env={**os.environ, "NO_COLOR": "1"},
            )
            if proc.returncode != 0:
                print(f"{size:>6} {mode:<5} failed: {proc.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            calls = ", ".join(f"{k} {v}" for k, v in sorted(r["calls"].items()))
            print(
                f"{size:>6} {mode:<5} {r['iam_calls']:>9} {r['scan_s']:>7} {r['cpu_s']:>6} "
                f"{r['collect_ms'] / 1000:>9.2f} "
                f"{r['peak_rss_mb']:>11} {r['rss_growth_mb']:>13}  {calls}  (exit {r['exit']}, "
                f"{r['identities']} identities, {r['credentials']} keys, seeded in {r['seed_s']} s)",
                flush=True,
            )
            if r["profile"]:
                print(
                    "        profile (cumulative s): " + ", ".join(f"{k} {v}" for k, v in r["profile"].items()),
                    flush=True,
                )


if __name__ == "__main__":
    main()
