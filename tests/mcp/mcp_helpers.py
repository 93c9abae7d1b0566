"""Helpers for the MCP connector tests: a copy of a fixture tree with its git work trees made
real, an nhi.yaml pointing at it, the inventory as a user would query it, and the search of
every output for planted secrets. (A module of its own: ``conftest`` is a name every test
folder uses.)"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def invoke(*args: str):
    """The root conftest's in-process CLI runner, usable from module-scoped fixtures too."""
    import io
    from contextlib import redirect_stderr, redirect_stdout
    from types import SimpleNamespace

    from nhi_cli.cli.app import run

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = run([str(a) for a in args])
    return SimpleNamespace(code=code, out=out.getvalue(), err=err.getvalue())


def copy_tree(source: Path, dest: Path) -> Path:
    """Copy a fixture tree; every folder holding GIT_REPO_MARKER becomes a git work tree with
    its files added (a ``.git`` folder cannot be committed inside nhi's own repository)."""
    from nhi_connectors.mcp.fake import make_work_tree

    shutil.copytree(source, dest, symlinks=True)
    for marker in dest.rglob("GIT_REPO_MARKER"):
        make_work_tree(marker.parent)
    return dest


def write_config(tmp_path: Path, **mcp) -> Path:
    import yaml

    settings = {
        k: ([str(p) for p in v] if isinstance(v, list) else str(v) if isinstance(v, Path) else v)
        for k, v in mcp.items()
    }
    path = tmp_path / "nhi.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "providers": {"mcp": settings}}))
    return path


class Inventory:
    def __init__(self, path: Path):
        self.conn = sqlite3.connect(path)
        self.conn.row_factory = sqlite3.Row
        self.salt = self.conn.execute("SELECT value FROM meta WHERE key = 'secret_salt'").fetchone()[0]

    def rows(self, sql: str, *args) -> list[dict]:
        return [dict(r) for r in self.conn.execute(sql, args).fetchall()]

    def identity(self, identity_id: str) -> dict:
        rows = self.rows("SELECT * FROM v_identities WHERE id = ?", identity_id)
        assert rows, f"no identity {identity_id}"
        row = rows[0]
        row["attrs"] = json.loads(row["attrs"])
        return row

    def credential_for(self, value: str) -> dict:
        from nhi_cli.kit.secrets import secret_hash

        rows = self.rows("SELECT * FROM v_credentials WHERE secret_hash = ?", secret_hash(value, self.salt))
        assert len(rows) == 1, f"expected one credential for a planted secret, got {len(rows)}"
        row = rows[0]
        row["attrs"] = json.loads(row["attrs"])
        row["locations"] = self.rows(
            "SELECT location, context FROM v_credential_locations WHERE credential_id = ? ORDER BY location", row["id"]
        )
        return row

    def close(self):
        self.conn.close()


def exposed_pieces(value: str, hint: str | None) -> list[str]:
    """The value and every 12-character piece of it a hint never shows (hex-only pieces are
    skipped: they could occur by chance in a hash)."""
    head, tail = "", ""
    if hint and "..." in hint:
        head, tail = hint.split("...", 1)
        if not value.startswith(head):
            head = ""
        if not value.endswith(tail):
            tail = ""
        assert len(head) <= 20 and len(tail) <= 8, "a hint shows more of a secret than a provider hint does"
    middle = value[len(head) : len(value) - len(tail)] if tail else value[len(head) :]
    pieces = [value]
    for start in range(0, max(1, len(middle) - 11), 3):
        piece = middle[start : start + 12]
        if len(piece) == 12 and not all(c in "0123456789abcdef" for c in piece.lower()):
            pieces.append(piece)
    return pieces


def assert_nowhere(secrets: dict[str, str | None], *texts: str | bytes, db_dir: Path | None = None) -> None:
    """No planted secret (nor a distinctive piece of it) in any output or database file."""
    blobs: list[tuple[str, bytes]] = [
        (f"output {i}", t.encode() if isinstance(t, str) else t) for i, t in enumerate(texts)
    ]
    if db_dir is not None:
        for path in sorted(db_dir.glob("*.db*")):
            blobs.append((path.name, path.read_bytes()))
    for value, hint in secrets.items():
        for piece in exposed_pieces(value, hint):
            for name, blob in blobs:
                assert piece.encode() not in blob, f"a piece of a planted secret is in {name}"
