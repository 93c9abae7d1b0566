"""The pre-commit hook (.pre-commit-hooks.yaml): plaintext secrets in the MCP/agent configs
being committed, reported as ``file:line: reason``, with no inventory left behind.

pre-commit passes the staged files that match the hook's pattern, relative to the repository
root. They are scanned as `nhi scan --mcp-path FILE...` would scan them, into an inventory in
a temporary directory that is deleted before the hook returns: a hook must not write an
nhi.db into the repository it guards. Exit 1 when a secret is found (the commit stops), the
scan's own code (2, 4) when it could not check, 0 otherwise.
"""

from __future__ import annotations

import io
import sqlite3
import sys
import tempfile
from contextlib import redirect_stdout
from pathlib import Path

from nhi_cli.cli.app import run

# The rule that judges a project config in a work tree; its evidence has the file and line.
RULE = "mcp_secret_in_repository_config"


def check(files: list[str]) -> tuple[int, list[str]]:
    """(exit code, one ``file:line: reason`` line per secret per file)."""
    if not files:
        return 0, []
    with tempfile.TemporaryDirectory(prefix="nhi-pre-commit-") as tmp:
        db = Path(tmp) / "nhi.db"
        args = ["--db", str(db), "-q", "scan", "--provider", "mcp"]  # never the clouds of a repo nhi.yaml
        for name in files:
            args += ["--mcp-path", name]
        with redirect_stdout(io.StringIO()):  # the scan summary; the hook prints its own lines
            code = run(args)
        if code not in (0, 1) or not db.exists():
            return code or 4, []
        conn = sqlite3.connect(db)
        try:
            rows = conn.execute(
                "SELECT json_extract(evidence, '$.file'), json_extract(evidence, '$.line'), reason "
                "FROM finding WHERE rule_id = ? AND status = 'open' ORDER BY 1, 2",
                (RULE,),
            ).fetchall()
        finally:
            conn.close()
    lines = [f"{file}:{line or 1}: {reason}" for file, line, reason in rows]
    return (1 if lines else 0), lines


def main(argv: list[str] | None = None) -> int:
    code, lines = check(list(sys.argv[1:] if argv is None else argv))
    for line in lines:
        print(line)
    if lines:
        print(
            f"nhi: {len(lines)} plaintext secret(s) in MCP configs; rotate them and use a reference "
            "(${env:NAME}, ${input:id}) instead",
            file=sys.stderr,
        )
    return code


if __name__ == "__main__":
    sys.exit(main())
