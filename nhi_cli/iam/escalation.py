"""Admin-equivalence, escalation methods and assume-role edges of AWS principals, on the
effective permission (evaluate.py) rather than on single Allow statements.

An ``Estate`` holds what one inventory knows about AWS principals: users and roles per
account, groups, customer managed policies, role trusts and permissions boundaries. For each
principal nhi answers:

- admin: it holds an Allow of every action (``*``, ``iam:*``, a broad ``NotAction``) and the
  IAM policy writes that make that true (attach/put user and role policies on any resource)
  are still effectively allowed after Denies, boundaries, SCPs and conditions;
- escalation: for each method of escalation_methods.yaml, the targets on which every action
  of the method is effectively allowed;
- assume: the roles whose trust lets it in and whose ``sts:AssumeRole`` its policies allow.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .conditions import Context, base_context
from .conditions import evaluate as evaluate_condition
from .evaluate import ALLOW, Decision, Principal
from .policy import ANY_RESOURCE, Statement, action_matches

METHODS_FILE = Path(__file__).with_name("escalation_methods.yaml")
ADMIN_POLICY_ARNS = ("arn:aws:iam::aws:policy/AdministratorAccess",)
# Whoever may write any IAM user's or role's policies can grant itself anything.
ADMIN_PROBES = ("iam:AttachUserPolicy", "iam:PutUserPolicy", "iam:AttachRolePolicy", "iam:PutRolePolicy")
MAX_TARGETS = 5  # targets named in one finding; the count says how many more


@dataclass(frozen=True)
class Method:
    id: str
    family: str
    actions: tuple[str, ...]
    explanation: str
    target: str | None = None
    pass_role: str | None = None
    runs_as: str | None = None
    instance_profile: bool = False


@lru_cache(maxsize=1)
def methods() -> tuple[Method, ...]:
    data = yaml.safe_load(METHODS_FILE.read_text(encoding="utf-8"))
    return tuple(
        Method(
            id=m["id"],
            family=m["family"],
            actions=tuple(m["actions"]),
            explanation=m["explanation"],
            target=m.get("target"),
            pass_role=m.get("pass_role"),
            runs_as=m.get("runs_as"),
            instance_profile=bool(m.get("instance_profile")),
        )
        for m in data["methods"]
    )


@dataclass
class Role:
    arn: str
    account: str
    platform: bool = False
    instance_profile: bool = False
    services: set[str] = field(default_factory=set)  # service principals trusted
    trusts: list[dict[str, Any]] = field(default_factory=list)  # AWS-principal trust rows


@dataclass
class Estate:
    principals: dict[str, Principal] = field(default_factory=dict)
    users: dict[str, list[str]] = field(default_factory=dict)  # account -> user ARNs
    roles: dict[str, Role] = field(default_factory=dict)  # ARN -> role
    groups: dict[str, set[str]] = field(default_factory=dict)  # account -> group ARNs
    customer_policies: dict[str, set[str]] = field(default_factory=dict)  # account -> policy ARNs
    admin_flagged: set[str] = field(default_factory=set)  # holds a '*'-like Allow


@dataclass
class Result:
    identity_id: str
    scope: str
    kind: str  # admin | escalation | assume
    method: str = ""
    family: str = ""
    target: str = ""
    targets: int = 0
    actions: str = ""
    statements: str = ""
    confidence: str = "certain"  # certain | conditional
    detail: str = ""


def _labels(decisions: Iterable[Decision]) -> list[str]:
    seen: dict[str, None] = {}
    for decision in decisions:
        for st in decision.allowed_by:
            seen.setdefault(st.label(), None)
    return list(seen)


def _confidence(decisions: Iterable[Decision]) -> str:
    return "certain" if all(d.result == ALLOW for d in decisions) else "conditional"


class Evaluator:
    def __init__(self, estate: Estate, now: datetime):
        self.estate = estate
        self.now = now
        self._admin: dict[str, Result | None] = {}
        self._gain: dict[tuple[int, str], bool] = {}
        self._applicable: dict[int, list[Method]] = {}
        self._trusting: dict[tuple, list[Role]] | None = None
        self._named: set[str] | None = None

    def _named_principals(self) -> set[str]:
        """Principal ARNs some trust policy names (they need no Allow in their own account)."""
        if self._named is None:
            self._named = {
                t["principal"]
                for r in self.estate.roles.values()
                for t in r.trusts
                if t["principal_type"] == "principal"
            }
        return self._named

    def context(self, principal: Principal, action: str, **extra: Any) -> Context:
        chosen = {"iam:policyarn": list(ADMIN_POLICY_ARNS)}
        return base_context(
            self.now, principal_arn=principal.arn, account=principal.account, action=action, extra=extra, chosen=chosen
        )

    def decide(self, principal: Principal, action: str, resource: str, **extra: Any) -> Decision:
        return principal.decide(action, resource, self.context(principal, action, **extra))

    # --- admin ----------------------------------------------------------------------------
    def admin(self, arn: str) -> Result | None:
        if arn not in self._admin:
            self._admin[arn] = self._evaluate_admin(arn)
        return self._admin[arn]

    def _evaluate_admin(self, arn: str) -> Result | None:
        if arn not in self.estate.admin_flagged:
            return None
        principal = self.estate.principals[arn]
        decisions = [self.decide(principal, a, ANY_RESOURCE) for a in ADMIN_PROBES]
        permitted = [d for d in decisions if d.permitted]
        if not permitted:
            return None
        broad = [st for d in permitted for st in d.allowed_by if _is_broad(st)]
        if not broad:
            return None
        return Result(
            arn,
            principal.account,
            "admin",
            actions=",".join(sorted({a for st in broad for a in st.actions})),
            statements="; ".join(dict.fromkeys(st.label() for st in broad)),
            confidence="certain" if any(d.result == ALLOW for d in permitted) else "conditional",
            detail="administrator access: every action, including writing its own IAM policies",
        )

    # --- escalation -----------------------------------------------------------------------
    def _targets(self, method: Method, principal: Principal) -> list[str]:
        account, arn = principal.account, principal.arn
        if method.target == "user":
            return list(self.estate.users.get(account, []))
        if method.target == "other_user":
            return [u for u in self.estate.users.get(account, []) if u != arn]
        if method.target == "role":
            return [r.arn for r in self.estate.roles.values() if r.account == account and not r.platform]
        if method.target == "group":
            return sorted(self.estate.groups.get(account, set()))
        if method.target == "customer_policy":
            return sorted(self.estate.customer_policies.get(account, set()))
        if method.target == "self_boundary":
            return [arn] if principal.boundary is not None else []
        service = method.pass_role or method.runs_as
        return [
            r.arn
            for r in self.estate.roles.values()
            if r.account == account
            and r.arn != arn
            and service in r.services
            and (r.instance_profile or not method.instance_profile)
        ]

    def escalation(self, principal: Principal, method: Method) -> Result | None:
        targets = self._targets(method, principal)
        if not targets:
            return None
        service = method.pass_role or method.runs_as
        first, rest = method.actions[0], method.actions[1:]
        if method.target:
            on_target, others = first, rest
        elif method.pass_role:
            on_target, others = "iam:PassRole", tuple(a for a in method.actions if a != "iam:PassRole")
        else:
            on_target, others = None, method.actions
        other_decisions = [self.decide(principal, a, ANY_RESOURCE) for a in others]
        if not all(d.permitted for d in other_decisions):
            return None
        hits: list[tuple[str, Decision | None]] = []
        for target in targets:
            if on_target is None:
                hits.append((target, None))
                continue
            extra = {"iam:PassedToService": service} if on_target == "iam:PassRole" else {}
            decision = self.decide(principal, on_target, target, **extra)
            if decision.permitted:
                hits.append((target, decision))
        if self._gains_target(method):
            # becoming a user or running as a role is only an escalation when it adds power
            hits = [h for h in hits if self.adds_power(principal, h[0])]
        if not hits:
            return None
        # certain targets first, then admin-capable ones
        hits.sort(key=lambda h: (h[1] is not None and h[1].result != ALLOW, self.admin(h[0]) is None, h[0]))
        best = hits[0][1]
        decisions = other_decisions + ([best] if best is not None else [])
        named = [h[0] for h in hits[:MAX_TARGETS]]
        strong = [t for t in named if self.admin(t) is not None]
        detail = method.explanation
        if strong:
            detail += f" Target(s) with administrator access: {', '.join(strong)}."
        if method.runs_as:
            detail += f" (nhi does not list compute: the targets are the roles {service} runs with.)"
        return Result(
            principal.arn,
            principal.account,
            "escalation",
            method=method.id,
            family=method.family,
            target=", ".join(named) + (f" (+{len(hits) - len(named)} more)" if len(hits) > len(named) else ""),
            targets=len(hits),
            actions=",".join(method.actions),
            statements="; ".join(_labels(decisions)),
            confidence=_confidence(decisions),
            detail=detail,
        )

    @staticmethod
    def _gains_target(method: Method) -> bool:
        """Methods whose gain is the target's own permissions (not a policy written at will)."""
        return bool(
            method.pass_role
            or method.runs_as
            or method.target == "other_user"
            or method.id == "iam-update-assume-role-policy"
        )

    def adds_power(self, principal: Principal, target_arn: str) -> bool:
        """Does the target hold an Allow the principal does not effectively have already?
        Each Allow of the target is asked of the principal as written (patterns included):
        a principal holding ``*`` or a broader NotAction gains nothing from a narrower role."""
        key = (id(principal.identity), target_arn)
        if key in self._gain:
            return self._gain[key]
        target = self.estate.principals.get(target_arn)
        gain = False
        if target is not None:
            if self.admin(target_arn) is not None and self.admin(principal.arn) is None:
                gain = True
            else:
                for st in target.identity.statements:
                    if st.effect != "Allow":
                        continue
                    if st.not_action or st.not_resource:
                        gain = st not in principal.identity.statements
                    else:
                        gain = any(
                            not self.decide(principal, action, resource).permitted
                            for action in st.actions
                            for resource in st.resources
                        )
                    if gain:
                        break
        self._gain[key] = gain
        return gain

    # --- assume-role edges ----------------------------------------------------------------
    def _trusting_roles(self, principal: Principal) -> list[Role]:
        """Roles whose trust names the principal, its account, or anyone (indexed once)."""
        if self._trusting is None:
            self._trusting = {}
            for role in self.estate.roles.values():
                for trust in role.trusts:
                    kind = trust["principal_type"]
                    key = (
                        ("any",)
                        if kind == "any"
                        else (kind, trust.get("principal_account") if kind == "account" else trust["principal"])
                    )
                    bucket = self._trusting.setdefault(key, [])
                    if not bucket or bucket[-1] is not role:
                        bucket.append(role)
        found = {}
        for key in (("any",), ("account", principal.account), ("principal", principal.arn)):
            for role in self._trusting.get(key, []):
                found[role.arn] = role
        return [found[arn] for arn in sorted(found)]

    def applicable_methods(self, principal: Principal) -> list[Method]:
        """Methods whose every action has an Allow that may match it in the principal's
        policies; computed once per distinct policy set (holders of the same policies share it)."""
        key = id(principal.identity)
        found = self._applicable.get(key)
        if found is None:
            found = self._applicable[key] = [
                m
                for m in methods()
                if all(
                    any(st.effect == "Allow" and st.matches_action(a) for st in principal.identity.candidates(a))
                    for a in m.actions
                )
            ]
        return found

    def assume_edges(self, principal: Principal) -> list[Result]:
        edges = []
        if (
            not any(
                st.effect == "Allow" and st.matches_action("sts:AssumeRole")
                for st in principal.identity.candidates("sts:AssumeRole")
            )
            and principal.arn not in self._named_principals()
        ):
            return edges
        for role in self._trusting_roles(principal):
            if role.arn == principal.arn:
                continue
            trusted, named, trust_sure = False, False, True
            ctx = self.context(principal, "sts:AssumeRole")
            for trust in role.trusts:
                if not any(action_matches(a.strip(), "sts:AssumeRole") for a in trust["action"].split(",")):
                    continue
                kind, value = trust["principal_type"], trust["principal"]
                if (
                    kind == "any"
                    or (kind == "account" and trust.get("principal_account") == principal.account)
                    or (kind == "principal" and value == principal.arn)
                ):
                    holds = evaluate_condition(trust.get("conditions"), ctx, want=True)
                    if holds is False:
                        continue
                    trusted = True
                    named = named or kind == "principal"
                    trust_sure = trust_sure and holds is True
            if not trusted:
                continue
            decision = self.decide(principal, "sts:AssumeRole", role.arn)
            if not decision.permitted:
                # the trust naming a principal of the same account is enough without an Allow
                if not (named and role.account == principal.account and decision.result != "deny"):
                    continue
                confidence = "certain" if trust_sure else "conditional"
                statements = f"trust policy of {role.arn} names {principal.arn}"
            else:
                confidence = "certain" if trust_sure and decision.result == ALLOW else "conditional"
                statements = "; ".join(_labels([decision]))
            edges.append(
                Result(
                    principal.arn,
                    principal.account,
                    "assume",
                    target=role.arn,
                    targets=1,
                    actions="sts:AssumeRole",
                    statements=statements,
                    confidence=confidence,
                    detail=f"can assume {role.arn}",
                )
            )
        return edges

    def evaluate(self, arn: str) -> list[Result]:
        principal = self.estate.principals[arn]
        results = []
        admin = self.admin(arn)
        if admin is not None:
            results.append(admin)
        for method in self.applicable_methods(principal):
            found = self.escalation(principal, method)
            if found is not None:
                results.append(found)
        results += self.assume_edges(principal)
        return results


def _is_broad(st: Statement) -> bool:
    """An Allow of every action (what admin_grant is about), not merely an IAM write."""
    if st.effect != "Allow":
        return False
    if st.not_action:
        return True
    return any(a in ("*", "*:*") or a.lower() == "iam:*" for a in st.actions)
