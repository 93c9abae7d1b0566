"""Anthropic organization Admin API payloads -> records (pure: clients.py gets them).

Each API key is its own identity (kind ``anthropic_api_key``: there is no machine principal
behind it) with one credential of kind ``api_key``; ``hint`` is Anthropic's own
``partial_key_hint`` ("sk-ant-api03-NWd...xQAA"), which joins a key found in an MCP config.
``owner`` is the creator's e-mail when the users list is readable. Workspaces name the
key's reach (a grant on the workspace; null = the default workspace).
"""
from __future__ import annotations

from nhi_cli.kit.payloads import iso_time as ts, require
from nhi_cli.model import Batch, Credential, Grant, Identity

STATUS = {"active": "active", "inactive": "inactive", "archived": "revoked", "expired": "expired"}


def transform_api_keys(scope: str, keys: list[dict], workspaces: dict[str, dict], users: dict[str, dict]) -> Batch:
    batch = Batch()
    for key in keys:
        require(key, "id", "status", "partial_key_hint", what="Anthropic API key")
        creator = key.get("created_by") or {}
        user = users.get(creator.get("id") or "", {})
        workspace_id = key.get("workspace_id")
        workspace = workspaces.get(workspace_id or "", {})
        workspace_name = workspace.get("name") or ("Default" if workspace_id is None else workspace_id)
        ident = f"anthropic:key/{key['id']}"
        status = STATUS.get(key["status"], key["status"])
        attrs = {"api_key_id": key["id"], "workspace_id": workspace_id, "workspace_name": workspace_name,
                 "created_by_id": creator.get("id"), "created_by_type": creator.get("type"),
                 "provider_status": key["status"], "workspace_archived": bool(workspace.get("archived_at"))}
        batch.identities.append(Identity(
            id=ident, provider="anthropic", scope=scope, kind="anthropic_api_key", name=key.get("name") or key["id"],
            created_at=ts(key.get("created_at")), enabled=status == "active",
            owner=user.get("email") or creator.get("id"), owner_source="key_creator" if creator else None,
            description=f"API key in workspace {workspace_name}", attrs=attrs))
        batch.credentials.append(Credential(
            id=f"anthropic:{key['id']}", identity_id=ident, provider="anthropic", scope=scope, kind="api_key",
            status=status, name=key.get("name"), created_at=ts(key.get("created_at")),
            expires_at=ts(key.get("expires_at")), supports_expiry=True, key_id=key["id"], hint=key["partial_key_hint"],
            # The Admin API does not report last use: unused-key rules must skip these keys.
            attrs={**attrs, "last_used_unknown": True}))
        batch.grants.append(Grant(
            identity_id=ident, provider="anthropic", scope=scope, action="messages:create",
            resource=f"workspace/{workspace_id or 'default'}", source=f"workspace:{workspace_name}",
            source_type="workspace", service="anthropic"))
    return batch
