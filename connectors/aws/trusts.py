"""A role's trust policy -> one Trust row per principal per Allow statement (pure).

What rules need from a trust, read from the statement rather than guessed:
- ``principal_type``: any (``*``), account (``arn:aws:iam::123:root`` or a bare account id),
  principal (a user, role or assumed-role ARN), service (``bedrock.amazonaws.com``), oidc
  (``Federated`` web-identity provider), saml.
- ``requires_external_id``: a condition on ``sts:ExternalId`` (the confused-deputy guard).
- ``requires_source_identity``: a condition that demands ``sts:SourceIdentity`` be set, so every
  session records the human or workload it acts for. ``...IfExists`` operators and
  ``Null: true`` do not demand it.
- ``subject_condition`` / ``audience_condition``: the OIDC ``<issuer>:sub`` / ``<issuer>:aud``
  values (``token.actions.githubusercontent.com:sub`` for GitHub Actions). A GitHub OIDC
  trust without a ``sub`` condition lets any repository on GitHub assume the role.
"""

from __future__ import annotations

import re
from typing import Any

from nhi_cli.model import Trust

from .policies import _as_list, parse_document, statements

ACCOUNT_ARN = re.compile(r"^arn:aws[\w-]*:(?:iam|sts)::(\d{12}):")


def _principals(principal: Any) -> list[tuple[str, str]]:
    """(kind, value) pairs of a statement's Principal element."""
    if principal == "*":
        return [("AWS", "*")]
    if not isinstance(principal, dict):
        raise ValueError(f"unexpected Principal element: {principal!r}")
    return [(kind, str(value)) for kind, values in principal.items() for value in _as_list(values)]


def classify_principal(kind: str, value: str) -> tuple[str, str | None]:
    """(principal_type, principal_account) of one principal."""
    if value == "*":
        return "any", None
    if kind == "Service":
        return "service", None
    if kind == "Federated":
        match = ACCOUNT_ARN.match(value)
        account = match.group(1) if match else None
        if ":saml-provider/" in value:
            return "saml", account
        return "oidc", account
    if kind == "AWS":
        if re.fullmatch(r"\d{12}", value):
            return "account", value
        match = ACCOUNT_ARN.match(value)
        if match and value.endswith(":root"):
            return "account", match.group(1)
        return "principal", match.group(1) if match else None
    return "principal", None  # CanonicalUser


def _condition_keys(condition: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    """(operator, lower-case key, values) for every condition entry."""
    out = []
    for operator, entries in (condition or {}).items():
        if not isinstance(entries, dict):
            raise ValueError(f"condition operator {operator} is not a mapping")
        for key, values in entries.items():
            out.append((operator, key.lower(), [str(v) for v in _as_list(values)]))
    return out


def _requires(condition: dict[str, Any], key: str) -> bool:
    """Does the condition demand that ``key`` is present (not merely check it if present)?"""
    for operator, name, values in _condition_keys(condition):
        if name != key:
            continue
        if operator == "Null":
            if [v.lower() for v in values] == ["false"]:
                return True
            continue
        if operator.endswith("IfExists"):
            continue
        return True
    return False


def _oidc_values(condition: dict[str, Any], issuer: str, claim: str) -> str | None:
    wanted = f"{issuer.lower()}:{claim}"
    values = [v for _, name, vals in _condition_keys(condition) if name == wanted for v in vals]
    return ",".join(values) if values else None


def _issuer(provider_arn: str) -> str:
    """token.actions.githubusercontent.com from arn:aws:iam::1:oidc-provider/token.actions..."""
    return provider_arn.split(":oidc-provider/", 1)[1] if ":oidc-provider/" in provider_arn else provider_arn


def transform_trust_policy(document: Any, *, role_id: str, scope: str, provider: str = "aws") -> list[Trust]:
    trusts: list[Trust] = []
    for statement in statements(parse_document(document)):
        if statement.get("Effect") != "Allow":
            continue  # a Deny narrows who may assume; it does not add anyone
        if "Principal" not in statement:
            raise ValueError(f"trust statement of {role_id} has no Principal")
        actions = [str(a) for a in _as_list(statement.get("Action", "sts:AssumeRole"))]
        condition = statement.get("Condition") or {}
        for kind, value in _principals(statement["Principal"]):
            principal_type, account = classify_principal(kind, value)
            subject = audience = None
            if principal_type == "oidc":
                issuer = _issuer(value)
                subject = _oidc_values(condition, issuer, "sub")
                audience = _oidc_values(condition, issuer, "aud")
            trusts.append(
                Trust(
                    identity_id=role_id,
                    provider=provider,
                    scope=scope,
                    principal_type=principal_type,
                    principal=value,
                    action=",".join(actions),
                    conditions=condition or None,
                    principal_account=account,
                    requires_external_id=_requires(condition, "sts:externalid"),
                    requires_source_identity=_requires(condition, "sts:sourceidentity"),
                    subject_condition=subject,
                    audience_condition=audience,
                )
            )
    return trusts
