"""Sharded scans of a multi-account moto organisation into one PostgreSQL inventory: four
`nhi scan --shard K/4` runners at once (real processes), one of them killed while it holds its
write transaction open, re-run; then `nhi evaluate` gives the findings of one unsharded scan."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import boto3
import psycopg
import pytest
from aws_helpers import write_config

from nhi_cli.shards import parse_shard, shard_of
from nhi_cli.store import open_store
from nhi_cli.store.locks import scope_lock_key
from nhi_connectors.aws import fake

MANAGEMENT = "123456789012"
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
SHARDS = 4


@pytest.fixture
def organization(moto_url, now):
    """Management account and five members, each with an owned service user and an old key;
    one member also has an unowned admin user (findings of several rules in every account)."""
    org = boto3.client("organizations", endpoint_url=moto_url, region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    members = [
        org.create_account(AccountName=f"team{i}", Email=f"team{i}@northwind.example")["CreateAccountStatus"][
            "AccountId"
        ]
        for i in range(5)
    ]
    for account_id in (MANAGEMENT, *members):
        be = fake.iam_backend(account_id)
        fake.add_user(be, {"name": f"svc-{account_id}", "tags": {"owner": "dana.lee@northwind.example"}}, now)
        fake.add_access_key(be, f"svc-{account_id}", now, age_days=400, last_used_days_ago=200)
    for account_id in members:
        fake.iam_backend(account_id).put_role_policy("OrganizationAccountAccessRole", "admin", json.dumps(ADMIN))
    fake.add_user(fake.iam_backend(members[0]), {"name": "legacy-admin", "inline_policies": {"admin": ADMIN}}, now)
    return moto_url, members


def _findings(nhi, db: str, config: str) -> set[tuple]:
    result = nhi("findings", "list", "--db", db, "--config", config, "--format", "json")
    assert result.code == 0, result.err
    return {(f["rule_id"], f["resource_id"], f["severity"], f["reason"]) for f in json.loads(result.out)}


def _shard(k: int, config: str, db: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nhi_cli",
            "scan",
            "--shard",
            f"{k}/{SHARDS}",
            "--config",
            config,
            "--db",
            db,
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _waiting_for_advisory_lock(url: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            if conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").fetchone()[0]:
                return
            time.sleep(0.2)
    raise AssertionError("the shard never reached its write")


def test_shards_are_stable_and_disjoint():
    scopes = [f"{n:012d}" for n in range(200)]
    owners = {s: [k for k in range(1, 5) if parse_shard(f"{k}/4").owns("aws", s)] for s in scopes}
    assert all(len(v) == 1 for v in owners.values())  # every scope in exactly one shard
    assert all(owners[s] == [shard_of("aws", s, 4)] for s in scopes)  # a pure function of the scope
    assert {v[0] for v in owners.values()} == {1, 2, 3, 4}


def test_bad_shard_is_a_usage_error(nhi):
    for bad in ("0/4", "5/4", "x", "1/0"):
        result = nhi("scan", "--demo", "--shard", bad)
        assert result.code == 2 and "--shard" in result.err


def test_four_concurrent_shards_one_killed_then_evaluate_matches_one_scan(nhi, tmp_path, organization, pg_url):
    url, members = organization
    config = write_config(tmp_path / "nhi.yaml", url, org=True)
    reference = str(tmp_path / "reference.db")
    whole = nhi("scan", "--config", config, "--db", reference, "--quiet")
    assert whole.code == 0, whole.err
    expected = _findings(nhi, reference, config)
    assert len(expected) >= 10

    open_store(pg_url).close()  # the runners find the schema in place (they would serialise on creating it)
    victim_account = members[1]
    victim = shard_of("aws", victim_account, SHARDS)
    holder = psycopg.connect(pg_url, autocommit=True)  # makes the victim wait inside its write transaction
    holder.execute("SELECT pg_advisory_lock(%s)", (scope_lock_key("aws", victim_account),))
    runners = {k: _shard(k, config, pg_url) for k in range(1, SHARDS + 1)}
    try:
        _waiting_for_advisory_lock(pg_url)
        runners[victim].send_signal(signal.SIGKILL)
        runners[victim].wait(timeout=60)
        for k, proc in runners.items():
            if k != victim:
                out, err = proc.communicate(timeout=600)
                assert proc.returncode == 0, (k, err)
                assert "pg-test-Secret" not in out + err
    finally:
        holder.close()
        for proc in runners.values():
            if proc.poll() is None:
                proc.kill()
    store = open_store(pg_url)
    try:
        scopes = {r[0] for r in store.conn.execute("SELECT DISTINCT scope FROM v_identities")}
        victims = {a for a in (MANAGEMENT, *members) if shard_of("aws", a, SHARDS) == victim}
        assert victims and not (scopes & victims)  # nothing of the killed write is visible
        assert scopes == {MANAGEMENT, *members} - victims
    finally:
        store.close()

    evaluated = nhi("evaluate", "--db", pg_url, "--config", config, "--format", "json", "--quiet")
    assert evaluated.code == 3, evaluated.err  # the killed shard wrote nothing: incomplete
    assert json.loads(evaluated.out)["missing_shards"] == [f"{victim}/{SHARDS}"]
    assert "pg-test-Secret" not in evaluated.out + evaluated.err

    rerun = _shard(victim, config, pg_url)
    out, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, err
    evaluated = nhi("evaluate", "--db", pg_url, "--config", config, "--format", "json", "--quiet")
    assert evaluated.code == 0, evaluated.err
    coverage = json.loads(evaluated.out)["scopes"]
    assert {s["scope"] for s in coverage} == {MANAGEMENT, *members}
    assert all(s["status"] == "complete" and "rows from scan" in s["message"] for s in coverage)
    assert _findings(nhi, pg_url, config) == expected
