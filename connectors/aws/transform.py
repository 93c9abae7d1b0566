"""GAAD + credential report (+ key ids) -> normalised records for one account. Pure.

Fails loudly (KeyError/ValueError) when a field the model needs is missing, rather than
writing a half-empty inventory. Each access key is its own credential, judged on its own:
the report's ``access_key_1``/``access_key_2`` slots are turned into rows here and never
reach the store as columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, overload

from nhi_cli.kit.payloads import each, require, required_text, text
from nhi_cli.kit.secrets import secret_hash
from nhi_cli.model import MALFORMED, Batch, Credential, Identity, PolicyAttachment

from .documents import Documents
from .trusts import transform_trust_policy

DEFAULT_OWNER_TAGS = ["owner", "Owner", "nhi:owner", "nhi-owner"]
SERVICE_LINKED_PATH = "/aws-service-role/"

# Tag values are free text that people paste anything into, including keys. A value that
# holds something shaped like a secret is replaced before it can reach the store.
SECRET_PREFIXES = ("sk-", "ghp_", "gho_", "ghs_", "github_pat_", "xoxb-", "xoxp-", "AIza", "ASIA", "AKIA")
TOKEN = re.compile(r"[A-Za-z0-9/+_\-=.]{20,}")


def looks_like_secret(value: str) -> bool:
    for token in TOKEN.findall(value):
        if token.startswith(("arn:", "http")) or "@" in token:
            continue
        if token.startswith(SECRET_PREFIXES):
            return True
        classes = sum(bool(re.search(p, token)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]"))
        if classes == 3 and len(token) >= 30:
            return True
    return False


def clean_tags(raw: list[dict[str, str]] | None, salt: str) -> dict[str, str]:
    tags = {}
    for tag in raw or []:
        value = tag["Value"]
        if looks_like_secret(value):
            value = f"[redacted: looks like a secret, hmac {secret_hash(value, salt)[:12]}]"
        tags[tag["Key"]] = value
    return tags


def owner_from_tags(tags: dict[str, str], owner_tags: list[str]) -> tuple[str | None, str | None]:
    for name in owner_tags:
        value = (tags.get(name) or "").strip()
        if value and not value.startswith("[redacted"):
            return value, f"tag:{name}"
    return None, None


@overload
def _aware(value: datetime) -> datetime: ...
@overload
def _aware(value: None) -> None: ...
def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _latest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _attachments(
    entity: dict[str, Any],
    inline_key: str,
    *,
    identity_id: str,
    docs: Documents,
    documents: dict[str, Any],
    source_type_prefix: str = "",
) -> list[PolicyAttachment]:
    """The policy documents ``entity`` holds (its inline and managed policies; a group's for
    each member when ``source_type_prefix`` names the group), each expanded once per account."""
    attachments: list[PolicyAttachment] = []
    group = source_type_prefix
    for inline in entity.get(inline_key, []):
        source = f"{group}inline:{inline['PolicyName']}"
        source_type = "group" if group else "inline"
        attachments.append(
            docs.attach(inline["PolicyDocument"], identity_id=identity_id, source=source, source_type=source_type)
        )
    for attached in entity.get("AttachedManagedPolicies", []):
        arn = attached["PolicyArn"]
        source = f"{group}{arn}"
        source_type = "group" if group else "managed"
        if arn in documents:
            attachments.append(
                docs.attach(documents[arn], identity_id=identity_id, source=source, source_type=source_type)
            )
        else:  # an AWS managed policy not fetched, or a customer one deleted while GAAD paged
            # (collect records that gap): the attachment stays visible with action "?"
            attachments.append(docs.unresolved(identity_id=identity_id, source=source, source_type=source_type))
    return attachments


def _boundary(
    entity: dict[str, Any], *, identity_id: str, docs: Documents, documents: dict[str, Any]
) -> list[PolicyAttachment]:
    """The permissions boundary, ``source_type = 'boundary'``: the IAM evaluator caps the
    identity policies with its statements; ``v_grants`` and the rules leave them out. A boundary
    whose document nhi did not resolve is not attached (nothing is capped: findings can only
    over-report)."""
    arn = (entity.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    if not arn or arn not in documents:
        return []
    return [docs.attach(documents[arn], identity_id=identity_id, source=arn, source_type="boundary")]


def _match_slots(slots: list[dict[str, Any]], listed: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
    """For each listed key (in ListAccessKeys order), its credential-report slot or None.

    A slot is matched by creation second and status. Two keys created in the same second
    with the same status are told apart by order: ListAccessKeys lists a user's keys in slot
    order, as the report numbers them, so the n-th such key is the n-th such slot. Never by
    key id, which says nothing about the slot."""
    unmatched = list(slots)  # slot 1 before slot 2
    matched: list[dict[str, Any] | None] = []
    for key in listed:
        second = _aware(key["CreateDate"]).replace(microsecond=0)
        active = key["Status"] == "Active"
        same = [s for s in unmatched if s["created"] == second]
        slot = next((s for s in same if s["active"] == active), same[0] if same else None)
        if slot is not None:
            unmatched.remove(slot)
        matched.append(slot)
    return matched


KEY_STATUSES = {"Active", "Inactive", "Expired"}  # ListAccessKeys' statusType


def _readable_keys(user_name: str, listed: list[Any], problems: Batch | None) -> list[dict[str, Any]]:
    """The ListAccessKeys entries nhi can read; any other is a gap in ``problems`` (raised
    without it), so one odd key never costs its user or the user's other keys."""
    readable = []
    for key in listed:
        try:
            require(key, "AccessKeyId", "Status", "CreateDate", what=f"access key of {user_name}")
            text(key["AccessKeyId"], "AccessKeyId")
            if key["Status"] not in KEY_STATUSES or not isinstance(key["CreateDate"], datetime):
                raise ValueError(f"access key of {user_name} has a Status or CreateDate ListAccessKeys never sends")
            readable.append(key)
        except (ValueError, TypeError) as exc:
            if problems is None:
                raise
            problems.gap(f"access key of IAM user {user_name}", MALFORMED, str(exc)[:300])
    return readable


def transform_keys(
    user_arn: str,
    user_name: str,
    scope: str,
    slots: list[dict[str, Any]],
    listed: list[dict[str, Any]] | None,
    problems: Batch | None = None,
) -> list[Credential]:
    """One credential per access key. With ``listed`` (ListAccessKeys) the id is the key id and
    report slots are matched to keys by ``_match_slots``; without, the id is derived from the
    user and the key's creation time (stable for the key's life), the slot telling apart two
    keys created in the same second."""
    rows: list[tuple[str | None, str, datetime, dict[str, Any] | None]] = []  # (key id, status, created, slot)
    if listed is not None:
        listed = _readable_keys(user_name, listed, problems)
    if listed is None:
        rows = [(None, "active" if s["active"] else "inactive", s["created"], s) for s in slots]
    else:
        for key, slot in zip(listed, _match_slots(slots, listed), strict=True):
            rows.append(
                (
                    key["AccessKeyId"],
                    "active" if key["Status"] == "Active" else "inactive",
                    _aware(key["CreateDate"]),
                    slot,
                )
            )
    credentials = []
    seen: set[str] = set()
    for key_id, status, created, slot in rows:
        cid = key_id or f"{user_arn}/access-key/{created.strftime('%Y%m%dT%H%M%SZ')}"
        if cid in seen:  # two keys created in the same second: tell them apart by slot
            assert slot is not None  # listed keys have distinct ids; only report slots repeat
            cid = f"{cid}-{slot['slot']}"
        seen.add(cid)
        attrs: dict[str, Any] = {
            "user_name": user_name,
            "in_credential_report": slot is not None,
            "last_rotated": created.strftime("%Y-%m-%dT%H:%M:%SZ") if created else None,
        }
        if slot:
            attrs.update(
                slot=slot["slot"],
                last_used_service=slot["last_used_service"],
                last_used_region=slot["last_used_region"],
            )
        credentials.append(
            Credential(
                id=cid,
                identity_id=user_arn,
                provider="aws",
                scope=scope,
                kind="access_key",
                status=status,
                name=key_id or f"{user_name} key {slot['slot'] if slot else '?'}",
                created_at=created,
                last_used_at=slot["last_used"] if slot else None,
                key_id=key_id,
                supports_expiry=False,
                attrs=attrs,
            )
        )
    return credentials


def transform_account(
    account_id: str,
    details: dict[str, list[dict[str, Any]]],
    report: dict[str, dict[str, Any]],
    *,
    aws_documents: dict[str, Any],
    keys_by_user: dict[str, list[dict[str, Any]]] | None,
    owner_tags: list[str] | None = None,
    salt: str = "",
) -> Batch:
    """One account's records. A user, role, group or customer policy that cannot be read (a
    field missing, null or of the wrong type) is a gap naming it (see ``each``); the others
    are transformed as usual."""
    owner_tags = owner_tags or DEFAULT_OWNER_TAGS
    batch = Batch()
    documents = dict(aws_documents)
    batch.extend(each(details.get("Policies"), lambda p: _customer_policy(p, documents), "IAM customer policy", "Arn"))
    groups: dict[str, dict[str, Any]] = {}
    batch.extend(each(details.get("GroupDetailList"), lambda g: _group(g, groups), "IAM group", "GroupName"))
    context = _Account(account_id, documents, groups, Documents(account_id), owner_tags, salt)
    batch.extend(
        each(
            details.get("UserDetailList"),
            lambda user: _user(context, user, report, keys_by_user),
            "IAM user",
            "Arn",
            "UserName",
        )
    )
    batch.extend(each(details.get("RoleDetailList"), lambda role: _role(context, role), "IAM role", "Arn", "RoleName"))
    # each document the surviving attachments name, once (a user or role that failed part-way
    # was dropped with its attachments)
    batch.policy_grants += context.docs.rows(batch.attachments)
    return batch


@dataclass
class _Account:
    """What every user and role of one account is transformed with."""

    id: str
    documents: dict[str, Any]  # policy ARN -> default-version document
    groups: dict[str, dict[str, Any]]  # group name -> GAAD group
    docs: Documents  # policy documents, expanded and stored once per account
    owner_tags: list[str]
    salt: str


def _customer_policy(policy: dict[str, Any], documents: dict[str, Any]) -> Batch:
    require(policy, "Arn", what="IAM customer policy")
    for version in policy.get("PolicyVersionList") or []:
        if version.get("IsDefaultVersion"):
            documents[required_text(policy["Arn"], "Arn")] = version["Document"]
    return Batch()


def _group(group: dict[str, Any], groups: dict[str, dict[str, Any]]) -> Batch:
    require(group, "GroupName", what="IAM group")
    groups[required_text(group["GroupName"], "GroupName")] = group
    return Batch()


def _user(
    account: _Account,
    user: dict[str, Any],
    report: dict[str, dict[str, Any]],
    keys_by_user: dict[str, list[dict[str, Any]]] | None,
) -> Batch:
    require(user, "Arn", "UserName", "Path", "UserId", "CreateDate", what="IAM user")
    arn, name = required_text(user["Arn"], "Arn"), required_text(user["UserName"], "UserName")
    row = report.get(arn)
    slots = row["keys"] if row else []
    listed = None if keys_by_user is None else keys_by_user.get(name, [])
    batch = Batch()
    credentials = transform_keys(arn, name, account.id, slots, listed, batch)
    tags = clean_tags(user.get("Tags"), account.salt)
    owner, owner_source = owner_from_tags(tags, account.owner_tags)
    password = bool(row and row["password_enabled"])
    active_keys = sum(1 for c in credentials if c.status == "active")
    batch.identities.append(
        Identity(
            id=arn,
            provider="aws",
            scope=account.id,
            kind="iam_user",
            name=name,
            created_at=_aware(user["CreateDate"]),
            last_used_at=_latest(row["password_last_used"] if row else None, *(c.last_used_at for c in credentials)),
            # IAM has no switch that disables a user: one with no password and no active key is
            # dormant (one iam:CreateAccessKey away from use), not disabled, and keeps its
            # permission findings.
            enabled=True,
            owner=owner,
            owner_source=owner_source,
            tags=tags,
            attrs={
                "path": text(user["Path"], "Path"),
                "user_id": text(user["UserId"], "UserId"),
                "password_enabled": password,
                "dormant": not password and active_keys == 0,
                "mfa_active": bool(row and row["mfa_active"]),
                "groups": [text(g, "GroupList") for g in user.get("GroupList") or []],
                "in_credential_report": row is not None,
                "active_access_keys": active_keys,
                "permissions_boundary": (user.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
            },
        )
    )
    batch.credentials += credentials
    batch.attachments += _attachments(
        user, "UserPolicyList", identity_id=arn, docs=account.docs, documents=account.documents
    )
    batch.attachments += _boundary(user, identity_id=arn, docs=account.docs, documents=account.documents)
    for group_name in user.get("GroupList") or []:
        group = account.groups.get(group_name)
        if group is None:  # deleted while GAAD was paging (collect records the gap) or unreadable
            continue
        batch.attachments += _attachments(
            group,
            "GroupPolicyList",
            identity_id=arn,
            docs=account.docs,
            documents=account.documents,
            source_type_prefix=f"group:{group_name}/",
        )
    return batch


def _role(account: _Account, role: dict[str, Any]) -> Batch:
    require(role, "Arn", "RoleName", "Path", "RoleId", "CreateDate", what="IAM role")
    arn, name = required_text(role["Arn"], "Arn"), required_text(role["RoleName"], "RoleName")
    path = text(role["Path"], "Path") or "/"
    tags = clean_tags(role.get("Tags"), account.salt)
    owner, owner_source = owner_from_tags(tags, account.owner_tags)
    last_used = role.get("RoleLastUsed") or {}
    batch = Batch()
    batch.identities.append(
        Identity(
            id=arn,
            provider="aws",
            scope=account.id,
            kind="iam_role",
            name=name,
            created_at=_aware(role["CreateDate"]),
            last_used_at=_aware(last_used.get("LastUsedDate")),
            owner=owner,
            owner_source=owner_source,
            tags=tags,
            is_platform=path.startswith(SERVICE_LINKED_PATH),
            attrs={
                "path": path,
                "role_id": text(role["RoleId"], "RoleId"),
                "last_used_region": text(last_used.get("Region"), "RoleLastUsed.Region"),
                "instance_profiles": [p["InstanceProfileName"] for p in role.get("InstanceProfileList") or []],
                "permissions_boundary": (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
            },
        )
    )
    batch.attachments += _attachments(
        role, "RolePolicyList", identity_id=arn, docs=account.docs, documents=account.documents
    )
    batch.attachments += _boundary(role, identity_id=arn, docs=account.docs, documents=account.documents)
    batch.trusts += transform_trust_policy(role["AssumeRolePolicyDocument"], role_id=arn, scope=account.id)
    return batch
