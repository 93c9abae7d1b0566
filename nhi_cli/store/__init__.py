"""The inventory: SQLite or PostgreSQL behind one interface; migrations, loading scans, views."""

from __future__ import annotations

import os

from nhi_cli.store.db import Store, open_sqlite
from nhi_cli.store.postgres import PostgresStore, open_postgres  # psycopg itself loads only when used

__all__ = ["PostgresStore", "Store", "open_store"]


def open_store(path: str | os.PathLike[str], *, create: bool = True) -> Store | PostgresStore:
    """Open (and create or migrate) the inventory at ``path``: a SQLite file, or a
    ``postgresql://`` URL (then psycopg is imported, and only then)."""
    if isinstance(path, str) and path.startswith(("postgresql://", "postgres://")):
        return open_postgres(path, create=create)
    return open_sqlite(path, create=create)
