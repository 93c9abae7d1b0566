"""Escalation methods, admin and role chains on the effective permission, over the wire
(boto3 against moto): the scan collects the policies, nhi_cli/iam evaluates them, the rules
report what a penetration tester would accept without re-checking."""

from __future__ import annotations

import json

import pytest
from aws_helpers import scan_json, write_config

from nhi_connectors.aws import fake as demo
from tests.conftest import db_rows

ACCOUNT = "123456789012"
ARN = f"arn:aws:iam::{ACCOUNT}"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def _doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(actions, resource="*", **extra):
    return {"Effect": "Allow", "Action": actions, "Resource": resource, **extra}


def _deny(actions, resource="*"):
    return {"Effect": "Deny", "Action": actions, "Resource": resource}


def _trust(principal):
    return _doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})


@pytest.fixture
def estate(moto_url, now):
    be = demo.iam_backend(ACCOUNT)
    for name, document in {
        "half-passrole": _doc(_allow("iam:PassRole")),
        "half-lambda": _doc(_allow(["lambda:CreateFunction", "lambda:InvokeFunction"])),
    }.items():
        be.create_policy("", "/", json.dumps(document), name, [])
    demo.add_role(
        be,
        {
            "name": "fn-role",
            "last_used_days_ago": 1,
            "trust": _trust({"Service": "lambda.amazonaws.com"}),
            "inline_policies": {"secrets": _doc(_allow("secretsmanager:GetSecretValue"))},
        },
        now,
    )
    users = {
        "splitter": {"managed_policies": ["half-passrole", "half-lambda"]},
        "denied-same": {"inline_policies": {"p": _doc(_allow("iam:PutUserPolicy"), _deny("iam:PutUserPolicy"))}},
        "denied-other": {"managed_policies": [ADMIN], "inline_policies": {"guardrail": _doc(_deny("*"))}},
        "aws-managed-only": {
            "inline_policies": {"p": _doc(_allow("iam:CreatePolicyVersion", "arn:aws:iam::aws:policy/*"))}
        },
        "expired": {
            "inline_policies": {
                "p": _doc(
                    _allow(
                        "iam:AttachUserPolicy", Condition={"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}
                    )
                )
            }
        },
        "deny-only": {"inline_policies": {"p": _doc(_deny("*"))}},
        "not-action": {
            "inline_policies": {
                "p": {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "NotAction": ["iam:*", "secretsmanager:*"], "Resource": "*"}],
                }
            }
        },
        "chain-start": {"inline_policies": {"p": _doc(_allow("sts:AssumeRole", f"{ARN}:role/hop-1"))}},
    }
    for name, spec in users.items():
        demo.add_user(be, {"name": name, **spec}, now)
        demo.add_access_key(be, name, now, age_days=5, last_used_days_ago=1)
    demo.add_role(
        be,
        {
            "name": "ci-role",
            "last_used_days_ago": 1,
            "trust": _trust({"Service": "ec2.amazonaws.com"}),
            "inline_policies": {"p": _doc(_allow("iam:AttachRolePolicy", f"{ARN}:role/ci-role"))},
        },
        now,
    )
    # administrator by its policies, capped by a permissions boundary that allows S3 alone
    boundary = be.create_policy("", "/", json.dumps(_doc(_allow("s3:*"))), "s3-boundary", [])
    demo.add_role(
        be,
        {
            "name": "bounded-admin",
            "last_used_days_ago": 1,
            "trust": _trust({"Service": "ec2.amazonaws.com"}),
            "managed_policies": [ADMIN],
        },
        now,
    )
    be.put_role_permissions_boundary("bounded-admin", boundary.arn)
    demo.add_role(
        be,
        {
            "name": "hop-1",
            "last_used_days_ago": 1,
            "trust": _trust({"AWS": f"{ARN}:user/chain-start"}),
            "inline_policies": {"p": _doc(_allow("sts:AssumeRole", f"{ARN}:role/hop-*"))},
        },
        now,
    )
    demo.add_role(
        be,
        {
            "name": "hop-2",
            "last_used_days_ago": 1,
            "trust": _trust({"AWS": f"{ARN}:role/hop-1"}),
            "inline_policies": {"p": _doc(_allow("sts:AssumeRole"))},
        },
        now,
    )
    demo.add_role(
        be,
        {
            "name": "admin-role",
            "last_used_days_ago": 1,
            "trust": _trust({"AWS": f"{ARN}:role/hop-2"}),
            "managed_policies": [ADMIN],
        },
        now,
    )
    return moto_url


def _findings(rule):
    return {
        r["resource_name"]: r
        for r in db_rows(
            "SELECT resource_name, reason, evidence FROM finding WHERE rule_id = ? AND status = 'open'", rule
        )
    }


def test_escalation_admin_and_chains_on_the_effective_permission(nhi, tmp_path, estate):
    result, _ = scan_json(nhi, write_config(tmp_path / "nhi.yaml", estate))
    assert result.code == 0, result.err
    escalation = _findings("privilege_escalation")
    admin = _findings("admin_grant")

    # split policies escalate together: method, enabling actions, both statements, the target
    split = escalation["splitter"]
    assert "passrole-lambda-invoke" in split["reason"] and f"{ARN}:role/fn-role" in split["reason"]
    assert "iam:PassRole,lambda:CreateFunction,lambda:InvokeFunction" in split["reason"]
    sources = json.loads(split["evidence"])["sources"]
    assert f"{ARN}:policy/half-passrole: Allow iam:PassRole on *" in sources
    assert f"{ARN}:policy/half-lambda: Allow lambda:CreateFunction on *" in sources
    # NotAction leaving Lambda in: modify the function that runs as fn-role
    assert "lambda-update-function-code" in escalation["not-action"]["reason"]
    # a role escalating itself
    assert "iam-attach-role-policy" in escalation["ci-role"]["reason"]
    # pass cases: Deny in the same policy / another policy, AWS managed policies only,
    # an impossible condition, Deny only
    for quiet in ("denied-same", "denied-other", "aws-managed-only", "expired", "deny-only", "bounded-admin"):
        assert quiet not in escalation and quiet not in admin, quiet

    assert "admin-role" in admin
    chain = _findings("aws_role_chain_to_admin")
    assert set(chain) == {"chain-start", "hop-1", "hop-2"}
    assert "3 role assumption(s): chain-start -> hop-1 -> hop-2 -> admin-role" in chain["chain-start"]["reason"]
