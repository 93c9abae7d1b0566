"""Anthropic organization: pure transforms from Admin API payloads to records (get_* live in clients.py).

Each API key is its own identity (kind ``anthropic_api_key``: there is no machine principal
behind it) with one credential of kind ``api_key``; ``hint`` is Anthropic's own
``partial_key_hint`` ("sk-ant-api03-NWd...xQAA"), which joins a key found in an MCP config
(it may be null: such a key is still inventoried). ``owner`` is the creator's e-mail when the
users list is readable (``created_by`` may be null: legacy or federated keys).

Where a key belongs comes from ``scope``: ``{"type": "workspace", "workspace_id"}`` (the real
id, also for the default Workspace) or ``{"type": "organization"}`` for a principal-bound key
that has no Workspace. Older answers carry only the deprecated top-level ``workspace_id``
(null = the default Workspace); both are read. The default Workspace is told apart by listing
Workspaces with and without ``include_default``; archived ones come with ``include_archived``.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from typing import Any

from nhi_cli.kit.payloads import each, require, text
from nhi_cli.kit.payloads import iso_time as ts
from nhi_cli.model import Batch, Credential, Grant, Identity

STATUS = {"active": "active", "inactive": "inactive", "archived": "revoked", "expired": "expired"}


def placement(key: dict[str, Any], default_ids: AbstractSet[str | None]) -> tuple[str, str | None, bool]:
    """(scope type, workspace id, in the default Workspace?) from the current or the old shape."""
    scope = key.get("scope")
    if scope is not None:
        if not isinstance(scope, dict) or scope.get("type") not in ("workspace", "organization"):
            raise ValueError(f"scope is {scope!r}, not a workspace or organization scope")
        if scope["type"] == "organization":
            return "organization", None, False
        workspace_id = text(scope.get("workspace_id"), "scope.workspace_id")
        if not workspace_id:
            raise ValueError("a workspace scope without workspace_id")
        return "workspace", workspace_id, workspace_id in default_ids
    workspace_id = text(key.get("workspace_id"), "workspace_id")  # deprecated shape: null = default
    return "workspace", workspace_id, workspace_id is None or workspace_id in default_ids


def transform_api_keys(
    scope: str,
    keys: list[dict[str, Any]],
    workspaces: dict[str, dict[str, Any]],
    users: dict[str, dict[str, Any]],
    default_ids: AbstractSet[str | None] = frozenset(),
) -> Batch:
    return each(keys, lambda key: _api_key(scope, key, workspaces, users, default_ids), "Anthropic API key")


def _api_key(
    scope: str,
    key: dict[str, Any],
    workspaces: dict[str, dict[str, Any]],
    users: dict[str, dict[str, Any]],
    default_ids: AbstractSet[str | None],
) -> Batch:
    batch = Batch()
    require(key, "id", "status", what="Anthropic API key", id_type=str)
    hint = text(key.get("partial_key_hint"), "partial_key_hint")
    creator = key.get("created_by") or {}
    principal = key.get("principal") or {}
    user = users.get(creator.get("id") or "", {})
    scope_type, workspace_id, in_default = placement(key, default_ids)
    workspace = workspaces.get(workspace_id or "", {})
    if scope_type == "organization":
        reach, resource = "the organization (no Workspace)", "organization"
    else:
        name = workspace.get("name") or ("Default" if in_default else workspace_id)
        reach, resource = f"workspace {name}", f"workspace/{workspace_id or 'default'}"
    ident = f"anthropic:key/{key['id']}"
    status = STATUS.get(key["status"], key["status"])
    attrs = {
        "api_key_id": key["id"],
        "scope_type": scope_type,
        "workspace_id": workspace_id,
        "workspace_name": "Default" if in_default else workspace.get("name") or workspace_id,
        "in_default_workspace": in_default,
        "workspace_archived": bool(workspace.get("archived_at")),
        "created_by_id": creator.get("id"),
        "created_by_type": creator.get("type"),
        "principal_type": principal.get("type"),
        "principal_id": principal.get("user_id") or principal.get("service_account_id"),
        "provider_status": key["status"],
    }
    created = ts(key.get("created_at"))
    batch.identities.append(
        Identity(
            id=ident,
            provider="anthropic",
            scope=scope,
            kind="anthropic_api_key",
            name=key.get("name") or key["id"],
            created_at=created,
            enabled=status == "active",
            owner=user.get("email") or creator.get("id"),
            owner_source="key_creator" if creator else None,
            description=f"API key in {reach}",
            attrs=attrs,
        )
    )
    batch.credentials.append(
        Credential(
            id=f"anthropic:{key['id']}",
            identity_id=ident,
            provider="anthropic",
            scope=scope,
            kind="api_key",
            status=status,
            name=key.get("name"),
            created_at=created,
            expires_at=ts(key.get("expires_at")),
            supports_expiry=True,
            key_id=key["id"],
            hint=hint,
            # The Admin API does not report last use: unused-key rules must skip these keys.
            attrs={**attrs, "last_used_unknown": True},
        )
    )
    batch.grants.append(
        Grant(
            identity_id=ident,
            provider="anthropic",
            scope=scope,
            action="messages:create",
            resource=resource,
            source=f"{scope_type}:{attrs['workspace_name'] or 'organization'}",
            source_type=scope_type,
            service="anthropic",
        )
    )
    return batch
