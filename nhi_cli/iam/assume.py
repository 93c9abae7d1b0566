"""Assume-role edges: the roles a principal can assume, from the trusts nhi stores and the
principal's own ``sts:AssumeRole`` permission (escalation.py's Evaluator decides that).

Trust rows are indexed once by whom they let in (anyone, an account, one principal ARN), so a
principal only reads the trusts that can name it: linear in principals plus edges, where
reading every role's trust for every principal was quadratic once roles trust other accounts.
"""

from __future__ import annotations

from collections.abc import Callable

from .conditions import Context
from .conditions import evaluate as evaluate_condition
from .estate import Estate, Result, Role
from .evaluate import ALLOW, Decision, Principal
from .policy import action_matches

ASSUME = "sts:AssumeRole"


class AssumeIndex:
    def __init__(
        self,
        estate: Estate,
        decide: Callable[..., Decision],
        context: Callable[..., Context],
        *,
        exhaustive: bool = False,
    ):
        """``decide``/``context``: the Evaluator's (shared decisions and contexts);
        ``exhaustive``: read every role's trust for every principal (the plain definition)."""
        self.estate, self.decide, self.context, self.exhaustive = estate, decide, context, exhaustive
        self._trusting: dict[tuple[str | None, ...], list[Role]] | None = None
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

    def _index(self) -> dict[tuple[str | None, ...], list[Role]]:
        if self._trusting is None:
            self._trusting = {}
            for role in self.estate.roles.values():
                for trust in role.trusts:
                    kind = trust["principal_type"]
                    if kind == "any":
                        key: tuple[str | None, ...] = ("any",)
                    else:
                        key = (kind, trust.get("principal_account") if kind == "account" else trust["principal"])
                    bucket = self._trusting.setdefault(key, [])
                    if not bucket or bucket[-1] is not role:
                        bucket.append(role)
        return self._trusting

    def trusting_roles(self, principal: Principal) -> list[Role]:
        """Roles whose trust names the principal, its account, or anyone, by ARN."""
        roles = self.estate.roles
        if self.exhaustive:
            return [roles[arn] for arn in sorted(roles)]
        index = self._index()
        found = {}
        for key in (("any",), ("account", principal.account), ("principal", principal.arn)):
            for role in index.get(key, []):
                found[role.arn] = role
        return [found[arn] for arn in sorted(found)]

    def edges(self, principal: Principal) -> list[Result]:
        edges: list[Result] = []
        if (
            not any(st.effect == "Allow" and st.matches_action(ASSUME) for st in principal.identity.candidates(ASSUME))
            and principal.arn not in self._named_principals()
        ):
            return edges
        ctx = self.context(principal, ASSUME)
        for role in self.trusting_roles(principal):
            if role.arn == principal.arn:
                continue
            trusted, named, trust_sure = False, False, True
            for trust in role.trusts:
                if not any(action_matches(a.strip(), ASSUME) for a in trust["action"].split(",")):
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
            decision = self.decide(principal, ASSUME, role.arn)
            if not decision.permitted:
                # the trust naming a principal of the same account is enough without an Allow
                if not (named and role.account == principal.account and decision.result != "deny"):
                    continue
                confidence = "certain" if trust_sure else "conditional"
                statements = f"trust policy of {role.arn} names {principal.arn}"
            else:
                confidence = "certain" if trust_sure and decision.result == ALLOW else "conditional"
                statements = "; ".join(dict.fromkeys(st.label() for st in decision.allowed_by))
            edges.append(
                Result(
                    principal.arn,
                    principal.account,
                    "assume",
                    target=role.arn,
                    targets=1,
                    actions=ASSUME,
                    statements=statements,
                    confidence=confidence,
                    detail=f"can assume {role.arn}",
                )
            )
        return edges
