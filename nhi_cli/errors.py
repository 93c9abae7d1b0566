"""Exit codes and the one exception type that carries them.

Exit codes are defined here once; the README lists them and every one has a test.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FINDINGS = 1  # findings at or above --fail-on
    USAGE = 2  # usage or configuration error (bad flag, nhi.yaml, rule file)
    INCOMPLETE = 3  # scan incomplete: a scope was denied or failed; results still written
    CANNOT_RUN = 4  # could not run: authentication, store unreadable or from a newer nhi
    ACTION_FAILED = 5  # revoke/restore: at least one step failed; see the revocation log
    DECLINED = 6  # revoke/restore: the operator answered no at the prompt; nothing was changed
    BUSY = 7  # the inventory stayed locked by another nhi process (a scan) past the lock timeout
    NO_SPACE = 8  # the disk (or quota) is full: nothing was committed
    INTERRUPTED = 130  # Ctrl-C


class NhiError(Exception):
    """An expected failure: printed as one line on stderr, never as a traceback."""

    def __init__(self, message: str, code: ExitCode = ExitCode.CANNOT_RUN):
        super().__init__(message)
        self.message = message
        self.code = code


class ConfigError(NhiError):
    def __init__(self, message: str):
        super().__init__(message, ExitCode.USAGE)


class StoreError(NhiError):
    def __init__(self, message: str):
        super().__init__(message, ExitCode.CANNOT_RUN)


def expected_error(exc: BaseException) -> NhiError | None:
    """Conditions that are not bugs though they surface as library exceptions: a lock held
    past the timeout, a full disk, a read-only inventory, a closed pipe. None for anything else."""
    import errno
    import sqlite3

    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        if "locked" in text or "busy" in text:
            return NhiError(
                "the inventory is locked by another nhi process (a scan still writing?); "
                "nothing was changed, try again when it finishes",
                ExitCode.BUSY,
            )
        if "disk is full" in text:
            return NhiError(
                "no space left on the device holding the inventory; nothing was committed", ExitCode.NO_SPACE
            )
        if "readonly database" in text or "read-only" in text:
            return NhiError(
                "the inventory cannot be written (read-only file system or permissions); read-only commands still work",
                ExitCode.CANNOT_RUN,
            )
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        where = f" writing {exc.filename}" if exc.filename else ""
        return NhiError(f"no space left on the device{where}; nothing was committed", ExitCode.NO_SPACE)
    if isinstance(exc, OSError) and exc.errno == errno.EROFS:
        return NhiError(f"read-only file system{': ' + str(exc.filename) if exc.filename else ''}", ExitCode.CANNOT_RUN)
    return None
