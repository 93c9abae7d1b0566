"""Splitting one estate's scopes across N runners (`nhi scan --shard K/N`).

A scope belongs to shard 1 + (sha256(provider, scope id) mod N): stable across runs and
runners (no coordination, no state), the same on every machine, and disjoint. Every runner
lists the scopes (cheap: one Organizations/Resource Manager listing) and keeps its own.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from nhi_cli.errors import ExitCode, NhiError


@dataclass(frozen=True)
class Shard:
    k: int  # 1-based
    n: int

    def __str__(self) -> str:
        return f"{self.k}/{self.n}"

    def owns(self, provider: str, scope_id: str) -> bool:
        return shard_of(provider, scope_id, self.n) == self.k


def shard_of(provider: str, scope_id: str, n: int) -> int:
    digest = hashlib.sha256(f"{provider}\0{scope_id}".encode()).digest()
    return 1 + int.from_bytes(digest[:8], "big") % n


def parse_shard(text: str | None) -> Shard | None:
    if text is None:
        return None
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        k = n = 0
    if not (n >= 1 and 1 <= k <= n):
        raise NhiError(f"--shard {text!r}: expected K/N with 1 <= K <= N (e.g. --shard 2/4)", ExitCode.USAGE)
    return Shard(k, n)
