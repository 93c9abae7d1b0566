"""Files nhi writes for the user: reports, baselines, revoke plans.

They are written the way a shared directory (/tmp, a CI workspace) requires: into a temporary
file that ``mkstemp`` creates with a random name, ``O_EXCL`` and mode 0600 in the target's own
directory (so nobody can plant a symlink at its name), then renamed over the target (a symlink at
the target is replaced, never written through). A target that is not a regular file (a device,
a pipe) or that is an nhi inventory (``-o nhi.db`` would destroy the revocation log) is refused
before anything is written. Every failure is an NhiError: one line, exit 4 (8 for a full disk,
2 for naming the inventory, a usage mistake).
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import IO

from nhi_cli.errors import ExitCode, NhiError

SQLITE_HEADER = b"SQLite format 3\x00"
NHI_APPLICATION_ID = (0x4E484931).to_bytes(4, "big")  # PRAGMA application_id, at byte 68


def is_inventory(path: Path) -> bool:
    """An nhi inventory (by content, wherever it is), or the -wal/-shm/-journal file of one."""
    for suffix in ("-wal", "-shm", "-journal"):
        if path.name.endswith(suffix):
            return is_inventory(path.with_name(path.name[: -len(suffix)]))
    try:
        with open(path, "rb") as handle:
            head = handle.read(72)
    except OSError:
        return False
    return head.startswith(SQLITE_HEADER) and head[68:72] == NHI_APPLICATION_ID


def check_target(target: Path, what: str = "the report") -> None:
    """Refuse, before any work, a target that cannot or must not be replaced."""
    target = Path(target)
    try:
        info = os.stat(target)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise NhiError(f"cannot write {what} to {target}: {exc.strerror}", ExitCode.CANNOT_RUN) from None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise NhiError(f"cannot write {what} to {target}: it is a directory", ExitCode.CANNOT_RUN)
        if not stat.S_ISREG(info.st_mode):
            raise NhiError(
                f"cannot write {what} to {target}: not a regular file (a device, pipe or socket); nothing was written",
                ExitCode.CANNOT_RUN,
            )
    if is_inventory(target):
        raise NhiError(
            f"refusing to write {what} over {target}: it is an nhi inventory; choose another file", ExitCode.USAGE
        )
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise NhiError(f"cannot write {what} to {target}: directory {parent} does not exist", ExitCode.CANNOT_RUN)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise NhiError(f"cannot write {what} to {target}: permission denied", ExitCode.CANNOT_RUN)


def write_private(target: Path, text: str, what: str = "the report") -> None:
    """Write ``text`` to ``target`` atomically, readable by its owner only (0600): reports and
    revoke plans map an estate's weak points. Share them with chmod."""
    target = Path(target)
    check_target(target, what)
    parent = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
    except OSError as exc:
        raise NhiError(f"cannot write {what} to {target}: {exc.strerror}", ExitCode.CANNOT_RUN) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise NhiError(
            f"cannot write {what} to {target}: {exc.strerror or exc}; nothing was changed", _code(exc)
        ) from None


def write_stdout(text: str, stream: IO[str] | None = None) -> None:
    """Data on stdout; a closed or full stdout (``> /dev/full``) is one line, exit 4."""
    stream = stream or sys.stdout
    try:
        stream.write(text)
        stream.flush()
    except OSError as exc:
        raise NhiError(f"cannot write to standard output: {exc.strerror or exc}", _code(exc)) from None


def _code(exc: OSError) -> ExitCode:
    """A full disk (or quota) has its own exit code: the one failure a retry after cleaning fixes."""
    return ExitCode.NO_SPACE if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)) else ExitCode.CANNOT_RUN
