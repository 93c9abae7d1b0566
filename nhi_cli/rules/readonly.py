"""A sqlite3 authorizer that makes a connection read-only for a block.

Installed for the duration of each rule query (engine.py) and of each rule's compile check
(loader.py): it denies every action except reading, selecting and calling functions, and the
inventory's secrets (store/guard.py), so a rule cannot INSERT, UPDATE, DELETE, CREATE, DROP,
ATTACH, PRAGMA or end the transaction, even on the scan's writable connection.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from nhi_cli.store.guard import reads_secret
from nhi_cli.store.interface import DbConnection

ALLOWED = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION}
ALLOWED |= {getattr(sqlite3, "SQLITE_RECURSIVE", 33)}
DENIED_FUNCTIONS = {"load_extension", "writefile", "readfile", "edit"}


def authorize_read(action: int, arg1: str | None, arg2: str | None, db_name: str | None, trigger: str | None) -> int:
    if reads_secret(action, arg1, arg2):  # the salt: see nhi_cli/store/guard.py
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in DENIED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK if action in ALLOWED else sqlite3.SQLITE_DENY


@contextmanager
def guarded(conn: DbConnection, after: Callable[..., Any] | None = None) -> Iterator[DbConnection]:
    """Make ``conn`` read-only for the block: the authorizer denies anything but reads (and
    the inventory's secrets). ``after`` is the authorizer to put back (None: the scan's
    writable connection; ``deny_secrets`` for a Store.readonly() connection)."""
    conn.set_authorizer(authorize_read)
    try:
        yield conn
    finally:
        conn.set_authorizer(after)
