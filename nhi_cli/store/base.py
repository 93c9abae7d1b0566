"""What an open inventory offers whichever engine holds it (the Inventory protocol of
interface.py): SQLite's Store (db.py) and PostgresStore (postgres.py) differ only in how they
open a transaction and a read-only connection."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from nhi_cli.store.interface import DbConnection

Conn = TypeVar("Conn", bound=DbConnection)


class BaseStore(Generic[Conn]):
    """meta, secret_salt, latest_scan_id, close and the transaction, over ``conn``."""

    engine: str
    conn: Conn
    begin = "BEGIN"  # how the engine opens a write transaction

    def _control(self, statement: str) -> None:
        """Run BEGIN / COMMIT / ROLLBACK (each engine's connection, as is)."""
        self.conn.execute(statement)

    def _in_transaction(self) -> bool:
        """Whether a failed transaction still needs its ROLLBACK."""
        return True

    @contextmanager
    def transaction(self) -> Iterator[Conn]:
        """One atomic unit: everything inside commits together or not at all."""
        self._control(self.begin)
        try:
            yield self.conn
        except BaseException:
            if self._in_transaction():
                self._control("ROLLBACK")
            raise
        else:
            self._control("COMMIT")

    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    @property
    def secret_salt(self) -> str:
        return self.meta("secret_salt") or ""

    def latest_scan_id(self) -> int | None:
        row = self.conn.execute("SELECT MAX(id) FROM scan_run").fetchone()
        return row[0] if row else None

    def close(self) -> None:
        self.conn.close()
