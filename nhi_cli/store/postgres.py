"""The inventory on PostgreSQL (psycopg 3, the `postgres` extra, imported only when used).

Everything nhi owns lives in one schema, ``nhi``: the tables of the numbered migrations (the same
files as SQLite's, through nhi_cli/store/dialect.py), the compatibility functions and the views
of views.sql. The connection sets ``search_path`` to it, so every query of the library, the rules
and `nhi query` runs unchanged. A database that holds tables nhi did not create, or an ``nhi``
schema from a newer nhi, is refused before anything is written. The URL's password never
appears in a message: errors name the server as ``postgresql://user@host:port/db``.

Concurrency: migrations run under a transaction-scoped advisory lock, so two nhi processes
opening a new database never migrate it twice; scans take the locks described in
nhi_cli/store/locks.py.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any, SupportsIndex
from urllib.parse import urlsplit, urlunsplit

from nhi_cli.errors import StoreError
from nhi_cli.store.base import BaseStore
from nhi_cli.store.dialect import to_postgres
from nhi_cli.store.schema import (
    apply_migrations,
    create_views,
    latest_version,
    refuse_newer,
    set_meta,
    views_outdated,
)

if TYPE_CHECKING:  # psycopg is imported when a postgresql:// inventory is opened
    import psycopg

Params = Sequence[Any] | dict[str, Any] | None

SCHEMA = "nhi"
APPLICATION_ID = "NHI1"
MIGRATION_LOCK = 0x4E484931  # advisory lock key held while migrating


def is_url(target: Any) -> bool:
    return isinstance(target, str) and target.split("://", 1)[0] in ("postgresql", "postgres")


def redact(url: str) -> str:
    """The URL with its password (and query string, which may carry one) removed."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "postgresql://(unreadable URL)"
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    user = f"{parts.username}@" if parts.username else ""
    return urlunsplit((parts.scheme, user + host, parts.path, "", ""))


def _scrub(message: str, url: str) -> str:
    password = urlsplit(url).password if "://" in url else None
    message = message.replace(url, redact(url))
    if password:
        message = message.replace(password, "***")
    return " ".join(message.split())


class Row(tuple[Any, ...]):
    """A result row as sqlite3.Row offers it: by index, by column name, dict(row)."""

    _names: dict[str, int]

    def __new__(cls, values: Iterable[Any], names: dict[str, int]) -> Row:
        row = super().__new__(cls, values)
        row._names = names
        return row

    def keys(self) -> list[str]:
        return list(self._names)

    def __getitem__(self, key: str | SupportsIndex | slice) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names[key])
        return tuple.__getitem__(self, key)


def _plain(value: Any) -> Any:
    """Values as SQLite returns them: booleans as 0/1, integral numerics as int."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _row_factory(cursor: psycopg.Cursor[Any]) -> Callable[[Sequence[Any]], Row]:
    names: dict[str, int] = {}
    for i, column in enumerate(cursor.description or []):
        names.setdefault(column.name, i)

    def make(values: Sequence[Any]) -> Row:
        return Row([_plain(v) for v in values], names)

    return make


class Cursor:
    """psycopg's cursor with what nhi reads from sqlite3's: lastrowid, iteration, rowcount."""

    def __init__(self, conn: Connection, raw: psycopg.Cursor[Row]) -> None:
        self._conn, self._raw = conn, raw

    def __iter__(self) -> Iterator[Row]:
        return iter(self._raw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)

    @property
    def description(self) -> list[tuple[str, None, None, None, None, None, None]] | None:
        return [(c.name, None, None, None, None, None, None) for c in self._raw.description or []] or None

    @property
    def lastrowid(self) -> int:
        row = self._conn.raw.execute("SELECT lastval()").fetchone()
        assert row is not None  # lastval() always answers one row
        value: int = row[0]
        return value

    def fetchone(self) -> Row | None:
        try:
            return self._raw.fetchone()
        except Exception as exc:  # psycopg.ProgrammingError: the statement returned no rows
            if "no result" in str(exc) or "the last operation didn't produce" in str(exc):
                return None
            raise


def _params(params: Params) -> Sequence[Any] | dict[str, Any]:
    """Always a container: psycopg then reads %% in the statement as a literal %."""
    if isinstance(params, dict):
        return params
    return list(params) if params is not None else []


class Connection:
    """A psycopg connection that speaks nhi's dialect (sqlite3's calling conventions)."""

    engine = "postgresql"
    # Set by code written for sqlite3 (``conn.row_factory = sqlite3.Row``) and ignored: rows
    # here are always readable by index and by name.
    row_factory: Any = None

    def __init__(self, raw: psycopg.Connection[Any], url: str) -> None:
        self.raw, self.url = raw, url

    def execute(self, sql: str, params: Params = ()) -> Cursor:
        # Parameters are merged client-side (safely quoted), as SQLite binds them: a NULL
        # parameter needs no type (`:p IS NULL OR provider = :p`) and a number compares with
        # a JSON value read as text the way the dialect's operators allow.
        from psycopg import ClientCursor

        cursor = ClientCursor(self.raw, row_factory=_row_factory)
        cursor.execute(to_postgres(sql), _params(params))
        return Cursor(self, cursor)

    def cursor(self) -> PlainCursor:
        """sqlite3's conn.cursor(): here a cursor whose rows are plain tuples."""
        return PlainCursor(self)

    def executemany(self, sql: str, seq: Iterable[Params]) -> Cursor:
        params = [_params(p) for p in seq]
        cursor = self.raw.cursor(row_factory=_row_factory)
        if params:
            cursor.executemany(to_postgres(sql), params)
        return Cursor(self, cursor)

    def create_function(self, *args: Any, **kwargs: Any) -> None:
        """The SQL functions nhi registers on SQLite exist in the schema (postgres_compat.sql)."""

    def set_authorizer(self, *args: Any) -> None:
        """Rule SQL is kept read-only on PostgreSQL by the rule loader's check (one SELECT) and,
        for `nhi query` and reports, by read-only transactions (Store.readonly)."""

    def close(self) -> None:
        self.raw.close()


class PlainCursor:
    """What reports use for bulk reads: execute, then iterate tuples (row_factory ignored)."""

    row_factory = None

    def __init__(self, conn: Connection):
        self._conn = conn
        self._raw: psycopg.ClientCursor[tuple[Any, ...]] | None = None  # once executed

    def execute(self, sql: str, params: Params = ()) -> PlainCursor:
        from psycopg import ClientCursor

        self._raw = ClientCursor(self._conn.raw)
        self._raw.execute(to_postgres(sql), _params(params))
        return self

    def _executed(self) -> psycopg.ClientCursor[tuple[Any, ...]]:
        assert self._raw is not None, "execute() first"
        return self._raw

    @property
    def description(self) -> list[tuple[str, None, None, None, None, None, None]] | None:
        return [(c.name, None, None, None, None, None, None) for c in self._executed().description or []] or None

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return (tuple(_plain(v) for v in row) for row in self._executed())

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self)


def connect(url: str, *, read_only: bool = False) -> Connection:
    try:
        import psycopg
    except ImportError:
        raise StoreError("a postgresql:// inventory needs psycopg: pip install 'nhi-cli[postgres]'") from None
    try:
        raw = psycopg.connect(url, autocommit=True, connect_timeout=10, application_name="nhi")
    except psycopg.Error as exc:
        raise StoreError(f"cannot connect to the inventory {redact(url)}: {_scrub(str(exc), url)}") from None
    raw.execute(f"SET search_path TO {SCHEMA}")
    raw.execute("SET TIME ZONE 'UTC'")
    if read_only:
        raw.execute("SET default_transaction_read_only = on")
    return Connection(raw, url)


# Tables whose insertion order the library reads (ORDER BY rowid: first seen first). SQLite
# keeps a rowid on every table; PostgreSQL gets one as an identity column on these two, which
# an upsert keeps, as SQLite's rowid is kept. No view selects it.
ROWID_TABLES = ("identity", "credential")


def _ddl(statement: str) -> str:
    """Table DDL differs in two places: SQLite's INTEGER PRIMARY KEY (a rowid alias that numbers
    itself) is PostgreSQL's identity column, and the rowid of ROWID_TABLES is made explicit."""
    statement = re.sub(
        r"\bINTEGER\s+PRIMARY\s+KEY\b", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", statement, flags=re.I
    )
    for table in ROWID_TABLES:
        statement = re.sub(
            rf"^(CREATE\s+TABLE\s+{table}\s*\()",
            r"\1 rowid BIGINT GENERATED ALWAYS AS IDENTITY,",
            statement,
            flags=re.I,
        )
    return statement


def _schema_state(conn: Connection) -> int:
    """The nhi schema version in this database, 0 when nhi has never written here.

    Raises StoreError, changing nothing, for a database with tables nhi did not create or a
    schema written by a newer nhi."""
    where = redact(conn.url)
    has_schema = conn.raw.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (SCHEMA,)).fetchone()
    if not has_schema:
        foreign = conn.raw.execute(
            "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
            "AND n.nspname NOT LIKE 'pg_toast%%' AND n.nspname NOT LIKE 'pg_temp%%' ORDER BY 1 LIMIT 1"
        ).fetchone()
        if foreign:
            raise StoreError(
                f"{where} holds tables nhi did not create ({foreign[0]}); use an empty database. Nothing was changed"
            )
        return 0
    try:
        rows = dict(
            conn.raw.execute(
                f"SELECT key, value FROM {SCHEMA}.meta WHERE key IN ('application_id', 'schema_version')"
            ).fetchall()
        )
    except Exception:
        rows = {}
    if rows.get("application_id") != APPLICATION_ID:
        empty = not conn.raw.execute(
            "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s", (SCHEMA,)
        ).fetchone()
        if empty:
            return 0
        raise StoreError(f"{where} has a schema {SCHEMA!r} that is not an nhi inventory; nothing was changed")
    version = int(rows.get("schema_version") or 0)
    refuse_newer(where, version)
    return version


def _compat_sql() -> str:
    return resources.files("nhi_cli.store").joinpath("postgres_compat.sql").read_text(encoding="utf-8")


def _statements(sql: str) -> list[str]:
    """Split on semicolons at the end of a line outside $$ bodies."""
    out, current, in_body = [], [], False
    for line in sql.splitlines():
        if line.strip().startswith("--") and not in_body:
            continue
        current.append(line)
        in_body ^= line.count("$$") % 2 == 1
        if not in_body and line.rstrip().endswith(";"):
            statement = "\n".join(current).strip().rstrip(";")
            if statement:
                out.append(statement)
            current = []
    if "\n".join(current).strip():
        out.append("\n".join(current).strip())
    return out


def _mark(conn: Connection, version: int, first: bool) -> None:
    """PostgreSQL keeps the schema version and nhi's mark as meta rows."""
    if first:
        conn.execute("INSERT INTO meta (key, value) VALUES ('application_id', ?)", (APPLICATION_ID,))
    set_meta(conn, "schema_version", str(version))


def migrate(conn: Connection) -> None:
    """Apply pending migrations, then recreate the compatibility functions and the views, in one
    transaction under an advisory lock (a second nhi opening the same database waits)."""
    raw = conn.raw
    raw.execute("BEGIN")
    try:
        raw.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        current = _schema_state(conn)  # again, under the lock: another process may have migrated
        if current == latest_version() and not views_outdated(conn):
            raw.execute("COMMIT")
            return
        raw.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        for (name,) in raw.execute(
            "SELECT table_name FROM information_schema.views WHERE table_schema = %s", (SCHEMA,)
        ).fetchall():
            raw.execute(f'DROP VIEW IF EXISTS {SCHEMA}."{name}" CASCADE')
        apply_migrations(conn, current, lambda version, first: _mark(conn, version, first), ddl=_ddl)
        for statement in _statements(_compat_sql()):
            raw.execute(statement)
        create_views(conn)
        raw.execute("COMMIT")
    except BaseException:
        raw.execute("ROLLBACK")
        raise


class PostgresStore(BaseStore[Connection]):
    """The Store interface (base.py; SQLite's is db.py) over one PostgreSQL connection."""

    engine = "postgresql"

    def __init__(self, url: str, conn: Connection):
        self.url, self.conn = url, conn
        self.path = redact(url)

    def _control(self, statement: str) -> None:
        self.conn.raw.execute(statement)  # psycopg itself: no dialect translation to apply

    def readonly(self) -> Connection:
        return connect(self.url, read_only=True)


def open_postgres(url: str, *, create: bool = True) -> PostgresStore:
    conn = connect(url)
    try:
        try:
            version = _schema_state(conn)
            if version == 0 and not create:
                raise StoreError(f"no inventory at {redact(url)}; run `nhi scan` first (or pass --db)")
            if version < latest_version() or views_outdated(conn):
                migrate(conn)
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"cannot open the inventory {redact(url)}: {_scrub(str(exc), url)}") from None
    except BaseException:
        conn.close()
        raise
    return PostgresStore(url, conn)
