"""The API budget: IAM calls per account do not grow with the number of identities."""

from __future__ import annotations

import urllib.request

import pytest
from aws_helpers import iam_calls, scan_json, write_config

from nhi_connectors.aws import fake

TRUST = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
    '"Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)


def reset(url: str) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST")).close()


def _seed(now, users: int, *, start: int = 0) -> None:
    be = fake.iam_backend("123456789012")
    fake.ensure_aws_policy(be, "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess")  # not shipped: fetched once
    for i in range(start, start + users):
        be.create_user("us-east-1", f"user-{i}")
        for _ in range(2):
            fake.add_access_key(be, f"user-{i}", now, age_days=30, last_used_days_ago=1)
        role = be.create_role(f"role-{i}", TRUST, "/", None, "", [], None)
        be.attach_role_policy("arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess", role.name)
        be.put_user_policy(
            f"user-{i}",
            "p",
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}',
        )


def _scan(nhi, tmp_path, url, **settings):
    result, out = scan_json(nhi, write_config(tmp_path / "nhi.yaml", url, **settings))
    assert result.code == 0, result.err
    return iam_calls(out["scopes"][0]), out


def test_bulk_calls_are_the_same_at_10_and_200_users(nhi, tmp_path, moto_url, now):
    _seed(now, 10)
    small, out = _scan(nhi, tmp_path, moto_url, access_key_ids=False)
    assert out["inventory"]  # something was loaded
    reset(moto_url)  # both sizes from the same starting state: no credential report yet
    _seed(now, 200)
    large, out = _scan(nhi, tmp_path, moto_url, access_key_ids=False)
    assert small == large
    assert set(large) <= {
        "iam:GetAccountAuthorizationDetails",
        "iam:GetCredentialReport",
        "iam:GenerateCredentialReport",
        "iam:ListPolicies",
        "iam:GetPolicyVersion",
        "iam:ListServiceSpecificCredentials",  # every user's Bedrock API keys: one call per account
    }
    assert large["iam:GetAccountAuthorizationDetails"] == 1
    assert large["iam:ListServiceSpecificCredentials"] == 1
    assert sum(r["credentials"] for r in out["inventory"]) == 400


def test_key_ids_cost_one_list_per_key_holder_and_nothing_else(nhi, tmp_path, moto_url, now):
    def seed():
        _seed(now, 30)
        be = fake.iam_backend("123456789012")
        for i in range(20):  # users without keys cost nothing
            be.create_user("us-east-1", f"keyless-{i}")

    seed()
    calls, _ = _scan(nhi, tmp_path, moto_url, access_key_ids=True)
    reset(moto_url)
    seed()
    bulk, _ = _scan(nhi, tmp_path, moto_url)  # the default: the fixed budget
    extra = {k: calls[k] - bulk.get(k, 0) for k in calls if calls[k] != bulk.get(k, 0)}
    assert extra == {"iam:ListAccessKeys": 30}


@pytest.mark.parametrize("mode,expected", [("known", 0), ("fetch", 1)])
def test_unshipped_aws_managed_policies_are_fetched_once_or_listed_unresolved(
    nhi, tmp_path, moto_url, now, mode, expected
):
    _seed(now, 3)
    calls, _ = _scan(nhi, tmp_path, moto_url, aws_managed_policies=mode, access_key_ids=False)
    assert calls.get("iam:GetPolicyVersion", 0) == expected
    result = nhi(
        "query",
        "--db",
        "nhi.db",
        "--format",
        "json",
        "SELECT DISTINCT action FROM v_grants WHERE source LIKE '%AmazonEC2ReadOnlyAccess'",
    )
    actions = {r["action"] for r in __import__("json").loads(result.out)}
    assert (actions == {"?"}) if mode == "known" else ("ec2:Describe*" in actions)
