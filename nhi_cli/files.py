"""Writing files that map an estate's weak points: owner-only and atomic.

A neutral module: reports (``nhi report --output``) and revoke plans (``--plan-out``) use it.
"""

from __future__ import annotations

import os
from pathlib import Path


def write_private(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` atomically (temp file + rename), readable by its owner
    only (0600), like the inventory: reports and revoke plans map an estate's weak points
    (admin keys, unused credentials, where keys were copied). Share them with chmod."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        os.fchmod(fd, 0o600)  # also when a stale temp file already existed
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except OSError:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise
