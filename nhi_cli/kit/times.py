"""Keeping recorded payloads as old as they were, whenever a fake serves them.

Fixtures are either recorded API payloads with real timestamps (GitHub, OpenAI, Anthropic),
moved by :func:`shift_times` from :data:`RECORDED_AT` to "now", or hand-written estates with
relative markers (``"now-400d"`` / ``"@now-400d"``, GCP and Azure) that
:func:`resolve_relative_times` replaces. Either way a key last used 2 days before "now" is
still 2 days unused whenever the demo or a test runs.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from nhi_cli.model import iso

# Recorded payloads in fixtures/ are as of this instant.
RECORDED_AT = datetime(2026, 11, 28, tzinfo=UTC)
_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")
_RELATIVE = re.compile(r"@?now([+-]\d+)d\Z")


def shift_times(value: Any, delta: timedelta, key: str = "") -> Any:
    """Move every timestamp in a payload by ``delta``: ISO text, and Unix seconds in ``*_at``."""
    if isinstance(value, dict):
        return {k: shift_times(v, delta, k) for k, v in value.items()}
    if isinstance(value, list):
        return [shift_times(v, delta, key) for v in value]
    if isinstance(value, str) and _ISO.match(value):
        moved = datetime.fromisoformat(value.replace("Z", "+00:00")) + delta
        return moved.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, int) and not isinstance(value, bool) and key.endswith("_at") and value > 10**9:
        return value + int(delta.total_seconds())
    return value


def resolve_relative_times(value: Any, now: datetime) -> Any:
    """Replace ``"now-400d"`` (or ``"@now-400d"``) strings with ISO timestamps relative to ``now``."""
    if isinstance(value, dict):
        return {k: resolve_relative_times(v, now) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_relative_times(v, now) for v in value]
    if isinstance(value, str) and (match := _RELATIVE.match(value)):
        return iso(now + timedelta(days=int(match.group(1))))
    return value


def load_relative_estate(path: Path, now: datetime) -> Any:
    """A hand-written JSON estate with its relative times resolved against ``now``."""
    return resolve_relative_times(json.loads(Path(path).read_text(encoding="utf-8")), now)
