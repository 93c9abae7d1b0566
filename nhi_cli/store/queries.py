"""The CLI's reads of the inventory, in one place.

Command modules (nhi_cli/cli/*) ask these functions for rows and render them; they hold no SQL.
Each function reads the documented views where one exists (so what a command shows is what a
user's `nhi query` over the same view returns) and returns plain dicts or values. Rule SQL stays
in the rule folders, and the library's own workflows (scan load, findings, agents, reports,
revoke) keep the queries that belong to their step.
"""

from __future__ import annotations

import json
from typing import Any

from nhi_cli.store.interface import DbConnection

JSON_COLUMNS = ("tags", "attrs", "condition", "conditions")


def _decoded(row: Any) -> dict[str, Any]:  # sqlite3.Row or the PostgreSQL Row
    """A row as a dict with its JSON text columns parsed."""
    data = dict(row)
    for key in JSON_COLUMNS:
        if isinstance(data.get(key), str):
            data[key] = json.loads(data[key])
    return data


def list_identities(conn: DbConnection, provider: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
    """`nhi inventory list`: identities present now, with their active credential count."""
    rows = conn.execute(
        "SELECT id, provider, scope, kind, name, owner, enabled, active_credentials AS credentials, "
        "age_days, days_since_used FROM v_identities WHERE (CAST(:p AS TEXT) IS NULL OR provider = :p) "
        "AND (CAST(:k AS TEXT) IS NULL OR kind = :k) ORDER BY provider, scope, kind, name",
        {"p": provider, "k": kind},
    )
    return [dict(r) for r in rows]


def list_credentials(conn: DbConnection, provider: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
    """`nhi inventory list --what credentials`: credentials present now."""
    rows = conn.execute(
        "SELECT id, identity_id, provider, scope, kind, status, age_days, days_since_used, "
        "days_to_expiry, key_id, hint FROM v_credentials WHERE (CAST(:p AS TEXT) IS NULL OR provider = :p) "
        "AND (CAST(:k AS TEXT) IS NULL OR kind = :k) ORDER BY provider, scope, identity_id, id",
        {"p": provider, "k": kind},
    )
    return [dict(r) for r in rows]


def identity(conn: DbConnection, identity_id: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM v_identities WHERE id = ?", (identity_id,)).fetchone()
    return _decoded(row) if row is not None else None


def credential(conn: DbConnection, credential_id: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM v_credentials WHERE id = ?", (credential_id,)).fetchone()
    return _decoded(row) if row is not None else None


def similar_ids(conn: DbConnection, text: str, limit: int = 10) -> list[str]:
    """Ids of present identities and credentials whose id (or identity name) contains ``text``:
    the "did you mean" of `nhi inventory show`."""
    rows = conn.execute(
        "SELECT id FROM identity WHERE removed_at IS NULL AND (id LIKE :q OR name LIKE :q) "
        "UNION SELECT id FROM credential WHERE removed_at IS NULL AND id LIKE :q ORDER BY id LIMIT :n",
        {"q": f"%{text}%", "n": limit},
    )
    return [r[0] for r in rows]


def identity_credentials(conn: DbConnection, identity_id: str) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT * FROM v_credentials WHERE identity_id = ? ORDER BY id", (identity_id,))
    return [_decoded(r) for r in rows]


def identity_grants(conn: DbConnection, identity_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT effect, action, resource, condition, source, source_type, is_admin, is_full_wildcard, "
        "is_service_wildcard, is_privesc FROM v_grants WHERE identity_id = ? ORDER BY source, action",
        (identity_id,),
    )
    return [_decoded(r) for r in rows]


def identity_trusts(conn: DbConnection, identity_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT principal_type, principal, action, conditions, requires_external_id, "
        "requires_source_identity, subject_condition FROM v_trusts WHERE identity_id = ? "
        "ORDER BY principal_type, principal, action",
        (identity_id,),
    )
    return [_decoded(r) for r in rows]


def inventory_summary(conn: DbConnection) -> list[dict[str, Any]]:
    """Identities and credentials present now, by provider, scope and kind (after `nhi scan`)."""
    rows = conn.execute(
        """
        SELECT i.provider, i.scope, i.kind, COUNT(*) AS identities,
               SUM((SELECT COUNT(*) FROM credential k WHERE k.identity_id = i.id AND k.removed_at IS NULL))
                 AS credentials
        FROM identity i WHERE i.removed_at IS NULL
        GROUP BY i.provider, i.scope, i.kind ORDER BY i.provider, i.scope, i.kind
        """
    ).fetchall()
    return [dict(r) for r in rows]


def scope_results(conn: DbConnection, scan_id: int) -> list[dict[str, Any]]:
    """Per-scope outcome of one scan, gaps and API-call counts parsed."""
    rows = conn.execute(
        "SELECT provider, scope, scope_name, status, error_code, message, gaps, api_calls, duration_ms, "
        "identities, credentials FROM scope_result WHERE scan_id = ? ORDER BY provider, scope",
        (scan_id,),
    ).fetchall()
    out = []
    for r in rows:
        row = dict(r)
        row["gaps"] = json.loads(row["gaps"])
        row["api_calls"] = json.loads(row["api_calls"])
        out.append(row)
    return out


def scan_exists(conn: DbConnection, scan_id: int) -> bool:
    return conn.execute("SELECT 1 FROM scan_run WHERE id = ?", (scan_id,)).fetchone() is not None


def rules_of_scan(conn: DbConnection, scan_id: int) -> list[str]:
    """Ids of the rules a scan ran."""
    return [r[0] for r in conn.execute("SELECT rule_id FROM scan_rule WHERE scan_id = ? ORDER BY rule_id", (scan_id,))]


def agent_names(conn: DbConnection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT name FROM agent ORDER BY name")]


def latest_scan_was_demo(conn: DbConnection) -> bool:
    """Whether the newest scan was `nhi scan --demo` (its identities live in the demo fakes)."""
    row = conn.execute("SELECT demo FROM scan_run ORDER BY id DESC LIMIT 1").fetchone()
    return bool(row is not None and row[0])


def user_query(conn: DbConnection, sql: str) -> tuple[list[str], list[dict[str, Any]]]:
    """`nhi query`: the caller's SQL on a read-only connection; (columns, rows)."""
    cursor = conn.execute(sql)
    columns = [d[0] for d in cursor.description or []]
    return columns, [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
