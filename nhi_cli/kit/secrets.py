"""Identify a secret without keeping it.

nhi never stores, prints or logs a secret value. What it keeps instead is a short hint in the
style the provider itself shows (so a person can recognise the key) and a salted hash, so that
the same secret found in two places is recognised as one credential. The salt lives in the
inventory (``meta.secret_salt``) so hashes only compare within one inventory.
"""

from __future__ import annotations

import hashlib
import hmac
import re


def secret_hash(value: str, salt: str) -> str:
    return hmac.new(salt.encode(), value.encode(), hashlib.sha256).hexdigest()


def secret_hint(value: str, head: int = 4, tail: int = 4) -> str:
    """First and last few characters, the rest elided: 'sk-p...x1Yz'."""
    if len(value) <= head + tail + 4:
        return value[:2] + "..."
    return f"{value[:head]}...{value[-tail:]}"


# What an SDK's own error text can carry of a credential: an Authorization header it quotes, a
# bearer token, a URL's user:password@ or a signed query string, a key in a provider's format.
# Used where nhi records an exception it did not foresee (a failed scope, a failed revoke step):
# those texts reach the inventory, the revoke log and the terminal.
_CREDENTIAL_TEXT = [
    (
        re.compile(
            r"(?i)\b(authorization|x-api-key|api-key|x-goog-api-key)(['\"]?\s*[:=]\s*['\"]?)[^'\",}\s]+"
            r"(\s+[^'\",}\s]+)?"
        ),
        r"\1\2[redacted]",
    ),
    # a value, not a word: "token expired" reads on, "token 3fa9..." does not
    (re.compile(r"(?i)\b(bearer|basic|token)(\s+)(?=[A-Za-z._~+/=-]*[0-9])[A-Za-z0-9._~+/=-]{8,}"), r"\1\2[redacted]"),
    (re.compile(r"(://)[^/\s:@'\"]+:[^/\s@'\"]+@"), r"\1[redacted]@"),
    (re.compile(r"(://)[^/\s:@'\"]{20,}@"), r"\1[redacted]@"),  # a token as the URL's user name
    (
        re.compile(r"(?i)([?&][a-z0-9_.-]*(?:token|key|secret|signature|sig|password|code)[a-z0-9_.-]*=)[^&\s'\"]+"),
        r"\1[redacted]",
    ),
    (
        re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.S),
        "[redacted private key]",
    ),
    (
        re.compile(
            r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|sk-[A-Za-z0-9_-]{16,}"
            r"|xox[abeoprs]-[A-Za-z0-9-]{10,}|AIza[A-Za-z0-9_-]{30,}|glpat-[A-Za-z0-9_-]{16,}"
            r"|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})"
        ),
        "[redacted]",
    ),
]


def scrub_credentials(text: str) -> str:
    """``text`` with whatever looks like a credential replaced by ``[redacted]``."""
    for pattern, replacement in _CREDENTIAL_TEXT:
        text = pattern.sub(replacement, text)
    return text


def unexpected_error(exc: BaseException, limit: int | None = None) -> str:
    """How nhi records an exception it did not foresee: its type and its text, scrubbed."""
    return scrub_credentials(f"{type(exc).__name__}: {exc}")[:limit]
