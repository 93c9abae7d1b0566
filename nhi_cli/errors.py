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
