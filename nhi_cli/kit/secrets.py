"""Identify a secret without keeping it.

nhi never stores, prints or logs a secret value. What it keeps instead is a short hint in the
style the provider itself shows (so a person can recognise the key) and a salted hash, so that
the same secret found in two places is recognised as one credential. The salt lives in the
inventory (``meta.secret_salt``) so hashes only compare within one inventory.
"""

from __future__ import annotations

import hashlib
import hmac


def secret_hash(value: str, salt: str) -> str:
    return hmac.new(salt.encode(), value.encode(), hashlib.sha256).hexdigest()


def secret_hint(value: str, head: int = 4, tail: int = 4) -> str:
    """First and last few characters, the rest elided: 'sk-p...x1Yz'."""
    if len(value) <= head + tail + 4:
        return value[:2] + "..."
    return f"{value[:head]}...{value[-tail:]}"
