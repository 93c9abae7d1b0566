"""The pure transforms: policy flags, trust classification, the credential report."""

from __future__ import annotations

import pytest

from nhi_connectors.aws.credential_report import parse_credential_report
from nhi_connectors.aws.policies import transform_policy
from nhi_connectors.aws.transform import clean_tags
from nhi_connectors.aws.trusts import transform_trust_policy

ROLE = "arn:aws:iam::111111111111:role/r"


def grants(*statements):
    return transform_policy(
        {"Version": "2012-10-17", "Statement": list(statements)},
        identity_id=ROLE,
        scope="111111111111",
        source="inline:p",
        source_type="inline",
    )


def test_policy_flags():
    (full,) = grants({"Effect": "Allow", "Action": "*", "Resource": "*"})
    assert full.is_admin and full.is_full_wildcard and full.is_privesc and full.is_sensitive
    (iam_all,) = grants({"Effect": "Allow", "Action": "iam:*", "Resource": "*"})
    assert iam_all.is_admin and iam_all.is_service_wildcard and not iam_all.is_full_wildcard
    (s3_all,) = grants({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    assert s3_all.is_service_wildcard and not (s3_all.is_admin or s3_all.is_privesc or s3_all.is_sensitive)
    pass_any, pass_one = grants(
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": ["*", "arn:aws:iam::1:role/x"]}
    )
    assert pass_any.is_privesc and not pass_one.is_privesc
    (put,) = grants({"Effect": "Allow", "Action": "iam:Put*", "Resource": "arn:aws:iam::1:role/x"})
    assert put.is_privesc  # iam:Put* covers iam:PutRolePolicy
    (deny,) = grants({"Effect": "Deny", "Action": "*", "Resource": "*"})
    assert deny.effect == "Deny" and not (deny.is_admin or deny.is_full_wildcard)


def test_not_action_and_not_resource():
    (power,) = grants({"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"})
    assert power.action == "NotAction:iam:*,organizations:*"
    assert power.is_service_wildcard and not power.is_admin and not power.is_privesc and power.is_sensitive
    (no_s3,) = grants({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"})
    assert no_s3.is_admin and no_s3.is_privesc  # everything but S3 still includes IAM
    (nr,) = grants({"Effect": "Allow", "Action": "iam:PassRole", "NotResource": "arn:aws:iam::1:role/admin"})
    assert nr.resource == "NotResource:arn:aws:iam::1:role/admin" and nr.is_privesc


def test_malformed_policy_fails_loudly():
    with pytest.raises(ValueError):
        grants({"Effect": "Allow", "Resource": "*"})
    with pytest.raises(ValueError):
        transform_policy({"Version": "2012-10-17"}, identity_id=ROLE, scope="1", source="x", source_type="inline")


def trusts(*statements):
    return transform_trust_policy({"Version": "2012-10-17", "Statement": list(statements)}, role_id=ROLE, scope="1")


def test_trust_principals_and_guards():
    rows = trusts(
        {
            "Effect": "Allow",
            "Principal": {
                "AWS": ["arn:aws:iam::222222222222:root", "333333333333", "arn:aws:iam::444444444444:role/x"]
            },
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "abc"}},
        },
        {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"},
        {
            "Effect": "Allow",
            "Principal": {"Federated": "arn:aws:iam::555555555555:saml-provider/okta"},
            "Action": "sts:AssumeRoleWithSAML",
        },
        {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"},
    )
    assert [(t.principal_type, t.principal_account, t.requires_external_id) for t in rows] == [
        ("account", "222222222222", True),
        ("account", "333333333333", True),
        ("principal", "444444444444", True),
        ("any", None, False),
        ("saml", "555555555555", False),
    ]


@pytest.mark.parametrize(
    "condition,required",
    [
        ({"StringLike": {"sts:SourceIdentity": "*@corp.example"}}, True),
        ({"Null": {"sts:SourceIdentity": "false"}}, True),
        ({"Null": {"sts:SourceIdentity": "true"}}, False),
        ({"StringLikeIfExists": {"sts:SourceIdentity": "*"}}, False),
        ({}, False),
    ],
)
def test_source_identity_requirement(condition, required):
    (row,) = trusts(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::2:role/o"},
            "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
            "Condition": condition,
        }
    )
    assert row.requires_source_identity is required


def test_github_oidc_sub_and_aud():
    provider = "arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com"
    (row,) = trusts(
        {
            "Effect": "Allow",
            "Principal": {"Federated": provider},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringLike": {"token.actions.githubusercontent.com:sub": ["repo:o/a:*", "repo:o/b:*"]},
                "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
            },
        }
    )
    assert (row.principal_type, row.subject_condition, row.audience_condition) == (
        "oidc",
        "repo:o/a:*,repo:o/b:*",
        "sts.amazonaws.com",
    )


# The report's lines, each cut at commas into literals that fit the line width.
REPORT = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,"
    "cert_2_active,cert_2_last_rotated\n"
    "<root_account>,arn:aws:iam::1:root,2020-01-01T00:00:00+00:00,not_supported,"
    "2024-01-01T00:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,"
    "N/A,false,N/A,false,N/A\n"
    "u,arn:aws:iam::1:user/u,2020-01-01T00:00:00+00:00,true,2024-05-01T10:00:00+00:00,N/A,N/A,false,"
    "false,2021-01-01T00:00:00+00:00,2022-01-01T00:00:00+00:00,us-east-1,s3,true,"
    "2024-01-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,false,N/A\n"
)


def test_credential_report_rows_become_per_key_slots():
    rows = parse_credential_report(REPORT)
    assert list(rows) == ["arn:aws:iam::1:user/u"]  # the root user is a person, not an NHI
    row = rows["arn:aws:iam::1:user/u"]
    assert row["password_enabled"] and not row["mfa_active"]
    first, second = row["keys"]
    assert (first["slot"], first["active"], first["last_used_service"]) == (1, False, "s3")
    assert (second["slot"], second["active"], second["last_used"]) == (2, True, None)
    with pytest.raises(ValueError):
        parse_credential_report("user,arn\nu,arn:x\n")


def test_secret_looking_tag_values_are_redacted():
    tags = clean_tags(
        [
            {"Key": "owner", "Value": "dana.lee@northwind.example"},
            {"Key": "arn", "Value": "arn:aws:iam::123456789012:role/service-role/SomeLongRoleName"},
            {"Key": "k", "Value": "AKIAABCDEFGHIJKLMNOP"},
            {"Key": "s", "Value": "x wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY99 y"},
        ],
        salt="s",
    )
    assert tags["owner"] == "dana.lee@northwind.example" and tags["arn"].startswith("arn:")
    assert tags["k"].startswith("[redacted") and tags["s"].startswith("[redacted")
