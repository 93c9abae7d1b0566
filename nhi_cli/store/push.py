"""`nhi inventory push --to URL`: merge a local inventory into a shared one.

A laptop's MCP scan or an air-gapped runner's inventory joins the shared (PostgreSQL)
inventory as scans of its own. Every scan of the source becomes a scan of the target (same
times, status and per-scope results, marked with where it came from), and the source's
current rows of every scope it loaded are written with the newest of them, through the same
atomic load as a scan (other scopes of the target are untouched). First-seen times and the
versioned history of attributes come across from the source, so `nhi diff` and the report's
history stay right. Pushing the same inventory again adds nothing: each source scan is
recorded in the target (meta key ``pushed:<source>:<scan id>``) and skipped the next time.

Secret hashes are salted per inventory: a secret found on the laptop matches one found by
the shared scanners only when both inventories share NHI_SECRET_SALT.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, TypeVar

from nhi_cli.model import (
    Batch,
    Credential,
    CredentialLocation,
    Grant,
    Identity,
    Person,
    PolicyAttachment,
    PolicyGrant,
    Record,
    ScopeResult,
    Trust,
)
from nhi_cli.store.interface import DbConnection, Inventory
from nhi_cli.store.load import insert_scope_result, write_scan
from nhi_cli.store.locks import hold_scan_write

JSON_FIELDS = {"tags", "attrs", "condition", "conditions"}


@dataclass
class PushOutcome:
    source: str
    pushed_scans: list[int]  # target scan ids written
    skipped_scans: int  # source scans pushed before
    scopes: int
    # False when the two inventories hash secrets with different salts: the same secret on two
    # machines is then two credentials (set one NHI_SECRET_SALT before every machine's first scan)
    salt_matches: bool = True


R = TypeVar("R", bound=Record | ScopeResult)


def _record(cls: type[R], row: dict[str, Any]) -> R:
    values = {}
    for f in fields(cls):
        if f.name not in row:
            continue
        value = row[f.name]
        if f.name in JSON_FIELDS and isinstance(value, str):
            value = json.loads(value)
        values[f.name] = value
    return cls(**values)


def _rows(conn: DbConnection, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(sql, params).fetchall()]


def source_id(store: Inventory) -> str:
    """A stable name for an inventory that reveals nothing of its salt: from its own random
    id (inventories made before it had one: from the salt, which then was always its own; an
    organisation-wide NHI_SECRET_SALT is shared by every machine and names none of them)."""
    own = store.meta("inventory_id")
    return hashlib.sha256(("nhi-inventory\0" + (own or store.secret_salt)).encode()).hexdigest()[:16]


def _batches(conn: DbConnection, scopes: list[tuple[str, str]]) -> dict[tuple[str, str], Batch]:
    batches = {}
    for provider, scope in scopes:
        where = (provider, scope)
        batches[where] = Batch(
            identities=[
                _record(Identity, r)
                for r in _rows(
                    conn,
                    "SELECT * FROM identity WHERE provider = ? AND scope = ? AND removed_at IS NULL ORDER BY id",
                    where,
                )
            ],
            credentials=[
                _record(Credential, r)
                for r in _rows(
                    conn,
                    "SELECT * FROM credential WHERE provider = ? AND scope = ? AND removed_at IS NULL ORDER BY id",
                    where,
                )
            ],
            grants=[
                _record(Grant, r)
                for r in _rows(conn, 'SELECT * FROM "grant" WHERE provider = ? AND scope = ? ORDER BY id', where)
            ],
            policy_grants=[
                _record(PolicyGrant, r)
                for r in _rows(
                    conn, "SELECT * FROM policy_grant WHERE provider = ? AND scope = ? ORDER BY document_id, id", where
                )
            ],
            attachments=[
                _record(PolicyAttachment, r)
                for r in _rows(
                    conn, "SELECT * FROM policy_attachment WHERE provider = ? AND scope = ? ORDER BY id", where
                )
            ],
            trusts=[
                _record(Trust, r)
                for r in _rows(conn, "SELECT * FROM trust WHERE provider = ? AND scope = ? ORDER BY id", where)
            ],
            locations=[
                _record(CredentialLocation, r)
                for r in _rows(
                    conn,
                    "SELECT * FROM credential_location WHERE provider = ? AND scope = ? "
                    "ORDER BY credential_id, location, context",
                    where,
                )
            ],
        )
    if batches:
        first = next(iter(batches.values()))
        first.people = [_record(Person, r) for r in _rows(conn, "SELECT * FROM person ORDER BY id")]
    return batches


def push(source: Inventory, target: Inventory) -> PushOutcome:
    """Merge ``source`` (a Store) into ``target`` (a Store); idempotent. The newest source scan
    and its rows land in one transaction; earlier ones (records only) in one before it."""
    name = source_id(source)
    src = source.conn
    scans = _rows(src, "SELECT * FROM scan_run ORDER BY id")
    done = {r["key"] for r in _rows(target.conn, "SELECT key FROM meta WHERE key LIKE ?", (f"pushed:{name}:%",))}
    todo = [s for s in scans if f"pushed:{name}:{s['id']}" not in done]
    if not todo:
        return PushOutcome(name, [], len(scans), 0, source.secret_salt == target.secret_salt)
    newest = todo[-1]
    id_map: dict[int, int] = {}
    if todo[:-1]:  # earlier scans first (ids stay in time order): their record, results and history
        with target.transaction() as conn:
            hold_scan_write(conn, evaluates=False)
            for scan in todo[:-1]:
                id_map[scan["id"]] = _record_scan(conn, scan, name, _results(src, scan["id"]))
            _carry_history(src, conn, id_map, name, first_seen=False)
    results = _results(src, newest["id"])
    batches = _batches(src, [(r.provider, r.scope) for r in results if r.loaded])

    def carry(conn: DbConnection, scan_id: int) -> None:  # in the newest scan's transaction
        _carry_history(src, conn, {**id_map, newest["id"]: scan_id}, name, first_seen=True)

    target_id = write_scan(
        target,
        started_at=_time(newest["started_at"]),
        finished_at=_time(newest["finished_at"]),
        results=results,
        batches=batches,
        demo=bool(newest["demo"]),
        operator=newest["operator"],
        summary_extra={"pushed_from": name, "source_scan": newest["id"]},
        post_load=[carry],
    )
    return PushOutcome(
        name,
        sorted([*id_map.values(), target_id]),
        len(scans) - len(todo),
        len(batches),
        source.secret_salt == target.secret_salt,
    )


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _results(conn: DbConnection, scan_id: int) -> list[ScopeResult]:
    return [
        _record(ScopeResult, dict(r, gaps=json.loads(r["gaps"]), api_calls=json.loads(r["api_calls"])))
        for r in _rows(conn, "SELECT * FROM scope_result WHERE scan_id = ? ORDER BY provider, scope", (scan_id,))
    ]


def _record_scan(conn: DbConnection, scan: dict[str, Any], name: str, results: list[ScopeResult]) -> int:
    summary = dict(json.loads(scan["summary"] or "{}"), pushed_from=name, source_scan=scan["id"])
    scan_id = conn.execute(
        "INSERT INTO scan_run (started_at, finished_at, status, nhi_version, demo, operator, summary) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            scan["started_at"],
            scan["finished_at"],
            scan["status"],
            scan["nhi_version"],
            scan["demo"],
            scan["operator"],
            json.dumps(summary),
        ),
    ).lastrowid
    assert scan_id is not None  # an INSERT always sets it
    for r in results:
        insert_scope_result(conn, scan_id, r)
    return scan_id


def _carry_history(
    src: DbConnection, conn: DbConnection, id_map: dict[int, int], name: str, *, first_seen: bool
) -> None:
    """Attribute history (and, with the rows, first-seen times) from the source, mapped to the
    target's scans; then the pushed source scans are marked so that a second push skips them."""
    for table, key, history in (
        ("identity", "identity_id", "identity_history"),
        ("credential", "credential_id", "credential_history"),
    ):
        rows = (
            _rows(src, f"SELECT id, first_seen, first_scan FROM {table} WHERE removed_at IS NULL") if first_seen else []
        )
        for row in rows:
            conn.execute(
                f"UPDATE {table} SET first_seen = ?, first_scan = COALESCE(?, first_scan) "
                f"WHERE id = ? AND first_seen > ?",
                (row["first_seen"], id_map.get(row["first_scan"]), row["id"], row["first_seen"]),
            )
        for row in _rows(src, f"SELECT {key}, scan_id, snapshot FROM {history}"):
            if row["scan_id"] in id_map:
                conn.execute(
                    f"INSERT OR REPLACE INTO {history} ({key}, scan_id, snapshot) VALUES (?, ?, ?)",
                    (row[key], id_map[row["scan_id"]], row["snapshot"]),
                )
    for source_scan, target_scan in id_map.items():
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (f"pushed:{name}:{source_scan}", str(target_scan))
        )
