"""Reading provider JSON payloads in transform_* functions: required fields, times, one item at a time.

transform_* functions fail loudly when the API stops sending a field they depend on, rather
than guess. :func:`each` then turns that failure into a gap of the scope: one odd item (a
renamed field, a null, a timestamp written ``-8:00``) costs that item and is reported, it
never costs the other items, the other scopes or the scan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from nhi_cli.model import MALFORMED, Batch

MESSAGE_MAX = 300


def by_id(items: Iterable[Any], key: str = "id") -> dict[str, dict[str, Any]]:
    """A lookup of the well-formed items (objects whose ``key`` is a string) by that key; the
    others are left for each() or require() to report where they are read."""
    return {item[key]: item for item in items if isinstance(item, dict) and isinstance(item.get(key), str)}


def require(item: dict[str, Any], *keys: str, what: str, id_type: type | tuple[type, ...] = (str, int)) -> None:
    """Raise ValueError naming the ``keys`` missing (or null) in ``item``; an ``id`` (or
    ``*_id``) must be of ``id_type``, as the vendor documents it (it becomes part of nhi's ids)."""
    if not isinstance(item, dict):
        raise ValueError(f"{what} payload is a {type(item).__name__}, not an object")
    missing = [k for k in keys if item.get(k) is None or (item.get(k) == "" and (k == "id" or k.endswith("_id")))]
    if missing:
        raise ValueError(f"{what} payload is missing {', '.join(missing)}")
    for key in keys:
        if (key == "id" or key.endswith("_id")) and (isinstance(item[key], bool) or not isinstance(item[key], id_type)):
            raise ValueError(f"{what} payload has a {type(item[key]).__name__} {key}")


def text(value: Any, field: str) -> str | None:
    """A string field, or None; anything else (a number, an object) is a malformed payload."""
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"{field} is a {type(value).__name__}, not a string")


def required_text(value: Any, field: str) -> str:
    """A string field :func:`require` has checked is present: absent or not a string is malformed."""
    if isinstance(value, str):
        return value
    raise ValueError(f"{field} is missing" if value is None else f"{field} is a {type(value).__name__}, not a string")


def iso_time(value: Any) -> datetime | None:
    """An ISO-8601 timestamp ('2026-11-28T21:00:00Z', '...+08:00'); None if absent.

    Also reads the offsets some reports write without a leading zero ('-8:00'); anything
    else raises ValueError (the item becomes a gap, see :func:`each`)."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError(f"timestamp {value!r} is not a string")
    raw = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    if len(raw) > 5 and raw[-5] in "+-" and raw[-3] == ":" and raw[-4].isdigit():  # -8:00 -> -08:00
        raw = raw[:-4] + "0" + raw[-4:]
    parsed = datetime.fromisoformat(raw)
    if parsed.tzinfo is None:  # vendors document UTC
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def label(item: Any, what: str, *id_fields: str) -> str:
    """'OpenAI project API key key_1' (ids only: never a value that could be a secret)."""
    if isinstance(item, tuple) and item:  # (object, what was read beside it)
        item = item[0]
    if isinstance(item, dict):
        for name in id_fields or ("id",):
            if isinstance(item.get(name), (str, int)):
                return f"{what} {item[name]}"
    return what


def each(items: Iterable[Any] | None, fn: Callable[[Any], Batch], what: str, *id_fields: str) -> Batch:
    """Transform ``items`` one at a time into one Batch; an item that raises leaves nothing
    half-written and becomes a ``malformed_response`` gap naming it."""
    out = Batch()
    if items is None:
        return out
    if isinstance(items, (dict, str, bytes, int, float, bool)):
        out.gap(what, MALFORMED, f"expected a list of {what}, got {type(items).__name__}")
        return out
    for item in items:
        try:
            out.extend(fn(item))
        except Exception as exc:  # noqa: BLE001 - any error in one item is that item's gap
            out.gap(label(item, what, *id_fields), MALFORMED, f"{type(exc).__name__}: {exc}"[:MESSAGE_MAX])
    return out
