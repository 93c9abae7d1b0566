"""OpenAI organization: pure transforms from Admin API payloads to records (get_* live in clients.py).

Identity model:
- ``openai_service_account``: a project service account; its keys are its credentials.
- ``openai_api_key``: a project API key owned by a user is its own identity (no machine
  principal stands behind it); ``owner`` is the user's e-mail. Agents are usually named on the
  key ("ops-copilot"), so agent patterns match these names.
- ``openai_admin_key``: an Admin API key (organization-wide administrator).
Credentials are kind ``api_key`` (project keys, id ``openai:<key id>``) or ``admin_api_key``
(id ``openai:admin_key/<key id>``: the two id spaces are separate at OpenAI, so they are kept
apart here); ``hint`` is OpenAI's own ``redacted_value`` ("sk-proj-NWd...A1b2"), which joins a
key found in an MCP config. A key whose ``expires_at`` has passed is ``expired``.

Project keys are listed with ``owner_project_access=any``: without it OpenAI applies
membership-based visibility and omits keys whose owner lost access to the project, the
riskiest keys of all.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from nhi_cli.kit.payloads import each, require, text
from nhi_cli.model import Batch, Credential, Grant, Identity


def ts(value: Any) -> datetime | None:
    """OpenAI sends Unix seconds (an integer; anything else is a malformed payload)."""
    if value in (None, 0):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"timestamp {value!r} is not Unix seconds")
    return datetime.fromtimestamp(value, tz=UTC)


def _status(expires_at: datetime | None, now: datetime | None) -> str:
    return "expired" if expires_at is not None and now is not None and expires_at <= now else "active"


# --- transform ------------------------------------------------------------------------------
def _key_credential(
    cred_id: str,
    identity_id: str,
    scope: str,
    kind: str,
    key: dict[str, Any],
    now: datetime | None,
    attrs: dict[str, Any],
) -> Credential:
    """A project or Admin API key as a credential: both key objects carry the same fields."""
    expires_at = ts(key.get("expires_at"))
    return Credential(
        id=cred_id,
        identity_id=identity_id,
        provider="openai",
        scope=scope,
        kind=kind,
        status=_status(expires_at, now),
        name=key.get("name"),
        created_at=ts(key.get("created_at")),
        last_used_at=ts(key.get("last_used_at")),
        expires_at=expires_at,
        supports_expiry="expires_at" in key,
        key_id=key["id"],
        hint=key["redacted_value"],
        attrs=attrs,
    )


def _role_grant(ident: str, scope: str, role: str | None, project: dict[str, Any], source: str) -> Grant:
    role = role or "member"
    return Grant(
        identity_id=ident,
        provider="openai",
        scope=scope,
        action=f"project:{role}",
        resource=f"project/{project['id']}",
        source=source,
        source_type="project_role",
        service="openai",
        # A project key calls models whatever its owner's role; managing the project needs
        # an Admin key, so an owner's project key is not administrator access.
        is_admin=False,
        is_sensitive=role == "owner",
    )


def transform_service_accounts(scope: str, project: dict[str, Any], accounts: list[dict[str, Any]]) -> Batch:
    return each(accounts, lambda sa: _service_account(scope, project, sa), "OpenAI service account")


def _service_account(scope: str, project: dict[str, Any], sa: dict[str, Any]) -> Batch:
    batch = Batch()
    require(sa, "id", "name", what="OpenAI service account", id_type=str)
    ident = f"openai:{project['id']}/service_account/{sa['id']}"
    batch.identities.append(
        Identity(
            id=ident,
            provider="openai",
            scope=scope,
            kind="openai_service_account",
            name=sa["name"],
            created_at=ts(sa.get("created_at")),
            description=f"service account in project {project.get('name')}",
            attrs={
                "project_id": project["id"],
                "project_name": project.get("name"),
                "role": sa.get("role"),
                "service_account_id": sa["id"],
            },
        )
    )
    batch.grants.append(_role_grant(ident, scope, sa.get("role"), project, f"project:{project.get('name')}"))
    return batch


def transform_project_keys(
    scope: str, project: dict[str, Any], keys: list[dict[str, Any]], now: datetime | None = None
) -> Batch:
    return each(keys, lambda key: _project_key(scope, project, key, now), "OpenAI project API key")


def _project_key(scope: str, project: dict[str, Any], key: dict[str, Any], now: datetime | None) -> Batch:
    batch = Batch()
    require(key, "id", "redacted_value", "owner", what="OpenAI project API key", id_type=str)
    text(key["redacted_value"], "redacted_value")
    owner = key["owner"] or {}
    owner_type = owner.get("type")
    attrs = {
        "project_id": project["id"],
        "project_name": project.get("name"),
        "owner_type": owner_type,
        "api_key_id": key["id"],
        "owner_project_access": key.get("owner_project_access"),
    }
    if owner_type == "service_account":
        sa = owner.get("service_account") or {}
        identity_id = f"openai:{project['id']}/service_account/{sa.get('id')}"
        attrs["service_account_id"] = sa.get("id")
    else:
        user = owner.get("user") or {}
        identity_id = f"openai:{project['id']}/key/{key['id']}"
        attrs.update(user_id=user.get("id"), user_email=user.get("email"), user_role=user.get("role"))
        batch.identities.append(
            Identity(
                id=identity_id,
                provider="openai",
                scope=scope,
                kind="openai_api_key",
                name=key.get("name") or key["id"],
                created_at=ts(key.get("created_at")),
                last_used_at=ts(key.get("last_used_at")),
                owner=user.get("email") or user.get("id"),
                owner_source="key_owner",
                description=f"user-owned API key in project {project.get('name')}",
                attrs={
                    "project_id": project["id"],
                    "project_name": project.get("name"),
                    "api_key_id": key["id"],
                    "user_id": user.get("id"),
                    "user_name": user.get("name"),
                },
            )
        )
        batch.grants.append(_role_grant(identity_id, scope, user.get("role"), project, f"owner:{user.get('email')}"))
    batch.credentials.append(_key_credential(f"openai:{key['id']}", identity_id, scope, "api_key", key, now, attrs))
    return batch


def transform_admin_keys(
    scope: str,
    keys: list[dict[str, Any]],
    own_key: str | None,
    now: datetime | None = None,
    users: dict[str, dict[str, Any]] | None = None,
) -> Batch:
    """``users`` (organization users by id) names the owners: the Admin key object's ``owner``
    has an id, a name and a role, but no e-mail."""
    return each(keys, lambda key: _admin_key(scope, key, own_key, now, users or {}), "OpenAI admin API key")


def _admin_key(
    scope: str, key: dict[str, Any], own_key: str | None, now: datetime | None, users: dict[str, dict[str, Any]]
) -> Batch:
    batch = Batch()
    require(key, "id", "redacted_value", what="OpenAI admin API key", id_type=str)
    text(key["redacted_value"], "redacted_value")
    owner = dict(key.get("owner") or {})
    owner_id = owner.get("id")
    user = users.get(owner_id) if isinstance(owner_id, str) else None
    if user and isinstance(user.get("email"), str):
        owner.setdefault("email", user["email"])
    ident = f"openai:admin_key/{key['id']}"
    mine = _matches_redacted(own_key, key["redacted_value"])
    batch.identities.append(
        Identity(
            id=ident,
            provider="openai",
            scope=scope,
            kind="openai_admin_key",
            name=key.get("name") or key["id"],
            created_at=ts(key.get("created_at")),
            last_used_at=ts(key.get("last_used_at")),
            owner=owner.get("email") or owner.get("name") or owner.get("id"),
            owner_source="key_owner" if owner else None,
            description="Admin API key: administers the whole organization",
            attrs={"api_key_id": key["id"], "owner_type": owner.get("type"), "used_by_nhi": mine},
        )
    )
    batch.credentials.append(
        _key_credential(
            f"openai:admin_key/{key['id']}",
            ident,
            scope,
            "admin_api_key",
            key,
            now,
            {"used_by_nhi": mine, "owner_type": owner.get("type")},
        )
    )
    batch.grants.append(
        Grant(
            identity_id=ident,
            provider="openai",
            scope=scope,
            action="organization:admin",
            resource="organization",
            source="admin_api_key",
            source_type="admin_key",
            service="openai",
            is_admin=True,
            is_sensitive=True,
            is_privesc=True,
        )
    )
    return batch


def _matches_redacted(secret: str | None, redacted: str) -> bool:
    """Is ``redacted`` ("sk-admin-abc...wxyz") the scanner's own key? Compared without
    keeping or printing the key: prefix and suffix only."""
    if not secret or "..." not in redacted:
        return False
    head, tail = redacted.split("...", 1)
    return secret.startswith(head) and secret.endswith(tail)
