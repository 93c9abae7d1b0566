"""Organization fan-out, and one member account denying the scanner (exit 3, the others
complete, nothing of the denied account marked removed)."""

from __future__ import annotations

import json
import sqlite3

import boto3
import pytest
from aws_helpers import scan_json, write_config
from moto.core.authorization import enable_iam_authentication

from nhi_connectors.aws import fake

MANAGEMENT = "123456789012"
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def _identities_by_scope() -> dict[str, int]:
    conn = sqlite3.connect("nhi.db")
    try:
        return dict(conn.execute("SELECT scope, COUNT(*) FROM v_identities GROUP BY scope").fetchall())
    finally:
        conn.close()


@pytest.fixture
def organization(moto_url, now, monkeypatch):
    """Management account + prod + sandbox, each with a user and a key. The scanner signs as a
    real IAM user so that moto enforces IAM policies on it and on the roles it assumes."""
    org = boto3.client("organizations", endpoint_url=moto_url, region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    members = {
        name: org.create_account(AccountName=name, Email=f"{name}@northwind.example")["CreateAccountStatus"][
            "AccountId"
        ]
        for name in ("prod", "sandbox")
    }
    for account_id in (MANAGEMENT, *members.values()):
        be = fake.iam_backend(account_id)
        fake.add_user(be, {"name": f"svc-{account_id}", "tags": {"owner": "dana.lee@northwind.example"}}, now)
        fake.add_access_key(be, f"svc-{account_id}", now, age_days=10, last_used_days_ago=1)
    for account_id in members.values():  # moto creates the org role without permissions
        fake.iam_backend(account_id).put_role_policy("OrganizationAccountAccessRole", "admin", json.dumps(ADMIN))
    scanner = fake.add_user(
        fake.iam_backend(MANAGEMENT), {"name": "nhi-scanner", "inline_policies": {"admin": ADMIN}}, now
    )
    key = fake.add_access_key(fake.iam_backend(MANAGEMENT), "nhi-scanner", now)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key.secret_access_key)
    assert scanner.name == "nhi-scanner"
    return moto_url, members


def test_org_fan_out_scans_every_active_account(nhi, tmp_path, organization):
    url, members = organization
    # moto's signature check under enable_iam_authentication derives the signing name from
    # the host and refuses AgentCore's (bedrock-agentcore) for an IAM user: AI platforms are
    # tested in test_aws_ai_platforms.py, this test is about the fan-out.
    config = write_config(tmp_path / "nhi.yaml", url, ai_platforms=False)
    with enable_iam_authentication():
        result, out = scan_json(nhi, config, "--aws-org")
    assert result.code == 0, result.err
    scopes = {s["scope"]: s for s in out["scopes"]}
    assert set(scopes) == {MANAGEMENT, *members.values()}
    assert all(s["status"] == "complete" for s in scopes.values()), [s["gaps"] for s in scopes.values()]
    for account_id in members.values():  # members are read through the assumed org role
        assert scopes[account_id]["api_calls"]["sts:AssumeRole"] == 1
        assert scopes[account_id]["api_calls"]["iam:GetAccountAuthorizationDetails"] == 1
    assert "sts:AssumeRole" not in scopes[MANAGEMENT]["api_calls"]
    counts = _identities_by_scope()
    assert counts[members["prod"]] == 2 and counts[members["sandbox"]] == 2  # svc user + org role
    assert counts[MANAGEMENT] == 2  # svc user + scanner


def test_denied_member_account_keeps_its_records_and_exits_3(nhi, tmp_path, organization):
    url, members = organization
    config = write_config(tmp_path / "nhi.yaml", url, org=True, ai_platforms=False)  # see above
    with enable_iam_authentication():
        first, _ = scan_json(nhi, config)
        assert first.code == 0, first.err
        before = _identities_by_scope()
        # sandbox's org role loses its permissions: GAAD there is now AccessDenied
        fake.iam_backend(members["sandbox"]).delete_role_policy("OrganizationAccountAccessRole", "admin")
        second, out = scan_json(nhi, config)
    assert second.code == 3
    scopes = {s["scope"]: s for s in out["scopes"]}
    assert scopes[members["sandbox"]]["status"] == "denied"
    assert scopes[members["sandbox"]]["error_code"] == "AccessDenied"
    assert scopes[members["prod"]]["status"] == "complete" and scopes[MANAGEMENT]["status"] == "complete"
    assert out["status"] == "incomplete"
    assert _identities_by_scope() == before  # nothing from sandbox marked removed
    conn = sqlite3.connect("nhi.db")
    try:
        removed = conn.execute("SELECT COUNT(*) FROM identity WHERE removed_at IS NOT NULL").fetchone()[0]
        keys = conn.execute("SELECT COUNT(*) FROM v_credentials WHERE scope = ?", (members["sandbox"],)).fetchone()[0]
    finally:
        conn.close()
    assert removed == 0 and keys == 1


def test_scanner_without_credentials_is_a_clear_error(nhi, tmp_path, moto_url, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result, _ = scan_json(nhi, write_config(tmp_path / "nhi.yaml", moto_url))
    assert result.code == 4
    assert "Traceback" not in result.err and len(result.err.strip().splitlines()) == 1


def _readme_scanner_policy(assumable_role_arns: list[str]) -> dict:
    """The read-only scanner policy the README documents, with sts:AssumeRole narrowed to the
    given member roles (as a real Organization would when some accounts are out of scope)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Resource": "*",
                "Action": [
                    "iam:GetAccountAuthorizationDetails",
                    "iam:GenerateCredentialReport",
                    "iam:GetCredentialReport",
                    "iam:ListAccessKeys",
                    "iam:ListPolicies",
                    "iam:GetPolicyVersion",
                ],
            },
            {
                "Effect": "Allow",
                "Resource": "*",
                "Action": [
                    "organizations:ListAccounts",
                    "organizations:ListRoots",
                    "organizations:ListPolicies",
                    "organizations:DescribePolicy",
                    "organizations:ListTargetsForPolicy",
                    "organizations:ListOrganizationalUnitsForParent",
                    "organizations:ListAccountsForParent",
                    "sts:GetCallerIdentity",
                ],
            },
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": assumable_role_arns},
        ],
    }


def test_member_account_whose_role_cannot_be_assumed_is_denied_and_kept(nhi, tmp_path, organization):
    """moto evaluates the caller's identity policy for sts:AssumeRole against the RoleArn
    (moto.sts.responses._determine_resource), so a scanner allowed to assume only prod's org
    role gets a real AccessDenied over the wire for sandbox."""
    url, members = organization
    config = write_config(tmp_path / "nhi.yaml", url, org=True, ai_platforms=False)  # see above
    management = fake.iam_backend(MANAGEMENT)
    with enable_iam_authentication():
        first, _ = scan_json(nhi, config)
        assert first.code == 0, first.err
        before = _identities_by_scope()
        prod_role = f"arn:aws:iam::{members['prod']}:role/OrganizationAccountAccessRole"
        management.put_user_policy("nhi-scanner", "admin", json.dumps(_readme_scanner_policy([prod_role])))
        second, out = scan_json(nhi, config)
    assert second.code == 3, second.err
    scopes = {s["scope"]: s for s in out["scopes"]}
    sandbox = scopes[members["sandbox"]]
    assert sandbox["status"] == "denied" and sandbox["error_code"] == "AccessDenied"
    assert "sts:AssumeRole" in sandbox["message"]
    assert sandbox["api_calls"] == {"sts:AssumeRole": 1}  # stopped before any IAM call
    # the documented read-only policy is enough for the rest of the Organization
    assert scopes[members["prod"]]["status"] == "complete" and scopes[MANAGEMENT]["status"] == "complete"
    assert scopes[members["prod"]]["api_calls"]["iam:GetAccountAuthorizationDetails"] == 1
    assert _identities_by_scope() == before  # sandbox's user and role are still current
    conn = sqlite3.connect("nhi.db")
    try:
        removed = conn.execute("SELECT COUNT(*) FROM identity WHERE removed_at IS NOT NULL").fetchone()[0]
        keys = conn.execute("SELECT COUNT(*) FROM v_credentials WHERE scope = ?", (members["sandbox"],)).fetchone()[0]
    finally:
        conn.close()
    assert removed == 0 and keys == 1
