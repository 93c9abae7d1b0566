"""Service control policies read from AWS Organizations (`--aws-org`) cap the escalation and
admin findings of the accounts below them, over the wire (boto3 against moto's Organizations):
an OU denying IAM, an account whose only SCP allows S3 alone, and the management account,
which SCPs never restrict. A scanner that may not read SCPs still scans, records the gap
(the member scopes are partial) and hides nothing."""

from __future__ import annotations

import json

import boto3
import pytest
from aws_helpers import scan_json, write_config
from moto.core.authorization import enable_iam_authentication

from nhi_connectors.aws import fake
from tests.conftest import db_rows

MANAGEMENT = "123456789012"
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
ESCALATE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "iam:AttachUserPolicy", "Resource": "*"}],
}


def _scp(effect: str, action: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": effect, "Action": action, "Resource": "*"}]})


@pytest.fixture
def organization(moto_url, now, monkeypatch):
    org = boto3.client("organizations", endpoint_url=moto_url, region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    members = {
        name: org.create_account(AccountName=name, Email=f"{name}@northwind.example")["CreateAccountStatus"][
            "AccountId"
        ]
        for name in ("guarded", "free", "allowlisted")
    }
    guarded_ou = org.create_organizational_unit(ParentId=root, Name="guarded")["OrganizationalUnit"]["Id"]
    org.move_account(AccountId=members["guarded"], SourceParentId=root, DestinationParentId=guarded_ou)
    policy = {
        name: org.create_policy(Content=_scp(*rule), Description=name, Name=name, Type="SERVICE_CONTROL_POLICY")[
            "Policy"
        ]["PolicySummary"]["Id"]
        for name, rule in {"deny-iam": ("Deny", "iam:*"), "s3-only": ("Allow", "s3:*")}.items()
    }
    org.attach_policy(PolicyId=policy["deny-iam"], TargetId=guarded_ou)  # an OU level: Deny
    org.attach_policy(PolicyId=policy["s3-only"], TargetId=members["allowlisted"])  # an account level: allow-list
    org.detach_policy(PolicyId="p-FullAWSAccess", TargetId=members["allowlisted"])
    org.attach_policy(PolicyId=policy["deny-iam"], TargetId=MANAGEMENT)  # never restricts the management account
    for account_id in (MANAGEMENT, *members.values()):
        be = fake.iam_backend(account_id)
        fake.add_user(be, {"name": "escalator", "inline_policies": {"p": ESCALATE}}, now)
        fake.add_user(be, {"name": "boss", "managed_policies": [ADMIN_ARN]}, now)
        for user in ("escalator", "boss"):
            fake.add_access_key(be, user, now, age_days=5, last_used_days_ago=1)
    for account_id in members.values():
        fake.iam_backend(account_id).put_role_policy("OrganizationAccountAccessRole", "admin", json.dumps(ADMIN))
    fake.add_user(fake.iam_backend(MANAGEMENT), {"name": "nhi-scanner", "inline_policies": {"admin": ADMIN}}, now)
    key = fake.add_access_key(fake.iam_backend(MANAGEMENT), "nhi-scanner", now)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key.secret_access_key)
    return moto_url, members


def _flagged(rule: str) -> set[str]:
    rows = db_rows("SELECT resource_id FROM finding WHERE rule_id = ? AND status = 'open'", rule)
    return {r["resource_id"] for r in rows}


def _user(account: str, name: str) -> str:
    return f"arn:aws:iam::{account}:user/{name}"


def test_scps_cap_escalation_and_admin_findings(nhi, tmp_path, organization):
    url, members = organization
    result, out = scan_json(nhi, write_config(tmp_path / "nhi.yaml", url), "--aws-org")
    assert result.code == 0, result.err
    escalation, admin = _flagged("privilege_escalation"), _flagged("admin_grant")
    free, guarded, allowlisted = members["free"], members["guarded"], members["allowlisted"]
    # no SCP but FullAWSAccess above free, and the management account is never restricted
    for account in (free, MANAGEMENT):
        assert _user(account, "escalator") in escalation and _user(account, "boss") in admin, account
    # the OU's Deny iam:* and the account's S3-only allow-list cap both principals
    for account in (guarded, allowlisted):
        assert _user(account, "escalator") not in escalation and _user(account, "boss") not in admin, account
        assert _user(account, "boss") not in escalation  # nor does the admin become an escalation finding

    # what was read, by the call pattern the connector documents: a fixed set per Organization
    scopes = {s["scope"]: s for s in out["scopes"]}
    assert all(s["status"] == "complete" for s in scopes.values())
    calls: dict[str, int] = {}
    for scope in scopes.values():
        for name, n in scope["api_calls"].items():
            calls[name] = calls.get(name, 0) + n
    assert calls["organizations:ListRoots"] == 1 and calls["organizations:ListPolicies"] == 1
    assert calls["organizations:DescribePolicy"] == calls["organizations:ListTargetsForPolicy"] == 3
    assert calls["organizations:ListAccountsForParent"] == calls["organizations:ListOrganizationalUnitsForParent"] == 2
    assert "organizations:ListPoliciesForTarget" not in calls and "organizations:ListParents" not in calls
    stored = db_rows("SELECT DISTINCT scope, identity_id, source FROM policy_attachment WHERE source_type = 'scp'")
    assert {r["scope"] for r in stored} == {free, guarded, allowlisted}  # not the management account
    assert not any(r["identity_id"] in {i["id"] for i in db_rows("SELECT id FROM v_identities")} for r in stored)
    assert db_rows("SELECT COUNT(*) AS n FROM v_grants WHERE source_type = 'scp'")[0]["n"] == 0


def test_scanner_that_cannot_read_scps_records_the_gap_and_hides_nothing(nhi, tmp_path, organization):
    url, members = organization
    scanner_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {
                "Effect": "Deny",
                "Action": ["organizations:ListPolicies", "organizations:DescribePolicy"],
                "Resource": "*",
            },
        ],
    }
    fake.iam_backend(MANAGEMENT).put_user_policy("nhi-scanner", "admin", json.dumps(scanner_policy))
    # ai_platforms off: moto's signature check under enable_iam_authentication refuses AgentCore's
    # signing name (see test_aws_org.py); this test is about SCPs
    with enable_iam_authentication():
        result, out = scan_json(nhi, write_config(tmp_path / "nhi.yaml", url, ai_platforms=False), "--aws-org")
    assert result.code == 0, result.err
    assert "coverage partial: 3 of 4 scopes partial" in result.err
    scopes = {s["scope"]: s for s in out["scopes"]}
    for account in members.values():
        assert scopes[account]["status"] == "partial"
        assert any("SCPs not read" in g["message"] for g in scopes[account]["gaps"])
    assert scopes[MANAGEMENT]["status"] == "complete"  # SCPs do not apply there: nothing is missing
    # without the SCPs nhi cannot cap anything: the guarded account's principals alarm
    assert _user(members["guarded"], "escalator") in _flagged("privilege_escalation")
    assert _user(members["guarded"], "boss") in _flagged("admin_grant")
