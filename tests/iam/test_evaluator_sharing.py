"""The evaluator's shared work (decisions shared by holders of the same plain policies, one
decision for all targets an action treats alike, trusts indexed by whom they let in) gives
exactly the results of the plain definition (``exhaustive=True``: every principal, target and
trust decided on its own), on a multi-account estate built to hit every branch: cross-account
and ``*`` trusts, trusts naming principals, chains, conditions nhi can and cannot decide,
policy variables, boundaries, Denies, NotAction, resource-specific grants and service roles."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from nhi_cli.iam.escalation import Evaluator
from nhi_cli.iam.estate import Estate, Role
from nhi_cli.iam.evaluate import PolicySet, Principal
from nhi_cli.iam.policy import statements_from_document

NOW = datetime(2026, 11, 28, tzinfo=UTC)
ACCOUNTS = ("111111111111", "222222222222", "333333333333")


def _doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(action, resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def _deny(action, resource="*", **extra):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def _policies(account: str) -> dict[str, dict]:
    arn = f"arn:aws:iam::{account}"
    return {
        "admin": _doc(_allow("*")),
        "admin-but-put": _doc(_allow("*"), _deny("iam:PutUserPolicy")),
        "iam-all": _doc(_allow("iam:*")),
        "lambda-pass-any": _doc(_allow("iam:PassRole"), _allow(["lambda:CreateFunction", "lambda:InvokeFunction"])),
        "lambda-pass-one": _doc(
            _allow("iam:PassRole", f"{arn}:role/svc-0"), _allow(["lambda:CreateFunction", "lambda:InvokeFunction"])
        ),
        "pass-to-ec2-only": _doc(
            _allow("iam:PassRole", Condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}),
            _allow(["ec2:RunInstances", "lambda:CreateFunction", "lambda:InvokeFunction"]),
        ),
        "own-keys": _doc(_allow("iam:CreateAccessKey", f"{arn}:user/${{aws:username}}")),
        "keys-of-u": _doc(_allow("iam:CreateAccessKey", f"{arn}:user/u*")),
        "expired-attach": _doc(
            _allow("iam:AttachUserPolicy", Condition={"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}})
        ),
        "mfa-attach": _doc(_allow("iam:AttachUserPolicy", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})),
        "assume-any": _doc(_allow("sts:AssumeRole")),
        "assume-hops": _doc(_allow("sts:AssumeRole", "arn:aws:iam::*:role/hop-*"), _allow("s3:GetObject")),
        "reader": _doc(_allow(["s3:GetObject", "s3:ListBucket"])),
        "not-iam": _doc({"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}),
        "trust-writer": _doc(_allow("iam:UpdateAssumeRolePolicy"), _allow("sts:AssumeRole")),
        "ssm": _doc(_allow(["ssm:SendCommand", "ssm:StartSession"], f"{arn}:*")),
        "deny-only": _doc(_deny("*")),
        "group-writer": _doc(_allow(["iam:AddUserToGroup", "iam:PutGroupPolicy", "iam:CreatePolicyVersion"])),
    }


def _estate(seed: int) -> Estate:
    rng = random.Random(seed)
    estate = Estate()
    names = list(_policies(ACCOUNTS[0]))
    boundaries = {
        "s3-only": _doc(_allow("s3:*")),
        "everything": _doc(_allow("*")),
        "no-iam-write": _doc(_allow("*"), _deny(["iam:Put*", "iam:Attach*"])),
    }
    for account in ACCOUNTS:
        sets: dict[tuple, PolicySet] = {}  # holders of the same policies share one set, as the store step does
        documents = _policies(account)

        def policy_set(chosen: tuple[str, ...], sets=sets, documents=documents) -> PolicySet:
            if chosen not in sets:
                statements = [s for name in chosen for s in statements_from_document(documents[name], name)]
                sets[chosen] = PolicySet(statements)
            return sets[chosen]

        bounds = {k: PolicySet(statements_from_document(v, k)) for k, v in boundaries.items()}
        estate.groups[account] = {f"arn:aws:iam::{account}:group/g{i}" for i in range(2)}
        estate.customer_policies[account] = {f"arn:aws:iam::{account}:policy/p{i}" for i in range(2)}
        identities = [("user", f"u{i}") for i in range(14)] + [("role", f"svc-{i}") for i in range(5)]
        identities += [("role", f"hop-{i}") for i in range(4)] + [("role", f"r{i}") for i in range(6)]
        for kind, name in identities:
            arn = f"arn:aws:iam::{account}:{kind}/{name}"
            chosen = tuple(sorted(rng.sample(names, rng.choice((1, 1, 2)))))
            boundary = bounds[rng.choice(list(bounds))] if rng.random() < 0.2 else None
            principal = Principal(arn, account, policy_set(chosen), boundary)
            estate.principals[arn] = principal
            if any(n in ("admin", "admin-but-put", "iam-all", "not-iam") for n in chosen):
                estate.admin_flagged.add(arn)
            if kind == "user":
                estate.users.setdefault(account, []).append(arn)
                continue
            role = Role(arn, account, platform=name == "r5", instance_profile=name in ("svc-1", "svc-3"))
            if name.startswith("svc-"):
                role.services = {rng.choice(("lambda.amazonaws.com", "ec2.amazonaws.com", "ssm.amazonaws.com"))}
            other = rng.choice([a for a in ACCOUNTS if a != account])
            for _ in range(rng.choice((1, 2))):
                pick = rng.random()
                if pick < 0.3:
                    trust = {"principal_type": "account", "principal": f"arn:aws:iam::{other}:root"}
                    trust["principal_account"] = other
                elif pick < 0.45:
                    trust = {"principal_type": "any", "principal": "*", "principal_account": None}
                elif pick < 0.75:
                    hop = rng.choice(["u1", "u2", "u3"] + [f"hop-{i}" for i in range(4)])
                    target_account = rng.choice((account, other))
                    kind_of = "user" if hop.startswith("u") else "role"
                    named = f"arn:aws:iam::{target_account}:{kind_of}/{hop}"
                    trust = {"principal_type": "principal", "principal": named}
                    trust["principal_account"] = target_account
                else:
                    trust = {"principal_type": "account", "principal": f"arn:aws:iam::{account}:root"}
                    trust["principal_account"] = account
                trust["action"] = rng.choice(("sts:AssumeRole", "sts:AssumeRole,sts:TagSession", "sts:*"))
                trust["conditions"] = rng.choice(
                    (
                        None,
                        None,
                        {"StringEquals": {"sts:ExternalId": "x"}},
                        {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{other}:user/u1*"}},
                        {"DateGreaterThan": {"aws:CurrentTime": "2099-01-01T00:00:00Z"}},
                    )
                )
                role.trusts.append(trust)
            estate.roles[arn] = role
    return estate


def _all_results(evaluator: Evaluator, estate: Estate) -> list:
    return [r for arn in sorted(estate.principals) for r in evaluator.evaluate(arn)]


def test_shared_and_exhaustive_evaluation_agree_on_a_multi_account_estate():
    kinds: set[str] = set()
    for seed in range(6):
        estate = _estate(seed)
        shared = _all_results(Evaluator(estate, NOW), estate)
        exhaustive = _all_results(Evaluator(estate, NOW, exhaustive=True), estate)
        assert shared == exhaustive, f"seed {seed}"
        kinds |= {(r.kind, r.confidence) for r in shared}
        cross = [r for r in shared if r.kind == "assume" and r.target.split(":")[4] != r.scope]
        assert cross, "the estate has cross-account assume edges"
    # the estate reaches every kind of result, certain and conditional
    assert {("admin", "certain"), ("escalation", "certain"), ("escalation", "conditional")} <= kinds
    assert {("assume", "certain"), ("assume", "conditional")} <= kinds


def test_own_boundary_methods_act_on_the_principal_kind_they_name():
    """iam:DeleteUserPermissionsBoundary frees a user of its boundary; a role holding it has no
    user boundary of its own to remove (the role variants are the ones that apply to roles)."""
    account = ACCOUNTS[0]
    estate = Estate()
    holds = PolicySet(
        statements_from_document(
            _doc(_allow(["iam:DeleteUserPermissionsBoundary", "iam:PutUserPermissionsBoundary"])), "p"
        )
    )
    bound = PolicySet(statements_from_document(_doc(_allow("iam:*")), "boundary"))
    user, role = f"arn:aws:iam::{account}:user/bounded", f"arn:aws:iam::{account}:role/bounded"
    estate.principals[user] = Principal(user, account, holds, bound)
    estate.principals[role] = Principal(role, account, holds, bound)
    estate.users[account] = [user]
    estate.roles[role] = Role(role, account)
    evaluator = Evaluator(estate, NOW)
    methods_of = {arn: {r.method for r in evaluator.evaluate(arn) if r.kind == "escalation"} for arn in (user, role)}
    assert methods_of[user] == {"iam-delete-user-permissions-boundary", "iam-put-user-permissions-boundary"}
    assert methods_of[role] == set()
    unbounded = Evaluator(Estate(principals={user: Principal(user, account, holds)}, users={account: [user]}), NOW)
    assert not [r for r in unbounded.evaluate(user) if r.kind == "escalation"]  # no boundary, nothing to remove
