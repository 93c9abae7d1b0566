"""The transform layer for Azure AI accounts (ai_accounts.py payloads -> records). Pure.

Each Azure OpenAI / AI Services account is an ``azure_ai_account`` identity (its managed
identity's principal id in ``attrs.managed_identity``). While ``disableLocalAuth`` is false its
two account keys are ``azure_ai_account_key`` credentials (``.../keys/key1`` and ``key2``):
anyone holding one calls the models as the account, with no user and no expiry. Their values
are never read; ARM reports neither their creation nor their last use.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from nhi_cli.model import Batch, Credential, Identity

from .transform import TransformError

OWNER_TAGS = ("owner", "Owner", "nhi:owner", "nhi-owner")


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def transform_ai_accounts(scope: str, accounts: list[dict[str, Any]]) -> Batch:
    batch = Batch()
    for account in accounts:
        if not isinstance(account.get("id"), str) or not isinstance(account.get("name"), str):
            raise TransformError("Cognitive Services account payload is missing id or name")
        props = account.get("properties") or {}
        identity = account.get("identity") or {}
        local_auth = props.get("disableLocalAuth") is not True
        created = _time((account.get("systemData") or {}).get("createdAt"))
        tags = {k: str(v) for k, v in (account.get("tags") or {}).items()}
        owner_tag = next((k for k in OWNER_TAGS if tags.get(k)), None)
        batch.identities.append(
            Identity(
                id=account["id"],
                provider="azure",
                scope=scope,
                kind="azure_ai_account",
                name=account["name"],
                created_at=created,
                owner=tags[owner_tag] if owner_tag else None,
                owner_source=f"tag:{owner_tag}" if owner_tag else None,
                tags=tags,
                attrs={
                    "account_kind": account.get("kind"),
                    "endpoint": props.get("endpoint"),
                    "location": account.get("location"),
                    "local_auth_enabled": local_auth,
                    "public_network_access": props.get("publicNetworkAccess"),
                    "managed_identity": identity.get("principalId"),
                    "identity_type": identity.get("type"),
                },
            )
        )
        if not local_auth:
            continue
        for slot in ("key1", "key2"):
            batch.credentials.append(
                Credential(
                    id=f"{account['id']}/keys/{slot}",
                    identity_id=account["id"],
                    provider="azure",
                    scope=scope,
                    kind="azure_ai_account_key",
                    status="active",
                    name=f"{account['name']} {slot}",
                    created_at=None,  # ARM does not say when a key was last regenerated
                    supports_expiry=False,
                    attrs={
                        "slot": slot,
                        "ai_credential": True,
                        "account_kind": account.get("kind"),
                        "last_used_unknown": True,
                    },
                )
            )
    return batch
