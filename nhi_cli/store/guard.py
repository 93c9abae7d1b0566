"""What SQL written by users (`nhi query`, rules) may never read: the inventory's secrets.

``meta.value`` holds the secret salt of the inventory's hashes (and any later per-inventory
secret). Whoever has the salt can test guesses against every stored secret hash offline, and
the salt once signed revoke plans, so a rule or `nhi query "select value from meta"` could
forge one. SQLite asks the authorizer about every column a statement reads, through views and
attached copies alike, so denying the column there covers every way of naming it.
"""

from __future__ import annotations

import sqlite3

SECRET_COLUMNS = {("meta", "value")}


def reads_secret(action: int, table: str | None, column: str | None) -> bool:
    return action == sqlite3.SQLITE_READ and ((table or "").lower(), (column or "").lower()) in SECRET_COLUMNS


def deny_secrets(action: int, arg1: str | None, arg2: str | None, db_name: str | None, trigger: str | None) -> int:
    """An authorizer for read-only connections: everything as usual but the secret columns."""
    return sqlite3.SQLITE_DENY if reads_secret(action, arg1, arg2) else sqlite3.SQLITE_OK
