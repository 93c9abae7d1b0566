"""The revoke key and the files that sit beside the inventory for the kill switch.

Revoke plans are signed, and every revocation-log entry is authenticated, with a key that no
SQL can reach: it lives in its own file beside the inventory (``nhi.db.revoke-key``), 32
random bytes, created on first use with mode 0600 and never copied into the inventory. The
inventory's secret salt, by contrast, is a row in ``meta`` that a scan needs on its writable
connection; using it as the key let anyone with `nhi query` or a rule forge a plan.

The key is refused when another user owns it or others can read it, as SSH refuses a private
key: whoever can read it can forge plans and log entries.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from nhi_cli.errors import ExitCode, NhiError

KEY_BYTES = 32


def _base(db: str | Path) -> str:
    """Where the kill switch's files live: beside a SQLite inventory; for a PostgreSQL inventory
    (a URL, nothing beside it) per user under $XDG_CONFIG_HOME/nhi/revoke (~/.config), named
    by a hash of the URL without its password."""
    text = str(db)
    if not text.startswith(("postgresql://", "postgres://")):
        return text

    parts = urlsplit(text)
    bare = parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1] if "@" in parts.netloc else parts.netloc).geturl()
    user = parts.username or ""
    name = hashlib.sha256(f"{user}@{bare}".encode()).hexdigest()[:16]
    root = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "nhi" / "revoke"
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    return str(root / f"postgresql-{name}")


def key_path(db_path: str | Path) -> Path:
    return Path(f"{_base(db_path)}.revoke-key")


def log_path(db_path: str | Path) -> Path:
    """The revocation log: its own SQLite file, so a scan's write lock never blocks revoke."""
    return Path(f"{_base(db_path)}.revocations")


def _check(path: Path, fd: int) -> None:
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise NhiError(f"the revoke key {path} is not a regular file; nothing was changed", ExitCode.CANNOT_RUN)
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise NhiError(f"the revoke key {path} belongs to another user; nothing was changed", ExitCode.CANNOT_RUN)
    if info.st_mode & 0o077:
        raise NhiError(
            f"the revoke key {path} is readable by others (mode {stat.S_IMODE(info.st_mode):o}); "
            f"run `chmod 600 {path}` (and consider rotating it: delete it to start a new log); "
            "nothing was changed",
            ExitCode.CANNOT_RUN,
        )


def load_key(db_path: str | Path, *, create: bool = True) -> bytes:
    """The key for this inventory, created (0600, O_EXCL, no symlink followed) when missing."""
    path = key_path(db_path)
    if not create or path.exists() or path.is_symlink():
        return _read(path)
    return _create(path)


def _read(path: Path) -> bytes:
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise NhiError(
            f"no revoke key at {path}: nothing was revoked with this inventory yet", ExitCode.USAGE
        ) from None
    except OSError as exc:
        raise NhiError(
            f"cannot read the revoke key {path}: {exc.strerror}; nothing was changed", ExitCode.CANNOT_RUN
        ) from None
    try:
        _check(path, fd)
        data = os.read(fd, 4 * KEY_BYTES)
    finally:
        os.close(fd)
    try:
        key = bytes.fromhex(data.decode("ascii").strip())
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise NhiError(
            f"the revoke key {path} is damaged (expected {KEY_BYTES} bytes as hex); nothing was changed",
            ExitCode.CANNOT_RUN,
        )
    return key


def _create(path: Path) -> bytes:
    """Written whole to a private temporary file, then linked into place: a concurrent revoke
    sees either no key or the complete key, and the first one linked wins."""
    key = secrets.token_bytes(KEY_BYTES)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # 0600, O_EXCL
        try:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(key.hex() + "\n")
            os.link(tmp, path)
        finally:
            os.unlink(tmp)
    except FileExistsError:  # another revoke created it a moment ago: use that one
        return _read(path)
    except OSError as exc:
        raise NhiError(
            f"cannot create the revoke key {path}: {exc.strerror}; nothing was changed", ExitCode.CANNOT_RUN
        ) from None
    return key


def mac(key: bytes, data: bytes) -> str:
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return isinstance(a, str) and isinstance(b, str) and hmac.compare_digest(a, b)
