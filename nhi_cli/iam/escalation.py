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

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Any

import yaml

from .assume import AssumeIndex
from .conditions import Context, base_context
from .estate import Estate, Result, Role
from .evaluate import ALLOW, Decision, Principal
from .policy import ANY_RESOURCE, Statement

METHODS_FILE = Path(__file__).with_name("escalation_methods.yaml")
ADMIN_POLICY_ARNS = ("arn:aws:iam::aws:policy/AdministratorAccess",)
# Whoever may write any IAM user's or role's policies can grant itself anything.
ADMIN_PROBES = ("iam:AttachUserPolicy", "iam:PutUserPolicy", "iam:AttachRolePolicy", "iam:PutRolePolicy")
# what a memo depends on: ("arn", arn), ("set", policy-set ids, flagged), per-call extras
MemoKey = tuple[Hashable, ...]
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


def _labels(decisions: Iterable[Decision]) -> list[str]:
    seen: dict[str, None] = {}
    for decision in decisions:
        for st in decision.allowed_by:
            seen.setdefault(st.label(), None)
    return list(seen)


def _confidence(decisions: Iterable[Decision]) -> str:
    return "certain" if all(d.result == ALLOW for d in decisions) else "conditional"


class Evaluator:
    """Answers admin, escalation and assume for every principal of an Estate.

    Work is shared wherever the answer provably cannot differ: principals whose policy layers
    have no condition and no policy variable ("plain") decide by their policy sets alone, so
    holders of the same policies share decisions, administrator checks and "does the target add
    power" answers; and when every statement that may match an action applies to every resource
    (``*``), the action is decided once for all of a method's targets instead of once per target.
    ``exhaustive=True`` turns all of that off (and reads every role's trust for every principal):
    the plain definition, which the tests compare the shared path against.
    """

    def __init__(self, estate: Estate, now: datetime, *, exhaustive: bool = False):
        self.estate = estate
        self.now = now
        self.exhaustive = exhaustive
        self._admin: dict[str, Result | None] = {}
        self._admin_by_key: dict[MemoKey, tuple[str, str, str] | None] = {}
        self._gain: dict[MemoKey, bool] = {}
        self._applicable: dict[int, list[Method]] = {}
        self._keys: dict[str, MemoKey] = {}
        self._contexts: dict[MemoKey, Context] = {}
        self._decisions: dict[MemoKey, Decision] = {}
        self._uniform: dict[MemoKey, bool] = {}
        self._pools: dict[MemoKey, tuple[tuple[str, ...], frozenset[str]]] = {}
        self._roles_by_account: dict[str, list[Role]] | None = None
        self.assume = AssumeIndex(estate, self.decide, self.context, exhaustive=exhaustive)

    # --- shared work ------------------------------------------------------------------------
    def _key(self, principal: Principal) -> MemoKey:
        """What a principal's decisions depend on: its policy sets when plain, else itself."""
        key = self._keys.get(principal.arn)
        if key is None:
            if self.exhaustive or not principal.plain:
                key = ("arn", principal.arn)
            else:
                layers = (id(principal.identity), id(principal.boundary), tuple(id(s) for s in principal.scps))
                key = ("set", layers, principal.arn in self.estate.admin_flagged)
            self._keys[principal.arn] = key
        return key

    def context(self, principal: Principal, action: str, **extra: Any) -> Context:
        memo = (principal.arn, action, tuple(sorted(extra.items())))
        ctx = self._contexts.get(memo)
        if ctx is None:
            chosen: dict[str, Iterable[str]] = {"iam:policyarn": ADMIN_POLICY_ARNS}
            ctx = self._contexts[memo] = base_context(
                self.now,
                principal_arn=principal.arn,
                account=principal.account,
                action=action,
                extra=extra,
                chosen=chosen,
            )
        return ctx

    def decide(self, principal: Principal, action: str, resource: str, **extra: Any) -> Decision:
        key = self._key(principal)
        if key[0] == "arn":
            return principal.decide(action, resource, self.context(principal, action, **extra))
        # plain: no condition reads the context and no variable the principal's name
        memo = (key[1], action, resource)
        decision = self._decisions.get(memo)
        if decision is None:
            decision = self._decisions[memo] = principal.decide(action, resource, self.context(principal, action))
        return decision

    def _same_for_every_target(self, principal: Principal, action: str) -> bool:
        """Every statement (any layer) that may match the action names ``*`` among its
        resources: its resource match is then the same for every ARN, so is the decision."""
        if self.exhaustive:
            return False
        memo = (id(principal.identity), id(principal.boundary), tuple(id(s) for s in principal.scps), action)
        found = self._uniform.get(memo)
        if found is None:
            found = self._uniform[memo] = all(
                "*" in st.resources
                for layer in principal.layers
                for st in layer.candidates(action)
                if st.matches_action(action)
            )
        return found

    # --- admin ----------------------------------------------------------------------------
    def admin(self, arn: str) -> Result | None:
        if arn not in self._admin:
            self._admin[arn] = self._evaluate_admin(arn)
        return self._admin[arn]

    def _evaluate_admin(self, arn: str) -> Result | None:
        if arn not in self.estate.admin_flagged:
            return None
        principal = self.estate.principals[arn]
        key = self._key(principal)
        if key not in self._admin_by_key:
            self._admin_by_key[key] = self._admin_core(principal)
        core = self._admin_by_key[key]
        if core is None:
            return None
        actions, statements, confidence = core
        return Result(
            arn,
            principal.account,
            "admin",
            actions=actions,
            statements=statements,
            confidence=confidence,
            detail="administrator access: every action, including writing its own IAM policies",
        )

    def _admin_core(self, principal: Principal) -> tuple[str, str, str] | None:
        decisions = [self.decide(principal, a, ANY_RESOURCE) for a in ADMIN_PROBES]
        permitted = [d for d in decisions if d.permitted]
        if not permitted:
            return None
        broad = [st for d in permitted for st in d.allowed_by if _is_broad(st)]
        if not broad:
            return None
        return (
            ",".join(sorted({a for st in broad for a in st.actions})),
            "; ".join(dict.fromkeys(st.label() for st in broad)),
            "certain" if any(d.result == ALLOW for d in permitted) else "conditional",
        )

    # --- escalation -----------------------------------------------------------------------
    def _roles(self, account: str) -> list[Role]:
        if self._roles_by_account is None:
            self._roles_by_account = {}
            for role in self.estate.roles.values():
                self._roles_by_account.setdefault(role.account, []).append(role)
        return self._roles_by_account.get(account, [])

    def _pool(self, method: Method, account: str) -> tuple[tuple[str, ...], frozenset[str]]:
        """Every target of the method in the account, in the order a finding names them
        (administrators first, then by ARN); the caller leaves out the principal itself where
        the method needs another principal."""
        service = method.pass_role or method.runs_as
        memo = (account, method.target, service, method.instance_profile)
        found = self._pools.get(memo)
        if found is not None:
            return found
        if method.target in ("user", "other_user"):
            arns: Iterable[str] = self.estate.users.get(account, [])
        elif method.target == "role":
            arns = [r.arn for r in self._roles(account) if not r.platform]
        elif method.target == "group":
            arns = self.estate.groups.get(account, set())
        elif method.target == "customer_policy":
            arns = self.estate.customer_policies.get(account, set())
        else:
            arns = [
                r.arn
                for r in self._roles(account)
                if service in r.services and (r.instance_profile or not method.instance_profile)
            ]
        ordered = tuple(sorted(set(arns), key=lambda t: (self.admin(t) is None, t)))
        found = self._pools[memo] = (ordered, frozenset(ordered))
        return found

    def _targets(self, method: Method, principal: Principal) -> tuple[tuple[str, ...], str | None, int]:
        """(pool, the ARN to leave out of it or None, how many targets remain)."""
        if method.target == "self_boundary":
            # iam:*UserPermissionsBoundary acts on users, iam:*RolePermissionsBoundary on roles
            kind_matches = (":user/" in principal.arn) == ("User" in method.actions[0])
            if principal.boundary is None or not kind_matches:
                return (), None, 0
            return (principal.arn,), None, 1
        pool, members = self._pool(method, principal.account)
        exclude = principal.arn if method.target == "other_user" or not method.target else None
        if exclude is not None and exclude not in members:
            exclude = None
        return pool, exclude, len(pool) - (exclude is not None)

    def escalation(self, principal: Principal, method: Method) -> Result | None:
        pool, exclude, count = self._targets(method, principal)
        if not count:
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
        extra = {"iam:PassedToService": service} if on_target == "iam:PassRole" else {}
        gains = self._gains_target(method)
        if on_target is None or self._same_for_every_target(principal, on_target):
            best: Decision | None = None
            if on_target is not None:
                best = self.decide(principal, on_target, next(t for t in pool if t != exclude), **extra)
                if not best.permitted:
                    return None
            if gains:
                hits = self._gaining(principal, pool, exclude)
                total = len(hits)
                named = hits[:MAX_TARGETS]
            else:  # every target, already in finding order
                total = count
                named = list(islice((t for t in pool if t != exclude), MAX_TARGETS))
            if not total:
                return None
        else:
            found: list[tuple[str, Decision]] = []
            for target in pool:
                if target == exclude:
                    continue
                decision = self.decide(principal, on_target, target, **extra)
                if decision.permitted and (not gains or self.adds_power(principal, target)):
                    found.append((target, decision))
            if not found:
                return None
            # certain targets first, then admin-capable ones
            found.sort(key=lambda h: (h[1].result != ALLOW, self.admin(h[0]) is None, h[0]))
            best, total = found[0][1], len(found)
            named = [h[0] for h in found[:MAX_TARGETS]]
        decisions = other_decisions + ([best] if best is not None else [])
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
            target=", ".join(named) + (f" (+{total - len(named)} more)" if total > len(named) else ""),
            targets=total,
            actions=",".join(method.actions),
            statements="; ".join(_labels(decisions)),
            confidence=_confidence(decisions),
            detail=detail,
        )

    def _gaining(self, principal: Principal, pool: tuple[str, ...], exclude: str | None) -> list[str]:
        """The targets (in pool order) that add power; asked once per kind of target first,
        since targets holding the same plain policies all answer alike."""
        verdicts = {}
        for target in pool:
            if target == exclude:
                continue
            kind = self._target_key(target)
            if kind not in verdicts:
                verdicts[kind] = self.adds_power(principal, target)
        if not any(verdicts.values()):
            return []
        if all(verdicts.values()):
            return [t for t in pool if t != exclude]
        return [t for t in pool if t != exclude and verdicts[self._target_key(t)]]

    def _target_key(self, arn: str) -> MemoKey:
        target = self.estate.principals.get(arn)
        return self._key(target) if target is not None else ("none", arn)

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
        key = (self._key(principal), self._target_key(target_arn))
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
        results += self.assume.edges(principal)
        return results


def _is_broad(st: Statement) -> bool:
    """An Allow of every action (what admin_grant is about), not merely an IAM write."""
    if st.effect != "Allow":
        return False
    if st.not_action:
        return True
    return any(a in ("*", "*:*") or a.lower() == "iam:*" for a in st.actions)
