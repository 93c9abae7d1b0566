"""Reading provider JSON payloads in transform_* functions: required fields and ISO times.

transform_* functions fail loudly when the API stops sending a field they depend on (the
connector turns the ValueError into a ``malformed_response`` scope error) rather than guess.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any


def require(item: dict, *keys: str, what: str) -> None:
    """Raise ValueError naming the ``keys`` missing from ``item`` ("GitHub deploy key payload ...")."""
    missing = [k for k in keys if k not in item]
    if missing:
        raise ValueError(f"{what} payload is missing {', '.join(missing)}")


def iso_time(value: Any) -> datetime | None:
    """An ISO-8601 timestamp as GitHub and Anthropic send it ('2026-11-28T21:00:00Z'); None if absent."""
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
