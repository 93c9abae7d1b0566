"""IAM policy documents -> normalised grants, with the flags rules read.

Pure functions only. One grant row per (statement, action, resource). Flags:

- ``is_full_wildcard``: Allow ``*`` on ``*`` (what AdministratorAccess grants).
- ``is_admin``: full wildcard, ``iam:*`` on ``*`` (whoever owns IAM can grant itself anything),
  or an Allow ``NotAction`` on ``*`` that does not exclude IAM.
- ``is_service_wildcard``: ``svc:*`` (every action of one service), or an Allow ``NotAction``.
- ``is_privesc``: the action (or a wildcard covering it) lets the holder raise its own
  privileges: ``iam:PassRole`` on ``*``, creating keys or login profiles for others, attaching
  or writing policies, new policy versions, rewriting a role's trust.
- ``is_sensitive``: the action touches a service that guards identity or secrets.

``NotAction`` becomes one row whose action is ``NotAction:a,b,c`` (everything except those);
``NotResource`` becomes a resource ``NotResource:x,y``, treated as broad as ``*``. Deny rows are
kept (effect Deny) but carry no risk flags: they take permissions away.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from nhi_cli.model import Grant

SENSITIVE_SERVICES = frozenset(
    {
        "iam",
        "sts",
        "kms",
        "secretsmanager",
        "organizations",
        "account",
        "sso",
        "sso-directory",
        "identitystore",
        "ssm",
        "cloudtrail",
        "access-analyzer",
    }
)

# Actions that let an identity give itself (or a principal it controls) more power.
PRIVESC_ACTIONS = (
    "iam:createaccesskey",
    "iam:createloginprofile",
    "iam:updateloginprofile",
    "iam:attachuserpolicy",
    "iam:attachrolepolicy",
    "iam:attachgrouppolicy",
    "iam:putuserpolicy",
    "iam:putrolepolicy",
    "iam:putgrouppolicy",
    "iam:createpolicyversion",
    "iam:setdefaultpolicyversion",
    "iam:updateassumerolepolicy",
    "iam:addusertogroup",
    "iam:putuserpermissionsboundary",
    "iam:putrolepermissionsboundary",
    "iam:deleteuserpermissionsboundary",
    "iam:deleterolepermissionsboundary",
)
PASS_ROLE = "iam:passrole"

WELL_KNOWN_FILE = Path(__file__).with_name("aws_managed_policies.json")


@lru_cache(maxsize=1)
def well_known_aws_policies() -> dict[str, dict[str, Any]]:
    """ARN -> {version, document} of the common AWS managed policies shipped with nhi."""
    data: dict[str, dict[str, Any]] = json.loads(WELL_KNOWN_FILE.read_text(encoding="utf-8"))
    data.pop("_about", None)
    return data


def is_aws_managed(arn: str) -> bool:
    return ":iam::aws:policy/" in arn


def parse_document(document: Any) -> dict[str, Any]:
    """A policy document as GAAD returns it: a dict (boto3 decodes it) or URL-encoded JSON."""
    if isinstance(document, dict):
        return document
    if isinstance(document, str):
        text = document if document.lstrip().startswith("{") else unquote(document)
        parsed = json.loads(text)
        if not isinstance(parsed, dict):
            raise ValueError(f"policy document is JSON {type(parsed).__name__}, not an object")
        return parsed
    raise ValueError(f"policy document is neither JSON text nor a mapping: {type(document).__name__}")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _covers(pattern: str, action: str) -> bool:
    """Does an IAM action pattern (case-insensitive, ``*`` and ``?``) cover ``action``?"""
    return fnmatch.fnmatchcase(action, pattern.lower())


def _service(action: str) -> str:
    return action.split(":", 1)[0].lower() if ":" in action else "*"


def _flags_for_action(action: str, broad_resource: bool) -> dict[str, bool]:
    pattern = action.lower()
    full = pattern in ("*", "*:*")
    service = _service(pattern)
    privesc = any(_covers(pattern, a) for a in PRIVESC_ACTIONS) or (broad_resource and _covers(pattern, PASS_ROLE))
    return {
        "is_full_wildcard": full and broad_resource,
        "is_admin": broad_resource and (full or pattern == "iam:*"),
        "is_service_wildcard": not full and pattern.endswith(":*"),
        "is_privesc": privesc,
        "is_sensitive": full or service == "*" or service in SENSITIVE_SERVICES,
    }


def _flags_for_not_action(excluded: list[str], broad_resource: bool) -> dict[str, bool]:
    """Allow everything except ``excluded``: judge by what the exclusion leaves in."""
    patterns = [e.lower() for e in excluded]

    def left_in(action: str) -> bool:
        return not any(_covers(p, action) for p in patterns)

    iam_left = left_in("iam:createaccesskey") or left_in("iam:attachrolepolicy")
    return {
        "is_full_wildcard": False,
        "is_admin": broad_resource and left_in("iam:putrolepolicy") and left_in("iam:attachuserpolicy"),
        "is_service_wildcard": True,
        "is_privesc": any(left_in(a) for a in PRIVESC_ACTIONS) or (broad_resource and left_in(PASS_ROLE)),
        "is_sensitive": iam_left or any(left_in(f"{s}:x") for s in SENSITIVE_SERVICES),
    }


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    if "Statement" not in document:
        raise ValueError("policy document has no Statement")
    return [s for s in _as_list(document["Statement"]) if isinstance(s, dict)]


def transform_policy(
    document: Any, *, identity_id: str, scope: str, source: str, source_type: str, provider: str = "aws"
) -> list[Grant]:
    """Every grant one policy document gives one identity."""
    grants: list[Grant] = []
    for statement in statements(parse_document(document)):
        effect = statement.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise ValueError(f"statement in {source} has no valid Effect: {effect!r}")
        condition = statement.get("Condition") or None
        if "NotResource" in statement:
            resources = ["NotResource:" + ",".join(str(r) for r in _as_list(statement["NotResource"]))]
        else:
            resources = [str(r) for r in _as_list(statement.get("Resource", "*"))] or ["*"]
        if "NotAction" in statement:
            not_actions = [str(a) for a in _as_list(statement["NotAction"])]
            actions: list[tuple[str, list[str] | None]] = [("NotAction:" + ",".join(not_actions), not_actions)]
        elif "Action" in statement:
            actions = [(str(a), None) for a in _as_list(statement["Action"])]
        else:
            raise ValueError(f"statement in {source} has neither Action nor NotAction")
        for resource in resources:
            broad = resource == "*" or resource.startswith("NotResource:")
            for action, excluded in actions:
                if effect == "Deny":
                    flags: dict[str, bool] = {}
                elif excluded is not None:
                    flags = _flags_for_not_action(excluded, broad)
                else:
                    flags = _flags_for_action(action, broad)
                grants.append(
                    Grant(
                        identity_id=identity_id,
                        provider=provider,
                        scope=scope,
                        action=action,
                        source=source,
                        source_type=source_type,
                        effect=effect,
                        resource=resource,
                        condition=condition,
                        service="*" if excluded is not None else _service(action),
                        **flags,
                    )
                )
    return grants


def unresolved_policy_grant(*, identity_id: str, scope: str, source: str, source_type: str) -> Grant:
    """An attached AWS managed policy whose document nhi did not fetch (aws_managed_policies:
    known): one row with action ``?`` so the attachment is still visible."""
    return Grant(
        identity_id=identity_id,
        provider="aws",
        scope=scope,
        action="?",
        source=source,
        source_type=source_type,
        service="?",
    )


def attached_arns(details: dict[str, list[dict[str, Any]]]) -> set[str]:
    """Every managed policy ARN attached to a user, role or group in a GAAD result, or set as a
    user's or role's permissions boundary."""
    arns: set[str] = set()
    for key in ("UserDetailList", "RoleDetailList", "GroupDetailList"):
        entities = details.get(key)
        for entity in entities if isinstance(entities, list) else []:
            # any other shape than GAAD's is the transform's gap to report, not a crash here
            attached = entity.get("AttachedManagedPolicies") if isinstance(entity, dict) else None
            for policy in attached if isinstance(attached, list) else []:
                if isinstance(policy, dict) and isinstance(policy.get("PolicyArn"), str):
                    arns.add(policy["PolicyArn"])
            boundary = entity.get("PermissionsBoundary") if isinstance(entity, dict) else None
            if isinstance(boundary, dict) and isinstance(boundary.get("PermissionsBoundaryArn"), str):
                arns.add(boundary["PermissionsBoundaryArn"])
    return arns


def missing_aws_documents(arns: Iterable[str]) -> set[str]:
    known = well_known_aws_policies()
    return {a for a in arns if is_aws_managed(a) and a not in known}
