"""GitHub org payloads -> records (pure; clients.py and deploy_keys.py get them).

Identities and credentials per org:
- ``github_app_installation``: an installed GitHub App, grants from its permissions;
  ``attrs.org_wide_write`` marks all repositories + a write/admin permission (over-broad).
- ``github_token_owner``: a user account as the holder of tokens with access to the org (the
  accountable principal for a PAT; bots such as ``ops-copilot-bot`` are users too). Its
  credentials: fine-grained PATs (kind ``pat``) approved for the org and, in SAML SSO orgs,
  SSO-authorized classic PATs and SSH keys (kinds ``classic_pat``, ``ssh_key``; hint =
  ``token_last_eight``). Grants come from the PAT permissions and classic scopes.
- ``github_deploy_key``: a deploy key is its own identity (no principal behind it) with one
  credential of kind ``deploy_key`` and a contents:read or contents:write grant on its repo.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from nhi_cli.kit.payloads import each, require
from nhi_cli.kit.payloads import iso_time as ts
from nhi_cli.model import Batch, Credential, Grant, Identity

WRITE_LEVELS = {"write", "admin"}
# Permissions whose write level reaches code, CI, secrets or the org itself.
SENSITIVE_PERMISSIONS = {
    "contents",
    "workflows",
    "secrets",
    "administration",
    "actions",
    "environments",
    "organization_administration",
    "members",
    "organization_secrets",
    "organization_personal_access_tokens",
    "organization_self_hosted_runners",
}
ADMIN_PERMISSIONS = {"administration", "organization_administration", "members"}
ADMIN_SCOPES = {"admin:org", "admin:enterprise", "site_admin", "delete_repo", "admin:org_hook"}


def is_org_permission(name: str) -> bool:
    return name.startswith("organization_") or name in ("members", "custom_properties")


def identity_id(org: str, kind: str, key: Any) -> str:
    return f"github:{org}:{kind}/{key}"


def _permission_grants(
    ident: str,
    org: str,
    permissions: Mapping[str, str],
    *,
    resource: str,
    source: str,
    source_type: str,
    prefix: str = "",
) -> list[Grant]:
    grants: list[Grant] = []
    for name, level in sorted(permissions.items()):
        write = level in WRITE_LEVELS
        grants.append(
            Grant(
                identity_id=ident,
                provider="github",
                scope=org,
                action=f"{prefix}{name}:{level}",
                resource=resource,
                source=source,
                source_type=source_type,
                service="github",
                is_admin=write and name in ADMIN_PERMISSIONS,
                is_sensitive=write and name in SENSITIVE_PERMISSIONS,
                is_privesc=write and name in ("organization_administration", "members", "administration"),
            )
        )
    return grants


def transform_installations(org: str, installations: Iterable[Mapping[str, Any]]) -> Batch:
    def one(item: dict[str, Any]) -> Batch:
        batch = Batch()
        require(item, "id", "app_slug", "permissions", "repository_selection", what="GitHub installation", id_type=int)
        ident = identity_id(org, "installation", item["id"])
        permissions = item.get("permissions") or {}
        # Over-broad = write on repository permissions across all repositories; org-level
        # permissions (organization_*, members) do not widen with the repository selection.
        writes = sorted(p for p, level in permissions.items() if level in WRITE_LEVELS and not is_org_permission(p))
        all_repos = item["repository_selection"] == "all"
        batch.identities.append(
            Identity(
                id=ident,
                provider="github",
                scope=org,
                kind="github_app_installation",
                name=item["app_slug"],
                created_at=ts(item.get("created_at")),
                enabled=not item.get("suspended_at"),
                description=f"GitHub App {item['app_slug']} installed on "
                f"{'all' if all_repos else 'selected'} repositories",
                attrs={
                    "installation_id": item["id"],
                    "app_id": item.get("app_id"),
                    "app_slug": item["app_slug"],
                    "repository_selection": item["repository_selection"],
                    "permissions": permissions,
                    "write_permissions": writes,
                    "org_wide_write": bool(all_repos and writes),
                    "events": item.get("events") or [],
                    "suspended_at": item.get("suspended_at"),
                    "last_used_unknown": True,  # GitHub does not report when an installation last acted
                    "updated_at": item.get("updated_at"),
                },
            )
        )
        resource = f"{org}/*" if all_repos else f"{org}/(selected repositories)"
        batch.grants.extend(
            _permission_grants(
                ident,
                org,
                permissions,
                resource=resource,
                source=f"app:{item['app_slug']}",
                source_type="app_installation",
            )
        )
        return batch

    return each(installations, one, "GitHub App installation", "id")


def _owner_identity(org: str, login: str, owners: dict[str, Identity], user_id: Any = None) -> Identity:
    if login not in owners:
        owners[login] = Identity(
            id=identity_id(org, "user", login),
            provider="github",
            scope=org,
            kind="github_token_owner",
            name=login,
            owner=login,
            owner_source="github_user",
            description=f"GitHub user {login}, holder of tokens with access to {org}",
            attrs={"login": login, "user_id": user_id},
        )
    return owners[login]


def transform_fine_grained_pats(org: str, pats: Iterable[Mapping[str, Any]], owners: dict[str, Identity]) -> Batch:
    def one(item: dict[str, Any]) -> Batch:
        batch = Batch()
        require(item, "id", "owner", "permissions", "token_expired", what="GitHub personal access token", id_type=int)
        owner = _owner_identity(org, item["owner"]["login"], owners, item["owner"].get("id"))
        expired = bool(item["token_expired"])
        name = item.get("token_name") or f"pat {item['id']}"
        batch.credentials.append(
            Credential(
                id=identity_id(org, "pat", item["id"]),
                identity_id=owner.id,
                provider="github",
                scope=org,
                kind="pat",
                status="expired" if expired else "active",
                name=name,
                created_at=ts(item.get("access_granted_at")),
                last_used_at=ts(item.get("token_last_used_at")),
                expires_at=ts(item.get("token_expires_at")),
                supports_expiry=True,
                key_id=str(item.get("token_id") or item["id"]),
                attrs={
                    "pat_id": item["id"],
                    "token_id": item.get("token_id"),
                    "owner": item["owner"]["login"],
                    "repository_selection": item.get("repository_selection"),
                    "permissions": item["permissions"],
                    "access_granted_at": item.get("access_granted_at"),
                    "token_expired": expired,
                    "fine_grained": True,
                    "created_at_is": "access_granted_at",
                },
            )
        )
        perms = item["permissions"] or {}
        resource = f"{org}/*" if item.get("repository_selection") == "all" else f"{org}/(selected repositories)"
        for group in ("organization", "repository", "other"):
            batch.grants.extend(
                _permission_grants(
                    owner.id,
                    org,
                    perms.get(group) or {},
                    resource=org if group == "organization" else resource,
                    source=f"pat:{name}",
                    source_type="fine_grained_pat",
                )
            )
        return batch

    return each(pats, one, "GitHub fine-grained personal access token", "id")


SSO_KINDS = {"personal access token": "classic_pat", "SSH key": "ssh_key"}


def transform_credential_authorizations(
    org: str, items: Iterable[Mapping[str, Any]], owners: dict[str, Identity]
) -> Batch:
    def one(item: dict[str, Any]) -> Batch:
        batch = Batch()
        require(item, "login", "credential_id", "credential_type", what="GitHub credential authorization", id_type=int)
        owner = _owner_identity(org, item["login"], owners)
        kind = SSO_KINDS.get(item["credential_type"], "sso_credential")
        last_eight = item.get("token_last_eight")
        name = (
            item.get("authorized_credential_title") or item.get("authorized_credential_note") or item["credential_type"]
        )
        batch.credentials.append(
            Credential(
                id=identity_id(org, "sso", item["credential_id"]),
                identity_id=owner.id,
                provider="github",
                scope=org,
                kind=kind,
                status="active",
                name=name,
                created_at=ts(item.get("credential_authorized_at")),
                last_used_at=ts(item.get("credential_accessed_at")),
                expires_at=ts(item.get("authorized_credential_expires_at")),
                supports_expiry=kind == "classic_pat",
                key_id=str(item.get("authorized_credential_id") or item["credential_id"]),
                hint=last_eight or item.get("fingerprint"),
                attrs={
                    "credential_id": item["credential_id"],
                    "credential_type": item["credential_type"],
                    "login": item["login"],
                    "scopes": item.get("scopes") or [],
                    "sso_authorization": True,
                    "token_last_eight": last_eight,
                    "fingerprint": item.get("fingerprint"),
                    "credential_authorized_at": item.get("credential_authorized_at"),
                    "authorized_credential_note": item.get("authorized_credential_note"),
                },
            )
        )
        for scope_name in item.get("scopes") or []:
            batch.grants.append(
                Grant(
                    identity_id=owner.id,
                    provider="github",
                    scope=org,
                    action=f"scope:{scope_name}",
                    resource=org,
                    source=f"sso:{item['credential_id']}",
                    source_type="classic_pat_scope",
                    service="github",
                    is_admin=scope_name in ADMIN_SCOPES,
                    is_sensitive=scope_name in ADMIN_SCOPES | {"repo", "workflow", "write:packages"},
                )
            )
        return batch

    return each(items, one, "GitHub SSO credential authorization", "credential_id")


def ssh_fingerprint(public_key: str | None) -> str | None:
    """OpenSSH's SHA256 fingerprint of a public key line (not a secret); None if unparsable."""
    parts = str(public_key or "").split()
    if len(parts) < 2:
        return None
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        return None
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def transform_deploy_keys(org: str, repo: str, keys: Iterable[Mapping[str, Any]]) -> Batch:
    def one(item: dict[str, Any]) -> Batch:
        batch = Batch()
        require(item, "id", "title", "read_only", what="GitHub deploy key", id_type=int)
        ident = identity_id(org, "deploy_key", item["id"])
        read_only = bool(item["read_only"])
        added_by = item.get("added_by")
        batch.identities.append(
            Identity(
                id=ident,
                provider="github",
                scope=org,
                kind="github_deploy_key",
                name=item["title"] or f"key {item['id']}",
                created_at=ts(item.get("created_at")),
                last_used_at=ts(item.get("last_used")),
                enabled=item.get("enabled", True) is not False,
                owner=added_by,
                owner_source="added_by" if added_by else None,
                description=f"deploy key on {org}/{repo} ({'read-only' if read_only else 'read-write'})",
                attrs={"repo": repo, "key_id": item["id"], "read_only": read_only, "verified": item.get("verified")},
            )
        )
        batch.credentials.append(
            Credential(
                id=f"github:{org}:repo/{repo}/keys/{item['id']}",
                identity_id=ident,
                provider="github",
                scope=org,
                kind="deploy_key",
                status="active" if item.get("enabled", True) is not False else "inactive",
                name=item["title"],
                created_at=ts(item.get("created_at")),
                last_used_at=ts(item.get("last_used")),
                supports_expiry=False,
                key_id=str(item["id"]),
                hint=ssh_fingerprint(item.get("key")),  # as GitHub shows it: SHA256:...
                attrs={"repo": repo, "read_only": read_only, "deploy_key_id": item["id"], "added_by": added_by},
            )
        )
        batch.grants.append(
            Grant(
                identity_id=ident,
                provider="github",
                scope=org,
                action="contents:read" if read_only else "contents:write",
                resource=f"{org}/{repo}",
                source=f"deploy_key:{item['id']}",
                source_type="deploy_key",
                service="github",
                is_sensitive=not read_only,
            )
        )
        return batch

    return each(keys, one, "GitHub deploy key", "id")
