"""Opening the inventory: file checks, numbered migrations, read-only connections.

The inventory is one SQLite file. Before anything is written nhi checks that the file is an
nhi inventory and not from a newer nhi; a file that fails either check is never modified.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import sys
from pathlib import Path
from urllib.parse import quote

from nhi_cli.errors import ConfigError, StoreError, expected_error
from nhi_cli.store.base import BaseStore
from nhi_cli.store.guard import deny_secrets
from nhi_cli.store.interface import DbConnection
from nhi_cli.store.schema import apply_migrations, create_views, latest_version, refuse_newer, views_outdated

APPLICATION_ID = 0x4E484931  # "NHI1": marks a SQLite file as an nhi inventory
SQLITE_HEADER = b"SQLite format 3\x00"


def readonly_uri(path: Path, immutable: bool = False) -> str:
    """A read-only SQLite URI for exactly ``path``: ``#`` and ``?`` in a file name are data,
    not a URI fragment or query (they used to open another file)."""
    uri = "file:" + quote(str(Path(path).absolute()), safe="/") + "?mode=ro"
    return uri + "&immutable=1" if immutable else uri


def connect_readonly(path: Path, *, check_same_thread: bool = True) -> sqlite3.Connection:
    """A connection that cannot write. On a read-only file system (or a directory we cannot
    write) SQLite cannot create the -shm file a WAL database needs even to read; the file is
    then opened as immutable (nobody can be writing it there either)."""
    conn = sqlite3.connect(readonly_uri(path), uri=True, check_same_thread=check_same_thread)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError:
        conn.close()
        if _writable(path):
            raise
        return sqlite3.connect(readonly_uri(path, immutable=True), uri=True, check_same_thread=check_same_thread)


def _writable(path: Path) -> bool:
    """Whether nhi could write the inventory: the file and its directory (-wal, -shm)."""
    parent = path.parent if str(path.parent) else Path(".")
    if not os.access(path, os.W_OK) or not os.access(parent, os.W_OK | os.X_OK):
        return False
    try:
        return not os.statvfs(parent).f_flag & os.ST_RDONLY
    except (OSError, AttributeError):
        return True


def _check_file(path: Path) -> bool:
    """Refuse an inventory file another user could have planted or can read; fix the mode of
    our own. Returns whether nhi can write it (False: read-only file system or permissions)."""
    link = os.lstat(path)
    try:
        info = os.stat(path)
    except OSError as exc:
        raise StoreError(f"cannot open the inventory {path}: {exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise StoreError(f"{path} is a directory, not an nhi inventory")
    if not stat.S_ISREG(info.st_mode):
        raise StoreError(f"{path} is not a regular file; refusing to use it as the inventory")
    if stat.S_ISLNK(link.st_mode) and info.st_size == 0:
        raise StoreError(
            f"{path} is a symlink to an empty file; a new inventory is created only as a regular file (remove the link)"
        )
    writable = _writable(path)
    if not writable or not hasattr(os, "geteuid"):
        return writable  # read-only use: the file is data, whoever wrote it
    if info.st_uid != os.geteuid():
        raise StoreError(
            f"{path} is owned by another user (uid {info.st_uid}); refusing to write an "
            f"inventory someone else controls (copy it, or use --db)"
        )
    if stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(path, 0o600)  # ours, but readable by others (an old umask): the owner's only now
        for suffix in ("-wal", "-shm"):
            try:
                os.chmod(f"{path}{suffix}", 0o600)
            except OSError:
                pass
    return writable


def _check_existing(path: Path) -> int:
    """Return the schema version of an existing nhi inventory, or 0 for an empty file.

    Raises StoreError, touching nothing, when the file is not an nhi inventory or is newer."""
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StoreError(f"cannot read the inventory {path}: {exc.strerror}") from exc
    if not header:
        return 0
    if header != SQLITE_HEADER:
        raise StoreError(f"{path} is not an nhi inventory (not a SQLite database); nothing was changed")
    try:
        conn = connect_readonly(path)
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version: int = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} is not a readable nhi inventory ({exc}); nothing was changed") from exc
    if app_id != APPLICATION_ID:
        if tables == 0 and app_id == 0:
            return 0
        raise StoreError(f"{path} is a SQLite database but not an nhi inventory; nothing was changed")
    refuse_newer(path, version)
    return version


def db_errors() -> tuple[type[BaseException], ...]:
    """The database errors of both engines (psycopg's only once a PostgreSQL store loaded it)."""
    psycopg = sys.modules.get("psycopg")
    return (sqlite3.Error, psycopg.Error) if psycopg is not None else (sqlite3.Error,)


def engine_of(conn: DbConnection) -> str:
    """'sqlite' or 'postgresql' for a connection from a Store."""
    return getattr(conn, "engine", "sqlite")


def _create_private_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)


class Store(BaseStore[sqlite3.Connection]):
    """A connection to the inventory with explicit transactions.

    The store interface every step uses (scan load, rules, agents, reports, diff, revoke):
    ``conn`` (execute/executemany in nhi's SQL dialect, rows by index and by name),
    ``transaction()``, ``readonly()``, ``meta()``, ``secret_salt``, ``latest_scan_id()``,
    ``close()`` and ``engine`` (base.py holds what both engines share). PostgresStore
    (postgres.py) offers the same over PostgreSQL."""

    engine = "sqlite"
    begin = "BEGIN IMMEDIATE"  # take the write lock now, not at the first write

    def __init__(self, path: Path, conn: sqlite3.Connection):
        self.path = path
        self.conn = conn

    def _in_transaction(self) -> bool:
        return self.conn.in_transaction  # SQLite has already rolled back after SQLITE_FULL

    def readonly(self) -> sqlite3.Connection:
        """A separate connection that cannot write, nor read the inventory's secrets
        (guard.py): for rules, `nhi query` and reports."""
        conn = connect_readonly(self.path, check_same_thread=False)
        conn.execute("PRAGMA query_only = 1")
        conn.set_authorizer(deny_secrets)
        conn.row_factory = sqlite3.Row
        return conn


def _drop_views(conn: sqlite3.Connection) -> None:
    """Before the migrations run: dropping the views frees them to alter tables a view reads."""
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'").fetchall():
        conn.execute(f'DROP VIEW "{name}"')


def _mark(conn: sqlite3.Connection, version: int, first: bool) -> None:
    """SQLite keeps the schema version and nhi's mark in the file header."""
    conn.execute(f"PRAGMA user_version = {int(version)}")
    if first:
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def _migrate(conn: sqlite3.Connection, current: int) -> None:
    """Apply the pending migrations and recreate the views, all in one transaction: a crash
    half-way leaves the inventory as it was."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        _drop_views(conn)
        apply_migrations(conn, current, lambda version, first: _mark(conn, version, first))
        create_views(conn)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # SQLite has already rolled back after SQLITE_FULL
            conn.execute("ROLLBACK")
        raise


def lock_timeout() -> float:
    """Seconds a write waits for another process's write lock (NHI_LOCK_TIMEOUT, default 30);
    then the command stops with exit 7 (nhi_cli/errors.py)."""
    try:
        return max(0.0, float(os.environ.get("NHI_LOCK_TIMEOUT", "30")))
    except ValueError:
        raise StoreError("NHI_LOCK_TIMEOUT must be a number of seconds") from None


def open_sqlite(path: str | os.PathLike[str], *, create: bool = True) -> Store:
    """Open (and create or migrate) the SQLite inventory at ``path`` (store/__init__.py picks
    the engine). One nhi cannot write (read-only file system, permissions) opens read-only:
    reads work, writes fail."""
    if str(path) == ":memory:" or str(path).startswith("file::memory:"):
        # Each command step opens the inventory anew (the scan writes, the gate and the summary
        # read back), so an in-memory one would be empty when the gate reads it: an empty
        # evaluation must never pass a gate. Refused rather than half supported.
        raise ConfigError(
            f"--db {path} (an in-memory inventory) is not supported: the gate would read an empty "
            'one; for a one-shot run use a temporary file, e.g. --db "$(mktemp -d)/nhi.db"'
        )
    path = Path(path)
    if path.exists() or path.is_symlink():
        writable = _check_file(path)
        version = _check_existing(path)
    elif create:
        try:
            _create_private_file(path)
        except OSError as exc:
            raise StoreError(f"cannot create the inventory {path}: {exc.strerror}") from exc
        version, writable = 0, True
    else:
        raise StoreError(f"no inventory at {path}; run `nhi scan` first (or pass --db)")
    if not writable:
        if version < latest_version():
            raise StoreError(
                f"the inventory {path} needs an upgrade to this nhi's schema but cannot be written "
                f"(read-only file system or permissions)"
            )
        try:
            readonly = connect_readonly(path, check_same_thread=False)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the inventory {path}: {exc}") from exc
        readonly.row_factory = sqlite3.Row
        return Store(path, readonly)
    conn: sqlite3.Connection | None = None
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=lock_timeout())
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        if version < latest_version() or views_outdated(conn):
            _migrate(conn, version)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.DatabaseError as exc:
        if conn is not None:
            conn.close()
        raise expected_error(exc) or StoreError(f"cannot open the inventory {path}: {exc}") from exc
    return Store(path, conn)
