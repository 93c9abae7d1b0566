"""Revoking AWS identities and access keys (AwsConnector delegates its revoke interface here).

Reversible steps come first; irreversible ones only where the issue demands them (the console
password) or the operator asked (``--delete``):

- access key: ``deactivate_key`` (Inactive), with --delete also ``delete_key``;
- IAM user: ``deactivate_user_keys`` (every key the user has NOW, not only those the last scan
  saw: a rogue agent may have minted one since), ``deny_all_policy`` (inline deny of every
  action), ``delete_login_profile`` (irreversible), with --delete ``delete_user_keys``;
- IAM role: ``revoke_sessions``: the inline policy the AWS console writes for "Revoke active
  sessions" (``AWSRevokeOlderSessions``: deny everything when ``aws:TokenIssueTime`` is before
  the moment the step runs), with --block-assume also ``block_assume``: the trust policy is
  replaced by a deny-all trust and the old one kept for restore.

Every step reads the state back before reporting ``done``; a step with nothing to change is
``already_done``; a provider error is ``failed`` with its code and message. Identities in
member accounts are reached through the same Organization role a scan assumes.

plan_revoke makes no API call: it works from the inventory row alone.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol, TypeAlias

from nhi_cli.kit.connector import CollectContext, RevokeStep, StepOutcome

from . import revoke_ai
from .clients import BotoClient, CountingSession, assume_account_role, boto_config, client, make_session
from .revoke_ai import AGENT_KINDS

DENY_ALL_POLICY = "nhi-revoke-deny-all"
SESSIONS_POLICY = "AWSRevokeOlderSessions"  # the name the AWS console uses for the same policy
DENY_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "NhiRevokeDenyAll", "Effect": "Deny", "Action": "*", "Resource": "*"}],
}
DENY_ALL_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "NhiRevokeBlockAssume",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": ["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML", "sts:TagSession"],
        }
    ],
}

REVOKE_KINDS: dict[str, list[str]] = {
    "access_key": ["deactivate_key", "delete_key"],
    "iam_user": ["deactivate_user_keys", "deny_all_policy", "delete_login_profile", "delete_user_keys"],
    "iam_role": ["revoke_sessions", "block_assume"],
    "bedrock_api_key": ["deactivate_service_credential"],
    # agents act through their execution role: the role's steps (revoke_ai.py)
    **{kind: ["revoke_sessions", "block_assume"] for kind in AGENT_KINDS},
}
_lock = threading.Lock()

# an action run on a step: (IAM client, the step's params) -> outcome; a restore also gets the
# restore data its execution recorded
Execute: TypeAlias = Callable[[BotoClient, dict[str, Any]], StepOutcome]
Restore: TypeAlias = Callable[[BotoClient, dict[str, Any], dict[str, Any]], StepOutcome]
# an IAM policy document as GetUserPolicy / GetRolePolicy return it (botocore decodes the JSON)
# or as JSON text
Document: TypeAlias = Mapping[str, Any] | str


class _MakeStep(Protocol):
    """plan_revoke's ``step``: one RevokeStep for the target being planned."""

    def __call__(self, action: str, description: str, reversible: bool, **params: Any) -> RevokeStep: ...


# --- plan --------------------------------------------------------------------------------------
def _user_name(target: dict[str, Any]) -> str | None:
    identity = target.get("identity") or {}
    attrs = target.get("attrs") or {}
    name: str | None = identity.get("name") or attrs.get("user_name") or attrs.get("user") or attrs.get("UserName")
    return name


def plan_revoke(ctx: CollectContext, target: dict[str, Any], options: dict[str, Any]) -> list[RevokeStep]:
    kind, scope = target["kind"], target["scope"]

    def step(action: str, description: str, reversible: bool, **params: Any) -> RevokeStep:
        return RevokeStep(
            provider="aws",
            scope=scope,
            target_type=target["type"],
            target_id=target["id"],
            action=action,
            description=description,
            reversible=reversible,
            params=params,
        )

    if kind == "access_key":
        key_id = target.get("key_id") or target["id"]
        user = _user_name(target)
        if not key_id.startswith(("AKIA", "ASIA")):
            return _plan_key_by_slot(target, user, options, step)
        steps = [
            step(
                "deactivate_key",
                f"set access key {key_id} of user {user} to Inactive",
                True,
                user_name=user,
                access_key_id=key_id,
            )
        ]
        if options.get("delete"):
            steps.append(
                step(
                    "delete_key",
                    f"delete access key {key_id} of user {user} (cannot be undone)",
                    False,
                    user_name=user,
                    access_key_id=key_id,
                )
            )
        return steps
    if kind == "iam_user":
        user = target["name"]
        known = [c.get("key_id") or c["id"] for c in target.get("credentials", []) if c.get("kind") == "access_key"]
        steps = [
            step(
                "deactivate_user_keys",
                f"set every access key of user {user} to Inactive (known: "
                f"{', '.join(known) or 'none'}; keys created since the last scan included)",
                True,
                user_name=user,
                known_keys=known,
            ),
            step(
                "deny_all_policy",
                f"attach inline policy {DENY_ALL_POLICY} denying every action to user {user}",
                True,
                user_name=user,
                policy_name=DENY_ALL_POLICY,
            ),
            step(
                "delete_login_profile",
                f"delete the console password of user {user} (cannot be undone)",
                False,
                user_name=user,
            ),
        ]
        if options.get("delete"):
            steps.append(
                step(
                    "delete_user_keys",
                    f"delete every access key of user {user} (cannot be undone)",
                    False,
                    user_name=user,
                )
            )
        return steps
    if kind == "bedrock_api_key":
        user, credential_id = _user_name(target), target.get("key_id") or target["id"]
        return [
            step(
                "deactivate_service_credential",
                f"set Bedrock API key {credential_id} of user {user} to Inactive",
                True,
                user_name=user,
                credential_id=credential_id,
            )
        ]
    if kind in ("iam_role", *AGENT_KINDS):
        role = target["name"] if kind == "iam_role" else revoke_ai.execution_role_name(target)
        steps = [
            step(
                "revoke_sessions",
                f"deny every session of role {role} issued before this step runs "
                f"(inline policy {SESSIONS_POLICY} on aws:TokenIssueTime, as the AWS console does)",
                True,
                role_name=role,
                policy_name=SESSIONS_POLICY,
            )
        ]
        if options.get("block_assume"):
            steps.append(
                step(
                    "block_assume",
                    f"replace the trust policy of role {role} with deny-all so no new "
                    "session can start (the old policy is kept for restore)",
                    True,
                    role_name=role,
                )
            )
        return steps
    raise NotImplementedError(f"the aws connector cannot revoke a {kind}")


def _plan_key_by_slot(
    target: dict[str, Any], user: str | None, options: dict[str, Any], step: _MakeStep
) -> list[RevokeStep]:
    """A key scanned without its id (access_key_ids: false) is known by user and creation
    time: the step lists that user's keys when it runs (ListAccessKeys, one call) and acts on
    the one created then; two keys created in the same second are told apart by slot, which
    is the order ListAccessKeys lists them in."""
    attrs = target.get("attrs") or {}
    created = attrs.get("last_rotated")
    if not user or not created:
        raise NotImplementedError("the access key has neither an id nor a user and creation time; scan again")
    what = f"the access key of user {user} created {created}"
    params = dict(user_name=user, created=created, slot=attrs.get("slot"), credential_id=target["id"])
    steps = [step("deactivate_key", f"set {what} to Inactive (its id is listed when the step runs)", True, **params)]
    if options.get("delete"):
        steps.append(step("delete_key", f"delete {what} (cannot be undone)", False, **params))
    return steps


# --- clients -----------------------------------------------------------------------------------
# A scan may wait out throttling (8 adaptive attempts: over a minute when it never clears); a
# kill switch should not. Revoke fails a throttled step after ~3 s at most and says so; every
# step is idempotent, so the operator simply runs the same command again.
REVOKE_MAX_ATTEMPTS = 3  # calls in all, the first included


def _iam_client(ctx: CollectContext, session: CountingSession) -> BotoClient:
    from botocore.config import Config

    kwargs = {
        "config": boto_config(ctx.settings).merge(
            Config(retries={"mode": "standard", "total_max_attempts": REVOKE_MAX_ATTEMPTS})
        )
    }
    if ctx.settings.endpoint:
        kwargs["endpoint_url"] = ctx.settings.endpoint
    return session.client("iam", **kwargs)


def _iam(ctx: CollectContext, account: str) -> BotoClient:
    """An IAM client acting in ``account``: the caller's own, or through the Organization role."""
    with _lock:
        cache: dict[str, Any] = ctx.cache.get("revoke_iam_clients", dict)  # account -> IAM client
        if account in cache:
            return cache[account]
        base = make_session(ctx)
        if "_caller_account" not in cache:
            caller = client(ctx, base, "sts").get_caller_identity()
            cache["_caller_account"], cache["_caller_arn"] = caller["Account"], caller.get("Arn")
        session = base
        if account and account != cache["_caller_account"]:
            session = make_session(ctx, assume_account_role(ctx, base, account))
        cache[account] = _iam_client(ctx, session)
        return cache[account]


def caller_identity(ctx: CollectContext) -> str | None:
    """The principal the revoke's calls were signed as, for the revocation log (the lookup
    _iam made already, or one STS GetCallerIdentity)."""
    with _lock:
        cache = ctx.cache.get("revoke_iam_clients", dict)
        if "_caller_arn" not in cache:
            caller = client(ctx, make_session(ctx), "sts").get_caller_identity()
            cache["_caller_account"], cache["_caller_arn"] = caller["Account"], caller.get("Arn")
        arn: str | None = cache["_caller_arn"]
        return arn


def _error(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        err = response["Error"]
        return f"{err.get('Code', 'Error')}: {err.get('Message', '')}".rstrip(": ")
    return f"{type(exc).__name__}: {exc}"


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    code: str = response.get("Error", {}).get("Code", "") if isinstance(response, dict) else ""
    return code


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str):
        a = json.loads(a)
    if isinstance(b, str):
        b = json.loads(b)
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _keys(iam: BotoClient, user: str) -> list[dict[str, Any]]:
    return [
        k
        for page in iam.get_paginator("list_access_keys").paginate(UserName=user)
        for k in page.get("AccessKeyMetadata", [])
    ]


def _key_user(iam: BotoClient, params: dict[str, Any]) -> str:
    user: str = params.get("user_name") or iam.get_access_key_last_used(AccessKeyId=params["access_key_id"])["UserName"]
    return user


def _key_id(iam: BotoClient, params: dict[str, Any], restore_data: dict[str, Any] | None = None) -> str | None:
    """The key a step acts on: its id from the plan, the one found when the step first ran, or
    the user's key created at the planned second (slot order for a same-second pair)."""
    key_id: str | None = params.get("access_key_id") or (restore_data or {}).get("access_key_id")
    if key_id:
        return key_id
    created = datetime.fromisoformat(params["created"].replace("Z", "+00:00"))
    same = [
        k for k in _keys(iam, params["user_name"]) if k["CreateDate"].astimezone(UTC).replace(microsecond=0) == created
    ]
    if len(same) == 1:
        key_id = same[0]["AccessKeyId"]
        return key_id
    slot = params.get("slot")
    if len(same) == 2 and slot in (1, 2):
        key_id = same[slot - 1]["AccessKeyId"]
        return key_id
    return None


def _slot_outcome(outcome: StepOutcome, params: dict[str, Any], key_id: str) -> StepOutcome:
    """Keys planned by slot: remember the id found, report the status by credential id."""
    if params.get("access_key_id"):
        return outcome
    if outcome.restore_data is not None or outcome.status == "done":
        outcome.restore_data = {**(outcome.restore_data or {}), "access_key_id": key_id}
    statuses = list((outcome.inventory or {}).values())  # one key: its status, now under the credential id
    outcome.inventory = {params["credential_id"]: statuses[-1]} if statuses else {}
    return outcome


def _inline(iam: BotoClient, kind: str, name: str, policy: str) -> Document | None:
    try:
        document: Document
        if kind == "user":
            document = iam.get_user_policy(UserName=name, PolicyName=policy)["PolicyDocument"]
        else:
            document = iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
        return document
    except Exception as exc:
        if _code(exc) == "NoSuchEntity":
            return None
        raise


# --- execute -----------------------------------------------------------------------------------
def execute_step(ctx: CollectContext, step: RevokeStep) -> StepOutcome:
    action = _EXECUTE.get(step.action)
    if action is None:
        return StepOutcome("failed", error=f"unknown aws revoke action {step.action!r}")
    try:
        return action(_iam(ctx, step.scope), step.params)
    except Exception as exc:  # botocore ClientError and connection errors: the provider's words
        return StepOutcome("failed", error=_error(exc))


def _set_key(iam: BotoClient, user: str, key_id: str, status: str) -> StepOutcome:
    key = next((k for k in _keys(iam, user) if k["AccessKeyId"] == key_id), None)
    if key is None:
        return StepOutcome("already_done", error="the key no longer exists", inventory={key_id: "revoked"})
    if key["Status"] == status:
        return StepOutcome("already_done", inventory={key_id: status.lower()})
    iam.update_access_key(UserName=user, AccessKeyId=key_id, Status=status)
    now = next((k["Status"] for k in _keys(iam, user) if k["AccessKeyId"] == key_id), None)
    if now != status:
        return StepOutcome("failed", error=f"verification: key {key_id} is {now} after setting {status}")
    return StepOutcome("done", restore_data={"previous_status": key["Status"]}, inventory={key_id: status.lower()})


def _deactivate_key(iam: BotoClient, p: dict[str, Any]) -> StepOutcome:
    key_id = _key_id(iam, p)
    if key_id is None:
        return StepOutcome("already_done", error=f"user {p['user_name']} has no key created {p['created']}")
    return _slot_outcome(_set_key(iam, _key_user(iam, p), key_id, "Inactive"), p, key_id)


def _delete_key(iam: BotoClient, p: dict[str, Any]) -> StepOutcome:
    user, key_id = _key_user(iam, p), _key_id(iam, p)
    if key_id is None:
        return StepOutcome("already_done", error=f"user {user} has no key created {p['created']}")
    if not p.get("access_key_id"):
        return _slot_outcome(_delete_key(iam, {**p, "access_key_id": key_id}), p, key_id)
    if all(k["AccessKeyId"] != key_id for k in _keys(iam, user)):
        return StepOutcome("already_done", inventory={key_id: "revoked"})
    iam.delete_access_key(UserName=user, AccessKeyId=key_id)
    if any(k["AccessKeyId"] == key_id for k in _keys(iam, user)):
        return StepOutcome("failed", error=f"verification: key {key_id} still exists")
    return StepOutcome("done", inventory={key_id: "revoked"})


def _deactivate_user_keys(iam: BotoClient, p: dict[str, Any]) -> StepOutcome:
    user = p["user_name"]
    active = [k["AccessKeyId"] for k in _keys(iam, user) if k["Status"] == "Active"]
    for key_id in active:
        iam.update_access_key(UserName=user, AccessKeyId=key_id, Status="Inactive")
    keys = _keys(iam, user)
    still = [k["AccessKeyId"] for k in keys if k["Status"] == "Active"]
    inventory = {k["AccessKeyId"]: k["Status"].lower() for k in keys}
    if still:
        return StepOutcome(
            "failed",
            error=f"verification: still active: {', '.join(still)}",
            inventory=inventory,
            restore_data={"keys": active},
        )
    if not active:
        return StepOutcome("already_done", inventory=inventory)
    return StepOutcome("done", restore_data={"keys": active}, inventory=inventory)


def _delete_user_keys(iam: BotoClient, p: dict[str, Any]) -> StepOutcome:
    user = p["user_name"]
    keys = [k["AccessKeyId"] for k in _keys(iam, user)]
    for key_id in keys:
        iam.delete_access_key(UserName=user, AccessKeyId=key_id)
    if _keys(iam, user):
        return StepOutcome("failed", error="verification: keys remain")
    return StepOutcome("done" if keys else "already_done", inventory={k: "revoked" for k in keys})


def _put_inline(
    iam: BotoClient, kind: str, name: str, policy: str, document: Mapping[str, Any], always: bool = False
) -> StepOutcome:
    previous = _inline(iam, kind, name, policy)
    if previous is not None and _same(previous, document) and not always:
        return StepOutcome("already_done")
    if kind == "user":
        iam.put_user_policy(UserName=name, PolicyName=policy, PolicyDocument=json.dumps(document))
    else:
        iam.put_role_policy(RoleName=name, PolicyName=policy, PolicyDocument=json.dumps(document))
    if not _same(_inline(iam, kind, name, policy) or {}, document):
        return StepOutcome("failed", error=f"verification: inline policy {policy} on {name} differs after writing")
    return StepOutcome("done", restore_data={"previous_document": previous})


def _deny_all_policy(iam: BotoClient, p: dict[str, Any]) -> StepOutcome:
    return _put_inline(iam, "user", p["user_name"], p.get("policy_name", DENY_ALL_POLICY), DENY_ALL)


def _delete_login_profile(iam: BotoClient, p: dict[str, Any]) -> StepOutcome:
    user = p["user_name"]
    try:
        iam.get_login_profile(UserName=user)
    except Exception as exc:
        if _code(exc) == "NoSuchEntity":
            return StepOutcome("already_done", error="no console password")
        raise
    iam.delete_login_profile(UserName=user)
    try:
        iam.get_login_profile(UserName=user)
    except Exception as exc:
        if _code(exc) == "NoSuchEntity":
            return StepOutcome("done")
        raise
    return StepOutcome("failed", error="verification: the console password still exists")


def sessions_policy(cutoff: datetime) -> dict[str, Any]:
    stamp = cutoff.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Action": ["*"],
                "Resource": ["*"],
                "Condition": {"DateLessThan": {"aws:TokenIssueTime": stamp}},
            }
        ],
    }


def _revoke_sessions(iam: BotoClient, p: dict[str, Any]) -> StepOutcome:
    # The cutoff is when the step runs, not when the plan was written: sessions issued between
    # review and execution must die too. A re-run moves the cutoff forward (always "done").
    cutoff = datetime.now(UTC)
    outcome = _put_inline(
        iam, "role", p["role_name"], p.get("policy_name", SESSIONS_POLICY), sessions_policy(cutoff), always=True
    )
    if outcome.restore_data is not None:
        outcome.restore_data["cutoff"] = cutoff.strftime("%Y-%m-%dT%H:%M:%SZ")
    return outcome


def _trust(iam: BotoClient, role: str) -> Any:
    """The role's trust policy, decoded (botocore decodes it; JSON text is parsed)."""
    document = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    return json.loads(document) if isinstance(document, str) else document


def _block_assume(iam: BotoClient, p: dict[str, Any]) -> StepOutcome:
    role = p["role_name"]
    previous = _trust(iam, role)
    if _same(previous, DENY_ALL_TRUST):
        return StepOutcome("already_done")
    iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(DENY_ALL_TRUST))
    if not _same(_trust(iam, role), DENY_ALL_TRUST):
        return StepOutcome("failed", error=f"verification: the trust policy of {role} was not replaced")
    return StepOutcome("done", restore_data={"previous_trust": previous})


_EXECUTE: dict[str, Execute] = {
    "deactivate_key": _deactivate_key,
    "delete_key": _delete_key,
    "deactivate_user_keys": _deactivate_user_keys,
    "deny_all_policy": _deny_all_policy,
    "delete_login_profile": _delete_login_profile,
    "delete_user_keys": _delete_user_keys,
    "revoke_sessions": _revoke_sessions,
    "block_assume": _block_assume,
    "deactivate_service_credential": revoke_ai.deactivate,
}


# --- restore -----------------------------------------------------------------------------------
def restore_step(ctx: CollectContext, step: RevokeStep) -> StepOutcome:
    action = _RESTORE.get(step.action)
    if action is None:
        return StepOutcome("skipped", error=f"{step.action} cannot be undone")
    try:
        return action(_iam(ctx, step.scope), step.params, step.restore_data or {})
    except Exception as exc:
        return StepOutcome("failed", error=_error(exc))


def _restore_inline(iam: BotoClient, kind: str, name: str, policy: str, previous: Document | None) -> StepOutcome:
    current = _inline(iam, kind, name, policy)
    if previous is None:
        if current is None:
            return StepOutcome("already_done")
        if kind == "user":
            iam.delete_user_policy(UserName=name, PolicyName=policy)
        else:
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
        if _inline(iam, kind, name, policy) is not None:
            return StepOutcome("failed", error=f"verification: inline policy {policy} still on {name}")
        return StepOutcome("done")
    if current is not None and _same(current, previous):
        return StepOutcome("already_done")
    put = iam.put_user_policy if kind == "user" else iam.put_role_policy
    put(**{"UserName" if kind == "user" else "RoleName": name}, PolicyName=policy, PolicyDocument=json.dumps(previous))
    return StepOutcome("done")


def _restore_key(iam: BotoClient, p: dict[str, Any], data: dict[str, Any]) -> StepOutcome:
    key_id = _key_id(iam, p, data)
    if key_id is None:
        return StepOutcome("failed", error="the revocation recorded no access key id")
    return _slot_outcome(_set_key(iam, _key_user(iam, p), key_id, data.get("previous_status", "Active")), p, key_id)


def _restore_user_keys(iam: BotoClient, p: dict[str, Any], data: dict[str, Any]) -> StepOutcome:
    user, wanted = p["user_name"], data.get("keys", [])
    present = {k["AccessKeyId"]: k["Status"] for k in _keys(iam, user)}
    changed = [k for k in wanted if present.get(k) == "Inactive"]
    for key_id in changed:
        iam.update_access_key(UserName=user, AccessKeyId=key_id, Status="Active")
    now = {k["AccessKeyId"]: k["Status"] for k in _keys(iam, user)}
    missing = [k for k in wanted if k not in now]
    still = [k for k in wanted if now.get(k) == "Inactive"]
    inventory = {k: now[k].lower() for k in wanted if k in now}
    if still:
        return StepOutcome("failed", error=f"verification: still inactive: {', '.join(still)}", inventory=inventory)
    if missing:
        return StepOutcome("failed", error=f"deleted since the revoke: {', '.join(missing)}", inventory=inventory)
    return StepOutcome("done" if changed else "already_done", inventory=inventory)


def _restore_trust(iam: BotoClient, p: dict[str, Any], data: dict[str, Any]) -> StepOutcome:
    role, previous = p["role_name"], data.get("previous_trust")
    if previous is None:
        return StepOutcome("failed", error="the revocation recorded no previous trust policy")
    if _same(_trust(iam, role), previous):
        return StepOutcome("already_done")
    iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(previous))
    if not _same(_trust(iam, role), previous):
        return StepOutcome("failed", error=f"verification: the trust policy of {role} was not restored")
    return StepOutcome("done")


_RESTORE: dict[str, Restore] = {
    "deactivate_key": _restore_key,
    "deactivate_user_keys": _restore_user_keys,
    "deny_all_policy": lambda iam, p, d: _restore_inline(
        iam, "user", p["user_name"], p.get("policy_name", DENY_ALL_POLICY), d.get("previous_document")
    ),
    "revoke_sessions": lambda iam, p, d: _restore_inline(
        iam, "role", p["role_name"], p.get("policy_name", SESSIONS_POLICY), d.get("previous_document")
    ),
    "block_assume": _restore_trust,
    "deactivate_service_credential": revoke_ai.restore,
}
