"""Every escalation method of escalation_methods.yaml, proven over the wire: for each method a
user and a role holding exactly its actions (on `*`) are scanned from moto, with the targets
the method needs (another user, a role, a group, a customer managed policy, service roles with
an instance profile where the method needs one, a permissions boundary of its own), and
privilege_escalation must name that method for both.

Left out, by necessity: the two user permissions-boundary methods, because moto does not model
boundaries on users (GetAccountAuthorizationDetails never returns one); tests/iam checks them on
the evaluator. The two role boundary methods run here, for roles with a boundary of their own."""

from __future__ import annotations

import json

from aws_helpers import scan_json, write_config

from nhi_cli.iam.escalation import methods
from nhi_connectors.aws import fake
from tests.conftest import db_rows

ACCOUNT = "123456789012"


def _doc(actions, resource="*"):
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": resource}]}


def _trust(principal):
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}],
    }


def _seed(be, now) -> dict[str, str]:
    """The targets, then a user and a role per method; returns principal name -> method id."""
    # a group with a member and a customer policy someone holds: what nhi knows of an account's
    # groups and customer policies comes from the principals' own records
    be.create_group("team", "/")
    team_policy = be.create_policy("", "/", json.dumps(_doc(["s3:GetObject"])), "team-policy", [])
    fake.add_user(be, {"name": "target-user", "inline_policies": {"p": _doc(["s3:*"])}, "groups": ["team"]}, now)
    be.attach_user_policy(team_policy.arn, "target-user")
    fake.add_role(
        be,
        {
            "name": "target-role",
            "trust": _trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}),
            "inline_policies": {"p": _doc(["s3:*"])},
        },
        now,
    )
    services = sorted({m.pass_role or m.runs_as for m in methods() if m.pass_role or m.runs_as})
    for n, service in enumerate(services):  # what a passed or modified role brings: a secret it reads
        fake.add_role(
            be,
            {
                "name": f"svc-{n}",
                "trust": _trust({"Service": service}),
                "inline_policies": {"p": _doc(["secretsmanager:GetSecretValue"])},
                "instance_profile": True,
            },
            now,
        )
    expected: dict[str, str] = {}
    for n, method in enumerate(methods()):
        policy = {"p": _doc(method.actions)}
        boundary_of = method.actions[0] if method.target == "self_boundary" else ""
        if not boundary_of:  # moto keeps no boundary on users: see the module docstring
            name = f"esc-user-{n:02d}"
            fake.add_user(be, {"name": name, "inline_policies": policy}, now)
            expected[name] = method.id
        if boundary_of and "Role" not in boundary_of:
            continue
        name = f"esc-role-{n:02d}"
        fake.add_role(
            be, {"name": name, "trust": _trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}), "inline_policies": policy}, now
        )
        if boundary_of:  # its own boundary, which allows what it holds
            bound = be.create_policy("", "/", json.dumps(_doc(method.actions)), f"bound-{n:02d}", [])
            be.put_role_permissions_boundary(name, bound.arn)
        expected[name] = method.id
    return expected


def test_every_escalation_method_alarms_for_a_user_and_a_role(nhi, tmp_path, moto_url, now):
    expected = _seed(fake.iam_backend(ACCOUNT), now)
    result, _ = scan_json(nhi, write_config(tmp_path / "nhi.yaml", moto_url))
    assert result.code in (0, 1), result.err
    reasons = {
        r["resource_name"]: r["reason"]
        for r in db_rows("SELECT resource_name, reason FROM finding WHERE rule_id = 'privilege_escalation'")
    }
    missing = [f"{name}: {method}" for name, method in expected.items() if f" {method} (" not in reasons.get(name, "")]
    assert missing == [], "\n".join(missing)
    user_boundary = {m.id for m in methods() if m.target == "self_boundary" and "User" in m.actions[0]}
    assert set(expected.values()) == {m.id for m in methods()} - user_boundary
    users = {m for n, m in expected.items() if n.startswith("esc-user")}
    roles = {m for n, m in expected.items() if n.startswith("esc-role")}
    assert len(users) == len(methods()) - 4 and len(roles) == len(methods()) - 2
