"""Static evaluation of IAM Condition blocks: True, False, or None (cannot be decided here).

What is decided, and how:

- keys nhi knows for the request (``Context.known``): the scan's clock (``aws:CurrentTime``,
  ``aws:EpochTime``), the principal (``aws:PrincipalArn``, ``aws:PrincipalAccount``,
  ``aws:username``, ``aws:PrincipalType``), ``aws:RequestedRegion`` for global services (IAM and
  Organizations requests are made in us-east-1), and what an escalation method fixes
  (``iam:PassedToService``);
- keys the attacker chooses (``Context.chosen``: ``aws:RequestedRegion`` for regional services,
  ``iam:PolicyARN`` when attaching a policy): an Allow holds if some candidate value satisfies
  it, a Deny stops the attacker only if every candidate triggers it;
- every other key (source IP, MFA, tags, VPC endpoints, ...) is undecidable: None, which the
  evaluator reports as "conditional" rather than allowed or denied.

Operators: String*, Arn*, Date*, Numeric*, Bool, Null, with ``IfExists`` and the
``ForAnyValue:``/``ForAllValues:`` set qualifiers. An unknown operator is undecidable.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# Regions an attacker can pick for a regional service (commercial partition); values named in
# a condition are tried as well, so a region missing here costs nothing.
REGIONS = (
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "af-south-1",
    "ap-east-1",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-south-1",
    "eu-south-2",
    "eu-north-1",
    "il-central-1",
    "me-south-1",
    "me-central-1",
    "mx-central-1",
    "sa-east-1",
)
# Keys whose every value the attacker may pick (a region); for the others (iam:PolicyARN) only
# the candidates given are worth picking: attaching ReadOnlyAccess escalates nothing.
OPEN_CHOICES = {"aws:requestedregion"}


@dataclass
class Context:
    known: dict[str, list[str]] = field(default_factory=dict)  # lower-case key -> values
    chosen: dict[str, list[str]] = field(default_factory=dict)  # lower-case key -> candidates

    def with_values(self, **known: Any) -> Context:
        merged = dict(self.known)
        merged.update({k.lower(): v if isinstance(v, list) else [v] for k, v in known.items()})
        return Context(merged, dict(self.chosen))


def _parse_date(value: Any) -> datetime | None:
    text = str(value).strip()
    try:
        if text.isdigit():
            return datetime.fromtimestamp(int(text), UTC)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _compare(base: str, actual: str, wanted: Any) -> bool | None:
    """One context value against one condition value, for the operator without Not."""
    if base in ("StringEquals", "ArnEquals"):
        return actual == str(wanted)
    if base == "StringEqualsIgnoreCase":
        return actual.lower() == str(wanted).lower()
    if base in ("StringLike", "ArnLike"):
        return fnmatch.fnmatchcase(actual, str(wanted))
    if base == "Bool":
        return actual.lower() == str(wanted).lower()
    if base.startswith("Date"):
        a, w = _parse_date(actual), _parse_date(wanted)
        if a is None or w is None:
            return None
        return {
            "DateEquals": a == w,
            "DateLessThan": a < w,
            "DateLessThanEquals": a <= w,
            "DateGreaterThan": a > w,
            "DateGreaterThanEquals": a >= w,
        }.get(base)
    if base.startswith("Numeric"):
        x, y = _number(actual), _number(wanted)
        if x is None or y is None:
            return None
        return {
            "NumericEquals": x == y,
            "NumericLessThan": x < y,
            "NumericLessThanEquals": x <= y,
            "NumericGreaterThan": x > y,
            "NumericGreaterThanEquals": x >= y,
        }.get(base)
    return None


NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "DateNotEquals": "DateEquals",
    "NumericNotEquals": "NumericEquals",
}
SUPPORTED = {
    "StringEquals",
    "StringEqualsIgnoreCase",
    "StringLike",
    "ArnEquals",
    "ArnLike",
    "Bool",
    "DateEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "NumericEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
}


def _one_key(operator: str, actual: list[str], wanted: list[Any]) -> bool | None:
    qualifier, _, op = operator.rpartition(":")
    op = op[: -len("IfExists")] if op.endswith("IfExists") else op
    negate = op in NEGATED
    base = NEGATED.get(op, op)
    if base not in SUPPORTED:
        return None

    def value_matches(value: str) -> bool | None:
        results = [_compare(base, value, w) for w in wanted]
        if any(r is True for r in results):
            hit: bool | None = True
        elif any(r is None for r in results):
            hit = None
        else:
            hit = False
        return hit if hit is None or not negate else not hit

    per_value = [value_matches(v) for v in actual]
    if qualifier == "ForAllValues":
        return False if False in per_value else (None if None in per_value else True)
    # single-valued keys and ForAnyValue: some value satisfies it
    return True if True in per_value else (None if None in per_value else False)


def _key_result(operator: str, key: str, wanted: list[Any], ctx: Context, want: bool) -> bool | None:
    name = key.lower()
    op = operator.rpartition(":")[2]
    if op == "Null":
        present = name in ctx.known or name in ctx.chosen
        if not present:
            return None
        return str(wanted[0]).lower() == "false"  # Null:false holds when the key is present
    if name in ctx.known:
        return _one_key(operator, ctx.known[name], wanted)
    if name in ctx.chosen:
        # the attacker picks the value: an Allow holds if some candidate satisfies it, a Deny
        # applies only if no candidate escapes it
        candidates = list(ctx.chosen[name])
        if name in OPEN_CHOICES:  # any value at all may be picked, including those named here
            candidates += [str(w) for w in wanted if "*" not in str(w)]
        results = [_one_key(operator, [c], wanted) for c in candidates]
        if want in results:
            return want
        return None if None in results else (not want)
    if op.endswith("IfExists") and name in ("aws:requestedregion",):
        return None
    return None


def evaluate(condition: dict[str, Any] | None, ctx: Context, *, want: bool = True) -> bool | None:
    """Does the Condition block hold? ``want`` is what the attacker hopes for (True for an
    Allow, False for a Deny): it only matters for keys the attacker chooses."""
    if not condition:
        return True
    result: bool | None = True
    for operator, keys in condition.items():
        if not isinstance(keys, dict):
            return None
        for key, wanted in keys.items():
            values = wanted if isinstance(wanted, list) else [wanted]
            outcome = _key_result(operator, key, values, ctx, want)
            if outcome is False:
                return False
            if outcome is None:
                result = None
    return result


def base_context(
    now: datetime,
    *,
    principal_arn: str,
    account: str,
    action: str,
    extra: dict[str, Any] | None = None,
    chosen: Mapping[str, Iterable[str]] | None = None,
) -> Context:
    """The keys nhi knows for a request by ``principal_arn`` at scan time ``now``."""
    service = action.split(":", 1)[0].lower()
    known: dict[str, list[str]] = {
        "aws:currenttime": [now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")],
        "aws:epochtime": [str(int(now.timestamp()))],
        "aws:principalarn": [principal_arn],
        "aws:principalaccount": [account],
    }
    if ":user/" in principal_arn:
        known["aws:username"] = [principal_arn.rsplit("/", 1)[1]]
        known["aws:principaltype"] = ["User"]
    elif ":role/" in principal_arn:
        known["aws:principaltype"] = ["AssumedRole"]
    choose: dict[str, list[str]] = {k.lower(): list(v) for k, v in (chosen or {}).items()}
    if service in ("iam", "organizations"):
        known["aws:requestedregion"] = ["us-east-1"]  # global services sign in us-east-1
    else:
        choose.setdefault("aws:requestedregion", list(REGIONS))
    for key, value in (extra or {}).items():
        known[key.lower()] = value if isinstance(value, list) else [value]
    return Context(known, choose)
