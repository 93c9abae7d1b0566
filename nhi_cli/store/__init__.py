"""The SQLite inventory: migrations, loading scans, documented views."""
from nhi_cli.store.db import Store, open_store

__all__ = ["Store", "open_store"]
