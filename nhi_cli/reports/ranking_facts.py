"""The facts the fix-first ranking (ranking.py) reads from the inventory, one set-based query
per kind of fact: the scan's credentials with their ages, where copies were seen, agent
membership, the policy evaluator's admin/escalation/assume rows, trust, and grants on data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from nhi_cli.store.interface import DbConnection

# Grants that reach data, as portable LIKE patterns (the store may be PostgreSQL), with the
# store each one names in the reason.
DATA_GRANTS = (
    ("s3:%", "s3"),
    ("s3-object-lambda:%", "s3"),
    ("dynamodb:%", "dynamodb"),
    ("rds-data:%", "rds"),
    ("athena:GetQueryResults", "athena"),
    ("secretsmanager:GetSecretValue", "secretsmanager"),
    ("secretsmanager:*", "secretsmanager"),
    ("ssm:GetParameter%", "ssm parameters"),
    ("ssm:*", "ssm parameters"),
    ("kms:Decrypt", "kms"),
    ("kms:*", "kms"),
    ("roles/storage.%", "cloud storage"),
    ("roles/bigquery.%", "bigquery"),
    ("roles/secretmanager.%", "secret manager"),
    ("Files.Read%", "files"),
    ("Sites.Read%", "sharepoint"),
    ("Mail.Read%", "mail"),
    ("contents:%", "repository contents"),
    ("scope:repo", "repository contents"),
    ("secrets:read", "repository secrets"),
)


@dataclass
class Facts:
    credentials: dict[str, dict[str, Any]]  # present credentials of the scan: id -> row
    by_identity: dict[str, list[dict[str, Any]]]
    copies: dict[str, set[str]]  # credential id -> files it was seen in
    agent_identities: dict[str, list[str]]  # identity id -> agents
    agent_credentials: dict[str, list[str]]  # credential id -> agents
    members: dict[str, dict[str, list[str]]]  # agent -> {"identity": [...], "credential": [...]}
    admin: set[str]
    escalations: dict[str, int]
    assumes: dict[str, int]
    assumed_by: dict[str, int]
    trust_any: set[str]
    data: dict[str, set[str]]  # identity id -> data stores its grants reach
    trusted_by: dict[str, int]  # identity id -> principals its trust names (not services)
    accepted: set[tuple[str, str]]  # (rule, resource) of suppressed findings: accepted risks


def load_facts(conn: DbConnection, scan_id: int, now: str) -> Facts:
    present = "k.first_scan <= :s AND (k.removed_scan IS NULL OR k.removed_scan > :s)"
    credentials: dict[str, dict[str, Any]] = {}
    by_identity: dict[str, list[dict[str, Any]]] = {}
    cur = conn.cursor()
    cur.row_factory = None
    for cid, identity_id, provider, kind, status, expires_at, age, unused, to_expiry in cur.execute(
        "SELECT k.id, k.identity_id, k.provider, k.kind, k.status, k.expires_at, "
        "CAST(julianday(:now) - julianday(k.created_at) AS INTEGER), "
        "CAST(julianday(:now) - julianday(COALESCE(k.last_used_at, k.created_at)) AS INTEGER), "
        f"CAST(julianday(k.expires_at) - julianday(:now) AS INTEGER) FROM credential k WHERE {present}",
        {"s": scan_id, "now": now},
    ):
        row = {
            "id": cid,
            "identity_id": identity_id,
            "provider": provider,
            "kind": kind,
            "active": status == "active",
            "long_lived": expires_at is None or (to_expiry is not None and to_expiry > 365),
            "age_days": age,
            "unused_days": unused,
        }
        credentials[cid] = row
        by_identity.setdefault(identity_id, []).append(row)
    copies: dict[str, set[str]] = {}
    for cid, file in cur.execute("SELECT credential_id, file FROM v_credential_copies"):
        copies.setdefault(cid, set()).add(file)
    agent_identities: dict[str, list[str]] = {}
    agent_credentials: dict[str, list[str]] = {}
    members: dict[str, dict[str, list[str]]] = {}
    for agent, member_type, member_id in cur.execute(
        "SELECT agent_name, member_type, member_id FROM agent_member ORDER BY agent_name, member_type, member_id"
    ):
        target = agent_identities if member_type == "identity" else agent_credentials
        target.setdefault(member_id, []).append(agent)
        members.setdefault(agent, {"identity": [], "credential": []})[member_type].append(member_id)
    admin: set[str] = set()
    escalations: dict[str, int] = {}
    assumes: dict[str, int] = {}
    assumed_by: dict[str, int] = {}
    for identity_id, kind, target in cur.execute("SELECT identity_id, kind, target FROM v_effective_permissions"):
        if kind == "admin":
            admin.add(identity_id)
        elif kind == "escalation":
            escalations[identity_id] = escalations.get(identity_id, 0) + 1
        elif kind == "assume":
            assumes[identity_id] = assumes.get(identity_id, 0) + 1
            assumed_by[target] = assumed_by.get(target, 0) + 1
    trust_any = {
        r[0]
        for r in cur.execute(
            "SELECT DISTINCT identity_id FROM v_trusts WHERE principal_type = 'any' OR principal IN ('*', 'AWS:*')"
        )
    }
    data: dict[str, set[str]] = {}
    likes = " OR ".join("action LIKE ?" for _ in DATA_GRANTS)
    for identity_id, action in cur.execute(
        f"SELECT DISTINCT identity_id, action FROM v_grants WHERE effect = 'Allow' AND ({likes})",
        [pattern for pattern, _ in DATA_GRANTS],
    ):
        store = next(name for pattern, name in DATA_GRANTS if like(pattern, action))
        data.setdefault(identity_id, set()).add(store)
    trusted_by = dict(
        cur.execute(
            "SELECT identity_id, COUNT(DISTINCT principal) FROM v_trusts WHERE principal_type <> 'service' "
            "GROUP BY identity_id"
        ).fetchall()
    )
    return Facts(
        credentials,
        by_identity,
        copies,
        agent_identities,
        agent_credentials,
        members,
        admin,
        escalations,
        assumes,
        assumed_by,
        trust_any,
        data,
        trusted_by,
        set(),
    )


def like(pattern: str, value: str) -> bool:
    """SQL LIKE (with % only) in Python, to name which pattern a row matched."""
    if pattern.endswith("%"):
        return value.lower().startswith(pattern[:-1].lower())
    return value.lower() == pattern.lower()


def identity_names(conn: DbConnection, by_identity: dict[str, list[dict[str, Any]]]) -> dict[str, tuple[str, str]]:
    """Display name and provider of the identities that have findings (removed ones included:
    a report of an older scan still names them)."""
    names = {}
    cur = conn.cursor()
    cur.row_factory = None
    for identity_id, name, provider in cur.execute(
        "SELECT id, name, provider FROM identity WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(sorted(by_identity)),),
    ):
        names[identity_id] = (name, provider)
    return names
