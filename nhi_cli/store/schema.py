"""The inventory's schema, the same on both engines: the numbered migrations, views.sql, and the
steps every migration run takes whichever engine applies it.

SQLite (db.py) and PostgreSQL (postgres.py) differ only in how they open, lock and mark a
database (PRAGMA user_version vs meta rows, DDL rewrites); applying the migrations, recording
them, the new inventory's secrets and the views are this module's, run through the engine's
connection in nhi's SQL dialect (``?`` placeholders; PostgreSQL's adapter translates).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources

from nhi_cli.errors import StoreError
from nhi_cli.store.interface import DbConnection


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every migration shipped, in order. Gaps are allowed."""
    found = []
    for entry in resources.files("nhi_cli.store").joinpath("migrations").iterdir():
        if entry.name.endswith(".sql"):
            version = int(entry.name.split("_", 1)[0])
            found.append((version, entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def latest_version() -> int:
    return migrations()[-1][0]


def views_sql() -> str:
    """The documented views (views.sql): not versioned, recreated by every migration run."""
    return resources.files("nhi_cli.store").joinpath("views.sql").read_text(encoding="utf-8")


def views_digest() -> str:
    return hashlib.sha256(views_sql().encode()).hexdigest()


def schema_statements() -> list[str]:
    """Every statement that builds a new inventory: the migrations in order, then the views."""
    return [s for _, _, sql in migrations() for s in split_statements(sql)] + split_statements(views_sql())


def split_statements(sql: str) -> list[str]:
    """Split a script into statements so each migration runs inside one explicit transaction
    (executescript would commit on its own)."""
    statements, current = [], ""
    for line in sql.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            if current.strip():
                statements.append(current.strip())
            current = ""
    if current.strip() and not all(part.strip().startswith("--") or not part.strip() for part in current.splitlines()):
        statements.append(current.strip())
    return statements


def new_secret_salt() -> str:
    """The salt of a new inventory's secret hashes. NHI_SECRET_SALT (from a CI secret store)
    makes it the same in every fresh inventory, so ids derived from secrets (a key found in an
    MCP config) and the fingerprints of their findings stay stable for `--baseline`."""
    configured = os.environ.get("NHI_SECRET_SALT", "").strip()
    if configured:
        if len(configured) < 16:
            raise StoreError("NHI_SECRET_SALT must be at least 16 characters (use a random value)")
        return configured
    return secrets.token_hex(16)


def refuse_newer(where: object, version: int) -> None:
    """StoreError, before anything is written, for an inventory a newer nhi wrote."""
    if version > latest_version():
        raise StoreError(
            f"{where} was written by a newer nhi (schema {version}, this nhi knows up to "
            f"{latest_version()}); upgrade nhi to read it. Nothing was changed"
        )


def set_meta(conn: DbConnection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def apply_migrations(
    conn: DbConnection,
    current: int,
    mark: Callable[[int, bool], None],
    ddl: Callable[[str], str] = str,
) -> None:
    """Run the migrations after version ``current`` inside the caller's transaction, recording
    each in ``schema_migration``. ``mark(version, first)`` stamps the engine's own version
    marker; ``ddl`` rewrites a statement for the engine (PostgreSQL's identity columns). The
    first run also gives the new inventory its secret salt and its own random id."""
    for version, name, sql in migrations():
        if version <= current:
            continue
        for statement in split_statements(sql):
            conn.execute(ddl(statement))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migration "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        conn.execute(
            "INSERT INTO schema_migration VALUES (?, ?, ?)",
            (version, name, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")),
        )
        mark(version, current == 0)
        if current == 0:
            conn.execute("INSERT INTO meta (key, value) VALUES ('secret_salt', ?)", (new_secret_salt(),))
            # who this inventory is when pushed: its own, even when every machine of an
            # organisation shares one NHI_SECRET_SALT (push.source_id)
            conn.execute("INSERT INTO meta (key, value) VALUES ('inventory_id', ?)", (secrets.token_hex(16),))
        current = version


def create_views(conn: DbConnection) -> None:
    """views.sql's views, and the digest that tells the next open whether they are current.
    The caller has dropped the old views (each engine lists its own) in the same transaction."""
    for statement in split_statements(views_sql()):
        conn.execute(statement)
    set_meta(conn, "views_digest", views_digest())


def views_outdated(conn: DbConnection) -> bool:
    row = conn.execute("SELECT value FROM meta WHERE key = 'views_digest'").fetchone()
    return row is None or row[0] != views_digest()
