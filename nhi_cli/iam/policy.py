"""IAM statements and how they match a request: actions, resources and their negations.

A statement here is the unit nhi stores as a grant row (one action pattern, or one
``NotAction:`` list, times one resource pattern, or one ``NotResource:`` list, with the
statement's condition). A policy statement with several actions and resources is exactly the
union of these rows, for Allow and for Deny alike, so evaluating rows is evaluating the policy.

Matching follows IAM: action names are case-insensitive, resource ARNs case-sensitive, ``*``
and ``?`` are wildcards in both (``*`` may span ``:`` and ``/``). Policy variables
(``${aws:username}``) are resolved for the principal being evaluated; any other variable makes
the match undecidable (None), which the evaluator reports as conditional.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# The request's resource when the attacker creates it (a new Lambda function, instance, job):
# any name the Allow permits will do, and only a Deny on every resource stops it.
ANY_RESOURCE = "<any new resource>"
_VARIABLE = re.compile(r"\$\{([^}]*)\}")


@lru_cache(maxsize=65536)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(pattern), re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def action_matches(pattern: str, action: str) -> bool:
    if pattern == "*":
        return True
    if "*" not in pattern and "?" not in pattern:
        return pattern.lower() == action.lower()
    return _glob(pattern, True).match(action) is not None


def _resolve(pattern: str, variables: dict[str, str]) -> str | None:
    """The pattern with policy variables substituted; None when one is unknown."""
    if "${" not in pattern:
        return pattern
    unknown = False

    def sub(match: re.Match[str]) -> str:
        nonlocal unknown
        name = match.group(1)
        if name in ("*", "?", "$"):  # ${*} ${?} ${$}: the literal character
            return "[" + name + "]" if name != "$" else "$"
        value = variables.get(name.lower())
        if value is None:
            unknown = True
            return "*"
        return value

    resolved = _VARIABLE.sub(sub, pattern)
    return None if unknown else resolved


def resource_matches(pattern: str, resource: str, variables: dict[str, str]) -> bool | None:
    if pattern == "*":
        return True
    resolved = _resolve(pattern, variables)
    if resolved is None:
        return None
    if resource == ANY_RESOURCE:
        return True
    return _glob(resolved, False).match(resource) is not None


@dataclass(frozen=True)
class Statement:
    effect: str  # Allow | Deny
    actions: tuple[str, ...]  # patterns; with not_action: the excluded ones
    resources: tuple[str, ...]  # patterns; with not_resource: the excluded ones
    condition: Any = None  # the statement's Condition block (dict) or None
    not_action: bool = False
    not_resource: bool = False
    source: str = ""  # policy ARN or name it came from

    @property
    def services(self) -> frozenset[str]:
        """Service prefixes this statement can match ('*' when any)."""
        if self.not_action:
            return frozenset({"*"})
        services = set()
        for action in self.actions:
            service = action.split(":", 1)[0].lower() if ":" in action else "*"
            services.add("*" if "*" in service or "?" in service else service)
        return frozenset(services)

    def matches_action(self, action: str) -> bool:
        hit = any(action_matches(p, action) for p in self.actions)
        return not hit if self.not_action else hit

    def matches_resource(self, resource: str, variables: dict[str, str]) -> bool | None:
        """True, False, or None (undecidable: a policy variable nhi cannot resolve)."""
        if resource == ANY_RESOURCE:
            if self.effect == "Allow":
                return True  # the attacker names the new resource to fit the Allow
            # a Deny stops a new resource only when it covers every resource
            return not self.not_resource and "*" in self.resources
        results = [resource_matches(p, resource, variables) for p in self.resources]
        if any(r is None for r in results):
            return None
        hit = any(results)
        return not hit if self.not_resource else hit

    def label(self) -> str:
        """How a finding names the statement: policy, effect, action and resource."""
        actions = ("NotAction " if self.not_action else "") + ",".join(self.actions)
        resources = ("NotResource " if self.not_resource else "") + ",".join(self.resources)
        text = f"{self.source}: {self.effect} {actions} on {resources}"
        return text + (" (with conditions)" if self.condition else "")


def statement_from_grant(effect: str, action: str, resource: str, condition: Any, source: str) -> Statement | None:
    """A stored grant row as a Statement (None for the unresolved-policy marker ``?``)."""
    if action == "?":
        return None
    if isinstance(condition, str):
        condition = json.loads(condition) if condition else None
    not_action = action.startswith("NotAction:")
    actions = tuple(action[len("NotAction:") :].split(",")) if not_action else (action,)
    not_resource = resource.startswith("NotResource:")
    resources = tuple(resource[len("NotResource:") :].split(",")) if not_resource else (resource,)
    return Statement(effect, actions, resources, condition or None, not_action, not_resource, source)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def statements_from_document(document: dict[str, Any], source: str) -> list[Statement]:
    """Every statement of a policy document (permission boundaries, SCPs, tests)."""
    found = []
    for st in _as_list(document.get("Statement")):
        if not isinstance(st, dict) or st.get("Effect") not in ("Allow", "Deny"):
            continue
        not_action = "NotAction" in st
        not_resource = "NotResource" in st
        actions = tuple(str(a) for a in _as_list(st.get("NotAction" if not_action else "Action")))
        resources = tuple(str(r) for r in _as_list(st.get("NotResource" if not_resource else "Resource", "*")))
        found.append(
            Statement(st["Effect"], actions, resources, st.get("Condition") or None, not_action, not_resource, source)
        )
    return found


def index_by_service(statements: Iterable[Statement]) -> dict[str, list[Statement]]:
    """service prefix -> statements that may match it; '*' holds those matching any service."""
    index: dict[str, list[Statement]] = {}
    for st in statements:
        for service in st.services:
            index.setdefault(service, []).append(st)
    return index
