"""A policy document's grants are stored once, whoever holds it (migration 0014), and nothing a
user sees changes: the same rows in ``v_grants``, the same findings. An inventory written before
(one grant row per principal, boundary and SCP rows included) migrates, on SQLite and on
PostgreSQL, and its evaluation gives the findings a fresh scan gives.

The estate (boto3 against moto, through `nhi scan --aws-org`): an Organization whose SCPs cap
two member accounts, six users sharing one customer-managed escalation policy, a group's
inline policy inherited by two members, an administrator role capped by a permissions boundary,
and a user whose admin Allow another policy denies."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest
from aws_helpers import scan_json, write_config

from nhi_connectors.aws import fake
from tests.aws.test_aws_scps import ADMIN, ADMIN_ARN, ESCALATE, MANAGEMENT, organization  # noqa: F401
from tests.conftest import db_rows

SHARED = [f"shared-{n}" for n in range(6)]
DENY_IAM = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]}
S3_ONLY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
GRANT_COLUMNS = (
    "identity_id, provider, scope, effect, action, resource, condition, source, source_type, service, "
    "is_admin, is_full_wildcard, is_service_wildcard, is_privesc, is_sensitive, identity_name, identity_kind, "
    "identity_enabled"
)


@pytest.fixture
def estate(organization, now):  # noqa: F811 (the fixture imported above)
    url, members = organization
    be = fake.iam_backend(members["free"])
    shared = be.create_policy("", "/", json.dumps(ESCALATE), "attach-anything", [])
    for name in SHARED:
        fake.add_user(be, {"name": name, "managed_policies": [shared.arn]}, now)
    be.create_group("ops", "/")
    be.put_group_policy("ops", "escalate", json.dumps(ESCALATE))
    for name in ("ops-1", "ops-2"):
        fake.add_user(be, {"name": name, "groups": ["ops"]}, now)
    boundary = be.create_policy("", "/", json.dumps(S3_ONLY), "s3-boundary", [])
    trust = {
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    }
    fake.add_role(be, {"name": "bounded-admin", "trust": trust, "managed_policies": [ADMIN_ARN]}, now)
    be.put_role_permissions_boundary("bounded-admin", boundary.arn)
    fake.add_user(be, {"name": "denied-admin", "inline_policies": {"admin": ADMIN, "no-iam": DENY_IAM}}, now)
    return url, members


def _findings(nhi, db: str) -> set[tuple]:
    result = nhi("findings", "list", "--db", db, "--format", "json")
    assert result.code == 0, result.err
    return {(f["rule_id"], f["resource_id"], f["severity"], f["reason"], f["status"]) for f in json.loads(result.out)}


def _grants(conn) -> list[tuple]:
    return sorted(tuple(r) for r in conn.execute(f"SELECT {GRANT_COLUMNS} FROM v_grants").fetchall())


def _flag(column: str) -> str:
    return f"CASE WHEN a.source_type IN ('boundary', 'scp') THEN 0 ELSE d.{column} END"


# One grant row per principal, as nhi wrote them before migration 0014 (boundary and SCP rows
# carried no risk flags); then the schema as 0013 left it.
PER_PRINCIPAL = (
    'INSERT INTO "grant" (identity_id, provider, scope, effect, action, resource, condition, source, source_type, '
    "service, is_admin, is_full_wildcard, is_service_wildcard, is_privesc, is_sensitive) "
    "SELECT a.identity_id, a.provider, a.scope, d.effect, d.action, d.resource, d.condition, a.source, a.source_type, "
    f"d.service, {_flag('is_admin')}, {_flag('is_full_wildcard')}, {_flag('is_service_wildcard')}, "
    f"{_flag('is_privesc')}, {_flag('is_sensitive')} "
    "FROM policy_attachment a JOIN policy_grant d ON d.scope = a.scope AND d.document_id = a.document_id "
    "ORDER BY a.id, d.id"
)
BACK_TO_0013 = (
    PER_PRINCIPAL,
    "DROP TABLE policy_attachment",
    "DROP TABLE policy_grant",
    "DELETE FROM schema_migration WHERE version >= 14",
    "DELETE FROM effective_permission",  # the evaluator must find it all again from the old rows
)


def _to_per_principal_sqlite(path: str) -> None:
    conn = sqlite3.connect(path)
    with conn:
        for (view,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'").fetchall():
            conn.execute(f'DROP VIEW "{view}"')
        for statement in BACK_TO_0013:
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 13")
    conn.close()


def _to_per_principal_postgresql(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=False) as conn:
        conn.execute("SET search_path TO nhi")
        for (view,) in conn.execute(
            "SELECT table_name FROM information_schema.views WHERE table_schema = 'nhi'"
        ).fetchall():
            conn.execute(f'DROP VIEW IF EXISTS nhi."{view}" CASCADE')
        for statement in BACK_TO_0013:
            conn.execute(statement)
        conn.execute("UPDATE meta SET value = '13' WHERE key = 'schema_version'")
        conn.commit()


def _scan(nhi, tmp_path, url: str) -> str:
    config = write_config(tmp_path / "nhi.yaml", url)
    result, _ = scan_json(nhi, config, "--aws-org")
    assert result.code in (0, 1), result.err
    return config


def _evaluate(nhi, db: str) -> None:
    result = nhi("evaluate", "--db", db, "--format", "json", "--quiet")
    assert result.code in (0, 1), result.err


def _flagged(findings: set[tuple], rule: str) -> set[str]:
    return {f[1] for f in findings if f[0] == rule and f[4] == "open"}


def test_documents_are_stored_once_and_v_grants_lists_every_holder(nhi, tmp_path, estate):
    url, members = estate
    _scan(nhi, tmp_path, url)
    free = members["free"]
    shared = db_rows("SELECT DISTINCT document_id FROM policy_attachment WHERE source LIKE '%:policy/attach-anything'")
    assert len(shared) == 1  # six holders, one document
    assert (
        db_rows(
            "SELECT COUNT(*) AS n FROM policy_grant WHERE document_id = ? AND scope = ?", shared[0]["document_id"], free
        )[0]["n"]
        == 1
    )
    assert db_rows("SELECT COUNT(*) AS n FROM \"grant\" WHERE provider = 'aws'")[0]["n"] == 0
    holders = db_rows(
        "SELECT identity_name, source, source_type FROM v_grants WHERE scope = ? AND action = 'iam:AttachUserPolicy'",
        free,
    )
    assert sorted(r["identity_name"] for r in holders) == sorted([*SHARED, "ops-1", "ops-2", "escalator"])
    assert {r["source_type"] for r in holders if r["identity_name"] == "ops-1"} == {"group"}
    assert not db_rows("SELECT 1 FROM v_grants WHERE source_type IN ('boundary', 'scp')")
    findings = _findings(nhi, "nhi.db")
    escalation, admin = _flagged(findings, "privilege_escalation"), _flagged(findings, "admin_grant")
    user = f"arn:aws:iam::{free}:user/"
    assert {user + n for n in [*SHARED, "ops-1", "ops-2", "escalator"]} <= escalation
    assert user + "boss" in admin
    assert f"arn:aws:iam::{free}:role/bounded-admin" not in admin and user + "denied-admin" not in admin
    assert f"arn:aws:iam::{members['guarded']}:user/escalator" not in escalation  # the OU's SCP denies IAM


def test_per_principal_sqlite_inventory_migrates_to_the_same_grants_and_findings(nhi, tmp_path, estate):
    url, members = estate
    _scan(nhi, tmp_path, url)
    _evaluate(nhi, "nhi.db")
    expected = _findings(nhi, "nhi.db")
    with sqlite3.connect("nhi.db") as conn:
        grants = _grants(conn)
    shutil.copy("nhi.db", "old.db")
    _to_per_principal_sqlite("old.db")
    old_rows = db_rows("SELECT COUNT(*) AS n FROM \"grant\" WHERE provider = 'aws'", db="old.db")[0]["n"]
    assert old_rows > len(grants) // 2  # every holder's copy, boundaries and SCP levels
    _evaluate(nhi, "old.db")  # opening migrates it
    assert _findings(nhi, "old.db") == expected
    assert _flagged(expected, "privilege_escalation") and _flagged(expected, "admin_grant")
    with sqlite3.connect("old.db") as conn:
        assert _grants(conn) == grants
        assert conn.execute("SELECT COUNT(*) FROM \"grant\" WHERE provider = 'aws'").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM policy_grant").fetchone()[0] < old_rows
        assert conn.execute("SELECT MAX(version) FROM schema_migration").fetchone()[0] >= 14


def test_per_principal_postgresql_inventory_migrates_to_the_same_grants_and_findings(nhi, tmp_path, estate, pg_url):
    import psycopg

    url, members = estate
    _scan(nhi, tmp_path, url)
    pushed = nhi("--db", "nhi.db", "inventory", "push", "--to", pg_url, "--format", "json")
    assert pushed.code == 0, pushed.err
    _evaluate(nhi, pg_url)
    expected = _findings(nhi, pg_url)
    with psycopg.connect(pg_url) as conn:
        conn.execute("SET search_path TO nhi")
        grants = _grants(conn)
    assert grants and _flagged(expected, "privilege_escalation")
    _to_per_principal_postgresql(pg_url)
    _evaluate(nhi, pg_url)  # opening migrates it
    assert _findings(nhi, pg_url) == expected
    with psycopg.connect(pg_url) as conn:
        conn.execute("SET search_path TO nhi")
        assert _grants(conn) == grants
        assert conn.execute("SELECT COUNT(*) FROM \"grant\" WHERE provider = 'aws'").fetchone()[0] == 0


def test_holders_of_one_source_with_different_rows_keep_their_own_rows(nhi, tmp_path, estate):
    """Per-principal rows that differ between holders of the same source (here the first
    holder's, which the migration compares the others with) each keep their own rows."""
    url, members = estate
    _scan(nhi, tmp_path, url)
    _to_per_principal_sqlite("nhi.db")
    odd = f"arn:aws:iam::{members['free']}:user/{SHARED[0]}"
    with sqlite3.connect("nhi.db") as conn:
        changed = conn.execute(
            "UPDATE \"grant\" SET action = 's3:GetObject', is_privesc = 0, is_sensitive = 0, service = 's3' "
            "WHERE identity_id = ? AND source LIKE '%:policy/attach-anything'",
            (odd,),
        ).rowcount
    assert changed == 1
    _evaluate(nhi, "nhi.db")  # opening migrates it
    escalation = _flagged(_findings(nhi, "nhi.db"), "privilege_escalation")
    others = {f"arn:aws:iam::{members['free']}:user/{name}" for name in SHARED[1:]}
    assert others <= escalation and odd not in escalation
    rows = db_rows("SELECT identity_name, action FROM v_grants WHERE source LIKE '%:policy/attach-anything'")
    assert sorted((r["identity_name"], r["action"]) for r in rows) == sorted(
        [(SHARED[0], "s3:GetObject")] + [(name, "iam:AttachUserPolicy") for name in SHARED[1:]]
    )
