"""Fixtures for the MCP connector tests; the helpers live in mcp_helpers.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from mcp_helpers import FIXTURES, Inventory, copy_tree  # noqa: E402


@pytest.fixture
def tree(tmp_path) -> Path:
    return copy_tree(FIXTURES / "mcp", tmp_path / "tree")


@pytest.fixture
def inventory(tmp_path):
    opened = []

    def open_(path: Path | None = None) -> Inventory:
        inv = Inventory(path or tmp_path / "nhi.db")
        opened.append(inv)
        return inv

    yield open_
    for inv in opened:
        inv.close()
