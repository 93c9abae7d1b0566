"""AWS access key ids sighted by another source of the same scan (an ``AKIA...`` id in a local
agent or MCP config), resolved to the key they are at a cost per sighted key, not per user.

With ``access_key_ids: false`` (the default) nhi identifies keys by user and slot from the
credential report and never calls ``ListAccessKeys`` per user. An id found elsewhere still has
to be joined to its key: ``sts:GetAccessKeyInfo`` names the owning account (any caller may ask)
and, in that account, ``iam:GetAccessKeyLastUsed`` names the owning user and the key's last use.
The id is then set on that user's key: its only key, or the one whose report slot was last used
at that time (or never used, if the key never was). A key nhi cannot tell apart stays without
an id and the scope records the gap.
"""

from __future__ import annotations

from datetime import UTC, datetime

from nhi_cli.kit.connector import CollectContext
from nhi_cli.model import Batch, Credential, Scope, ScopeResult

from .clients import CountingSession, assume_account_role, client, make_session

AWS_KEY_PREFIX = "AKIA"  # long-term user keys; ASIA session keys belong to no user


def sighted_key_ids(batches: dict[tuple[str, str], Batch]) -> set[str]:
    return {
        c.key_id
        for (provider, _), batch in batches.items()
        if provider != "aws"
        for c in batch.credentials
        if c.key_id and c.key_id.startswith(AWS_KEY_PREFIX)
    }


def _second(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0)


def match_key(batch: Batch, user_name: str, last_used: datetime | None) -> tuple[Credential | None, str]:
    """The user's key an id belongs to, or (None, why not)."""
    users = [i.id for i in batch.identities if i.kind == "iam_user" and i.name == user_name]
    if not users:
        return None, f"user {user_name} is not in the inventory"
    keys = [c for c in batch.credentials if c.identity_id == users[0] and c.kind == "access_key"]
    if len(keys) == 1:
        return keys[0], ""
    used = _second(last_used)
    same = [c for c in keys if _second(c.last_used_at) == used]
    if len(same) == 1:
        return same[0], ""
    return None, f"user {user_name} has {len(keys)} keys that the key's last use does not tell apart"


def _count(result: ScopeResult, ctx: CollectContext) -> None:
    for call, n in ctx.calls.items():
        result.api_calls[call] = result.api_calls.get(call, 0) + n


def resolve_sightings(
    ctx: CollectContext, scopes: list[Scope], results: list[ScopeResult], batches: dict[tuple[str, str], Batch]
) -> None:
    """Set ``key_id`` on AWS keys sighted elsewhere in this scan. Calls are counted on the
    owning account's scope result; an API failure is a gap there (the scope becomes partial);
    a key the answer cannot single out keeps no id and says why in its attrs."""
    from botocore.exceptions import BotoCoreError, ClientError

    loaded = {r.scope: r for r in results if r.provider == "aws" and r.loaded}
    wanted = sorted(
        sighted_key_ids(batches)
        - {c.key_id for scope in loaded for c in batches.get(("aws", scope), Batch()).credentials if c.key_id}
    )
    if not loaded or not wanted:
        return
    assumed = {s.id for s in scopes if s.attrs.get("assume")}
    first = next(iter(loaded.values()))
    caller_ctx = ctx.for_scope()
    base = make_session(caller_ctx)
    sessions: dict[str, CountingSession] = {}
    for key_id in wanted:
        owner, scope_ctx, answer = first, ctx.for_scope(), None
        try:
            account = client(caller_ctx, base, "sts").get_access_key_info(AccessKeyId=key_id)["Account"]
            if account not in loaded:
                continue  # a key of an account this scan did not read
            owner = loaded[account]
            if account not in sessions:
                sessions[account] = (
                    make_session(scope_ctx, assume_account_role(scope_ctx, base, account))
                    if account in assumed
                    else base
                )
            answer = client(scope_ctx, sessions[account], "iam").get_access_key_last_used(AccessKeyId=key_id)
        except (ClientError, BotoCoreError) as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code") or type(exc).__name__
            owner.gaps.append(
                {
                    "what": "iam:GetAccessKeyLastUsed",
                    "code": code,
                    "message": f"could not resolve the sighted access key {key_id}",
                }
            )
            if owner.status == "complete":
                owner.status = "partial"
            continue
        finally:
            _count(owner, scope_ctx)
        used = (answer.get("AccessKeyLastUsed") or {}).get("LastUsedDate")
        key, why = match_key(batches[("aws", account)], answer["UserName"], used)
        if key is None:
            for c in batches[("aws", account)].credentials:
                if c.kind == "access_key" and c.attrs.get("user_name") == answer["UserName"]:
                    c.attrs.setdefault("sighted_key_ids_unmatched", []).append(key_id)
            continue
        key.key_id = key_id
        key.name = key_id
        key.attrs["key_id_from"] = "iam:GetAccessKeyLastUsed"
    _count(first, caller_ctx)
