"""The effective permission of one principal for one action on one resource.

Follows the IAM evaluation logic for identity-based policies within an account:

1. an explicit Deny that applies (any policy: same or other, inline, managed, group) wins;
2. otherwise some Allow must apply, in the identity policies, *and* in the permissions
   boundary when the principal has one, *and* at every SCP level above the account when nhi
   read them (``--aws-org``), where a Deny also wins;
3. otherwise the request is implicitly denied.

Where a condition or a policy variable cannot be decided statically (see conditions.py), an
Allow that depends on it, or a Deny that might stop it, makes the answer ``conditional``: a
finding built on it says so, rather than calling it allowed or denied. Resource-based policies
other than role trust policies, session policies and VPC endpoint policies are not read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .conditions import Context
from .conditions import evaluate as evaluate_condition
from .policy import Statement, index_by_service

ALLOW, CONDITIONAL, IMPLICIT, DENY = "allow", "conditional", "implicit", "deny"
_RANK = {DENY: 0, IMPLICIT: 1, CONDITIONAL: 2, ALLOW: 3}


@dataclass
class Decision:
    result: str
    allowed_by: list[Statement] = field(default_factory=list)  # Allows that apply (or may)
    denied_by: list[Statement] = field(default_factory=list)  # Denies that apply (or may)

    @property
    def permitted(self) -> bool:
        """Allowed or conditional: worth a finding (with lower confidence when conditional)."""
        return self.result in (ALLOW, CONDITIONAL)


class PolicySet:
    """Statements indexed by service prefix, so a request only looks at those that can match."""

    def __init__(self, statements: Sequence[Statement]):
        self.statements = list(statements)
        self._index = index_by_service(self.statements)
        # No condition and no policy variable: a decision then depends only on the action and
        # the resource, never on who asks, so principals holding the same sets can share it.
        self.plain = not any(st.condition or any("${" in r for r in st.resources) for st in self.statements)

    def candidates(self, action: str) -> list[Statement]:
        service = action.split(":", 1)[0].lower()
        return self._index.get(service, []) + self._index.get("*", [])

    def __bool__(self) -> bool:
        return bool(self.statements)


def decide(policies: PolicySet, action: str, resource: str, ctx: Context) -> Decision:
    """One policy layer (identity policies, a boundary, one SCP level) for one request."""
    variables = {k: v[0] for k, v in ctx.known.items() if v}
    allow_sure: list[Statement] = []
    allow_maybe: list[Statement] = []
    deny_sure: list[Statement] = []
    deny_maybe: list[Statement] = []
    for st in policies.candidates(action):
        if not st.matches_action(action):
            continue
        on_resource = st.matches_resource(resource, variables)
        if on_resource is False:
            continue
        if st.effect == "Deny":
            holds = evaluate_condition(st.condition, ctx, want=False)
            if holds is True and on_resource is True:
                deny_sure.append(st)
            elif holds is not False:
                deny_maybe.append(st)
        else:
            holds = evaluate_condition(st.condition, ctx, want=True)
            if holds is True and on_resource is True:
                allow_sure.append(st)
            elif holds is not False:
                allow_maybe.append(st)
    if deny_sure:
        return Decision(DENY, [], deny_sure)
    if not allow_sure and not allow_maybe:
        return Decision(IMPLICIT, [], deny_maybe)
    if allow_sure and not deny_maybe:
        return Decision(ALLOW, allow_sure)
    return Decision(CONDITIONAL, allow_sure + allow_maybe, deny_maybe)


@dataclass
class Principal:
    """Everything that decides what one principal may do."""

    arn: str
    account: str
    identity: PolicySet
    boundary: PolicySet | None = None  # None: no permissions boundary
    scps: list[PolicySet] = field(default_factory=list)  # one per level, root to account

    @property
    def layers(self) -> list[PolicySet]:
        """Identity policies, then the caps: boundary and SCP levels."""
        return [self.identity] + ([self.boundary] if self.boundary is not None else []) + list(self.scps)

    @property
    def plain(self) -> bool:
        return all(layer.plain for layer in self.layers)

    def decide(self, action: str, resource: str, ctx: Context) -> Decision:
        decision = decide(self.identity, action, resource, ctx)
        if decision.result in (DENY, IMPLICIT):
            return decision
        caps = ([self.boundary] if self.boundary is not None else []) + list(self.scps)
        for cap in caps:
            capped = decide(cap, action, resource, ctx)
            if capped.result == DENY or capped.result == IMPLICIT:
                return Decision(capped.result, [], capped.denied_by)
            if _RANK[capped.result] < _RANK[decision.result]:
                decision = Decision(capped.result, decision.allowed_by, decision.denied_by + capped.denied_by)
        return decision
