"""Limits on SQL that someone other than nhi wrote: `nhi query` and user rules.

A recursive CTE never ends, and SQLite runs it inside one C call that ignores Ctrl-C. A
progress handler (called every few thousand VM steps) stops the statement at a deadline, or
when SIGINT arrived: the signal handler only sets a flag, which the progress handler reads.

An interrupted SELECT leaves the transaction it runs in intact; an interrupted INSERT rolls
the whole transaction back (SQLite's rule). So user rules, which run inside the scan's
transaction, are stepped as plain SELECTs under the deadline (nhi_cli/rules/engine.py).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from nhi_cli.errors import ExitCode, NhiError
from nhi_cli.store.guard import reads_secret
from nhi_cli.store.interface import DbConnection

QUERY_TIMEOUT_ENV = "NHI_QUERY_TIMEOUT"
RULE_TIMEOUT_ENV = "NHI_RULE_TIMEOUT"
DEFAULT_QUERY_TIMEOUT = 60.0
DEFAULT_RULE_TIMEOUT = 120.0
STEPS = 10_000  # VM instructions between checks: a few hundred microseconds


class SqlTimeout(NhiError):
    def __init__(self, what: str, seconds: float, setting: str):
        super().__init__(f"{what} stopped at its deadline of {seconds:g} s ({setting})", ExitCode.USAGE)
        self.seconds = seconds


def timeout_from_env(var: str, default: float) -> float:
    raw = os.environ.get(var, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise NhiError(f"{var} must be a number of seconds, not {raw!r}", ExitCode.USAGE) from None
    if value <= 0:
        raise NhiError(f"{var} must be a positive number of seconds", ExitCode.USAGE)
    return value


class Deadline:
    """A point in time plus "Ctrl-C was pressed"; ``stepping`` arms it on a connection."""

    def __init__(self, seconds: float, what: str, setting: str):
        self.seconds, self.what, self.setting = seconds, what, setting
        self.end = time.monotonic() + seconds
        self.interrupted = False

    def _check(self) -> int:
        return 1 if self.interrupted or time.monotonic() > self.end else 0

    @contextmanager
    def stepping(self, conn: DbConnection) -> Iterator[None]:
        """Statements stepped inside the block stop at the deadline (SqlTimeout) or on Ctrl-C
        (KeyboardInterrupt). SQLite only: a PostgreSQL store has its server's own limits."""
        if not isinstance(conn, sqlite3.Connection):
            yield
            return
        previous = None
        if threading.current_thread() is threading.main_thread():
            previous = signal.getsignal(signal.SIGINT)
            signal.signal(signal.SIGINT, self._on_sigint)
        conn.set_progress_handler(self._check, STEPS)
        try:
            yield
        except sqlite3.OperationalError as exc:
            if self.interrupted:
                raise KeyboardInterrupt from None
            if "interrupted" in str(exc) and time.monotonic() > self.end:
                raise SqlTimeout(self.what, self.seconds, self.setting) from None
            raise
        finally:
            conn.set_progress_handler(None, 0)
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        if self.interrupted:  # Ctrl-C while Python, not SQLite, was running inside the block
            raise KeyboardInterrupt

    def _on_sigint(self, signum: int, frame: FrameType | None) -> None:
        self.interrupted = True


# `nhi query`: reading only. ATTACH (and VACUUM INTO, which SQLite authorizes as an ATTACH)
# would create files anywhere even on a read-only connection; the allow-list stops both.
_QUERY_ALLOWED = {
    sqlite3.SQLITE_SELECT,
    sqlite3.SQLITE_READ,
    sqlite3.SQLITE_FUNCTION,
    getattr(sqlite3, "SQLITE_RECURSIVE", 33),
}
# pragmas that only describe the schema (their argument is a table or index name)
_READ_PRAGMAS = {
    "table_info",
    "table_xinfo",
    "index_list",
    "index_info",
    "index_xinfo",
    "foreign_key_list",
    "collation_list",
    "function_list",
    "pragma_list",
}
_DENIED_FUNCTIONS = {"load_extension", "writefile", "readfile", "edit"}


def guard_query(conn: DbConnection) -> None:
    """`nhi query`'s connection reads only (SQLite; PostgreSQL's is a read-only transaction)."""
    if isinstance(conn, sqlite3.Connection):
        conn.set_authorizer(query_authorizer)


def query_authorizer(action: int, arg1: str | None, arg2: str | None, db_name: str | None, trigger: str | None) -> int:
    if reads_secret(action, arg1, arg2):  # the inventory's salt (guard.py): never to user SQL
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION:
        return sqlite3.SQLITE_DENY if (arg2 or "").lower() in _DENIED_FUNCTIONS else sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_UPDATE and arg1 in ("sqlite_master", "sqlite_schema"):
        # asked while pragma functions (pragma_table_info) read the schema; the connection is
        # mode=ro and query_only, so no write can happen anyway
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA:
        return sqlite3.SQLITE_OK if (arg1 or "").lower() in _READ_PRAGMAS else sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK if action in _QUERY_ALLOWED else sqlite3.SQLITE_DENY
