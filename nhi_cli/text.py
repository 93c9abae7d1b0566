"""Making attacker-controlled text inert for people's eyes and for spreadsheets.

Identity names, tags and descriptions come from the providers and anyone who can create an
identity chooses them. Beyond each format's own escaping (HTML autoescape, JSON encoding,
CSV formula neutralising, Markdown code spans), text meant to be *read* gets control and
bidirectional-override characters shown as visible escapes, so a name cannot reorder what a
reviewer sees ("Trojan Source") or move a terminal's cursor. CSV cells that a spreadsheet
would run as a formula get a leading apostrophe (``csv_safe``).

A neutral module: reports, the CLI and anything else that prints inventory text use it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

from rich.markup import escape

# C0/C1 controls (but tab, newline, carriage return), bidi embeddings, overrides, isolates and
# marks, zero-width and other invisible format characters, lone surrogates and private use.
_ESCAPE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060"
    "\u2066-\u2069\ufeff\ud800-\udfff\ue000-\uf8ff]"
)
_BREAKS = re.compile("[\r\n\t]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def visible(value: object, oneline: bool = True) -> str:
    """``value`` as text with control and bidi characters written as ``\\uXXXX``."""
    if value is None:
        return ""
    text = str(value)
    if oneline:
        text = _BREAKS.sub(" ", text)
    return _ESCAPE.sub(_escape, text)


def markup_safe(value: object, oneline: bool = False) -> str:
    """For text interpolated into Rich markup or a table cell on a terminal: ``visible()``
    (Rich does not strip ESC, so ``\x1b[2J`` or an OSC 8 hyperlink would reach the terminal)
    and then Rich's markup escaped (``[link=...]`` prints as written). The one sanitiser every
    terminal printer of inventory text uses."""
    return escape(visible(value, oneline))


def shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "\u2026"


# A cell starting with one of these is run as a formula by spreadsheets (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """Neutralise a cell a spreadsheet would run as a formula (CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def write_csv(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: csv_safe(row.get(k)) for k in columns})
    return buffer.getvalue()
