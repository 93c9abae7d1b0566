"""Writing one scan into the inventory, atomically.

Everything a scan produced goes in one transaction: the scan record, per-scope results,
identities and credentials (upserted, with history when tracked attributes change), grants
(per principal, and policy documents once each with who holds them), trusts and credential
locations (replaced per scope), and whatever post-load steps run with it (rule evaluation).
A crash or Ctrl-C before COMMIT leaves the previous scan intact.

Only scopes that loaded (complete or partial) touch their rows: a denied or failed scope keeps
its earlier records exactly as they were, never marked removed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from nhi_cli import __version__
from nhi_cli.model import KEEPS_RECORDS, MALFORMED, Batch, PolicyGrant, Record, ScopeResult, iso
from nhi_cli.store.interface import DbConnection, Inventory
from nhi_cli.store.locks import hold_scan_write, hold_scope, sorted_scopes

PostLoad = Callable[[DbConnection, int], None]

IDENTITY_COLUMNS = (
    "id",
    "provider",
    "scope",
    "kind",
    "name",
    "created_at",
    "last_used_at",
    "enabled",
    "owner",
    "owner_source",
    "description",
    "is_platform",
    "tags",
    "attrs",
)
CREDENTIAL_COLUMNS = (
    "id",
    "identity_id",
    "provider",
    "scope",
    "kind",
    "name",
    "status",
    "created_at",
    "last_used_at",
    "expires_at",
    "supports_expiry",
    "key_id",
    "hint",
    "secret_hash",
    "attrs",
)
# last_used_at moves on every scan of a busy key; it is not a change worth a history entry.
UNTRACKED = {"last_used_at"}


def _row(record: Record, columns: Iterable[str]) -> dict[str, Any]:
    # getattr, not dataclasses.asdict: asdict deep-copies every tags/attrs dict only for it to
    # be serialised here (measured: 80% of a 3,800-row scope's load time went to the copies)
    row = {}
    for column in columns:
        value = getattr(record, column)
        if column in ("tags", "attrs", "condition", "conditions"):
            value = json.dumps(value, sort_keys=True, default=str) if value is not None else None
        elif hasattr(value, "isoformat"):
            value = iso(value)
        elif isinstance(value, bool):
            value = int(value)
        row[column] = value
    return row


def _tracked_hash(row: dict[str, Any]) -> str:
    tracked = {k: v for k, v in row.items() if k not in UNTRACKED}
    return hashlib.sha256(json.dumps(tracked, sort_keys=True, default=str).encode()).hexdigest()


def _upsert(
    conn: DbConnection,
    table: str,
    history: str,
    key: str,
    columns: tuple[str, ...],
    records: Sequence[Record],
    scan_id: int,
    now: str,
    provider: str,
    scope: str,
    mark_removed: bool = True,
) -> None:
    previous = dict(
        conn.execute(
            f"SELECT id, attrs_hash FROM {table} WHERE provider = ? AND scope = ?", (provider, scope)
        ).fetchall()
    )
    rows, snapshots = [], []
    for record in records:
        row = _row(record, columns)
        row["attrs_hash"] = _tracked_hash(row)
        if previous.get(row["id"]) != row["attrs_hash"]:
            snapshots.append((row["id"], scan_id, json.dumps(row, sort_keys=True)))
        rows.append(row)
    names = list(columns) + ["attrs_hash"]
    updates = ", ".join(f"{c} = excluded.{c}" for c in names if c != "id")
    conn.executemany(
        f"INSERT INTO {table} ({', '.join(names)}, first_seen, last_seen, first_scan, last_scan) "
        f"VALUES ({', '.join(':' + c for c in names)}, :now, :now, :scan, :scan) "
        f"ON CONFLICT(id) DO UPDATE SET {updates}, last_seen = :now, last_scan = :scan, "
        f"removed_at = NULL, removed_scan = NULL",
        [dict(row, now=now, scan=scan_id) for row in rows],
    )
    conn.executemany(f"INSERT OR REPLACE INTO {history} ({key}, scan_id, snapshot) VALUES (?, ?, ?)", snapshots)
    if not mark_removed:
        return
    conn.execute(
        f"UPDATE {table} SET removed_at = ?, removed_scan = ? "
        f"WHERE provider = ? AND scope = ? AND removed_at IS NULL AND last_scan <> ?",
        (now, scan_id, provider, scope, scan_id),
    )


def _replace(conn: DbConnection, table: str, records: Sequence[Record], provider: str, scope: str) -> None:
    conn.execute(f'DELETE FROM "{table}" WHERE provider = ? AND scope = ?', (provider, scope))
    if not records:
        return
    columns = [f.name for f in fields(records[0])]
    conn.executemany(
        f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})',
        # one row dict per record (building it once per column made loading grants ~15x slower)
        [tuple(row[c] for c in columns) for row in (_row(r, columns) for r in records)],
    )


def _once_per_document(rows: list[PolicyGrant]) -> list[PolicyGrant]:
    """A document's rows once per scope: two sources of one scope's batch (an account's
    policies and the SCPs above it) may both carry a document with the same digest. Each
    source gives a document's rows together, so the first run of rows of a document is kept."""
    kept: list[PolicyGrant] = []
    done: set[str] = set()
    current = None
    for row in rows:
        if row.document_id != current:
            if current is not None:
                done.add(current)
            current = row.document_id
        if current not in done:
            kept.append(row)
    return kept


def insert_scope_result(conn: DbConnection, scan_id: int, r: ScopeResult) -> None:
    """One scope's outcome in a scan: by a scan, and by `inventory push` copying one."""
    conn.execute(
        "INSERT INTO scope_result (scan_id, provider, scope, scope_name, status, error_code, message, "
        "gaps, api_calls, duration_ms, identities, credentials) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            scan_id,
            r.provider,
            r.scope,
            r.scope_name,
            r.status,
            r.error_code,
            r.message,
            json.dumps(r.gaps),
            json.dumps(dict(sorted(r.api_calls.items()))),
            r.duration_ms,
            r.identities,
            r.credentials,
        ),
    )


def write_scan(
    store: Inventory,
    *,
    started_at: datetime,
    finished_at: datetime,
    results: list[ScopeResult],
    batches: dict[tuple[str, str], Batch],
    demo: bool = False,
    operator: str | None = None,
    post_load: Sequence[PostLoad] = (),
    shard: str | None = None,
    summary_extra: dict[str, Any] | None = None,
) -> int:
    """Load one scan and run ``post_load`` steps, all in one transaction. Returns the scan id.

    ``shard`` ("K/N") marks a shard's write: it evaluates nothing and may run concurrently with
    the other shards' writes (see store/locks.py); a whole scan evaluates and runs alone."""
    now = iso(started_at)
    status = "complete" if all(r.loaded for r in results) else "incomplete"
    summary = {
        "identities": sum(r.identities for r in results if r.loaded),
        "credentials": sum(r.credentials for r in results if r.loaded),
        "scopes": len(results),
        "providers": sorted({r.provider for r in results}),
    }
    if shard:
        summary["shard"] = shard
    summary.update(summary_extra or {})
    with store.transaction() as conn:
        hold_scan_write(conn, evaluates=not shard and not summary_extra)
        scan_id = conn.execute(
            "INSERT INTO scan_run (started_at, finished_at, status, nhi_version, demo, operator, summary) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (now, iso(finished_at), status, __version__, int(demo), operator, json.dumps(summary)),
        ).lastrowid
        assert scan_id is not None  # an INSERT always sets it
        for r in sorted_scopes(r for r in results if r.loaded):  # before any scope's rows are written
            hold_scope(conn, r.provider, r.scope)
        for r in results:
            insert_scope_result(conn, scan_id, r)
            if not r.loaded:
                continue
            batch = batches.get((r.provider, r.scope), Batch())
            # An item that could not be read may still exist: nothing is marked removed then.
            whole = not any(gap.get("code") == MALFORMED or gap.get("keeps") == KEEPS_RECORDS for gap in r.gaps)
            _upsert(
                conn,
                "identity",
                "identity_history",
                "identity_id",
                IDENTITY_COLUMNS,
                batch.identities,
                scan_id,
                now,
                r.provider,
                r.scope,
                whole,
            )
            _upsert(
                conn,
                "credential",
                "credential_history",
                "credential_id",
                CREDENTIAL_COLUMNS,
                batch.credentials,
                scan_id,
                now,
                r.provider,
                r.scope,
                whole,
            )
            _replace(conn, "grant", batch.grants, r.provider, r.scope)
            _replace(conn, "policy_grant", _once_per_document(batch.policy_grants), r.provider, r.scope)
            _replace(conn, "policy_attachment", batch.attachments, r.provider, r.scope)
            _replace(conn, "trust", batch.trusts, r.provider, r.scope)
            _replace(conn, "credential_location", batch.locations, r.provider, r.scope)
            for person in batch.people:
                conn.execute(
                    "INSERT INTO person (id, name, email, active, source) VALUES (?,?,?,?,?) "
                    "ON CONFLICT(id) DO UPDATE SET name = excluded.name, email = excluded.email, "
                    "active = excluded.active, source = excluded.source",
                    (person.id.lower(), person.name, person.email, int(person.active), person.source),
                )
        for step in post_load:
            step(conn, scan_id)
    return scan_id
