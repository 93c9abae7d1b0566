"""Making attacker-controlled text inert for people's eyes.

Identity names, tags and descriptions come from the providers and anyone who can create an
identity chooses them. Beyond each format's own escaping (HTML autoescape, JSON encoding,
CSV formula neutralising, Markdown code spans), text meant to be *read* gets control and
bidirectional-override characters shown as visible escapes, so a name cannot reorder what a
reviewer sees ("Trojan Source") or move a terminal's cursor.
"""
from __future__ import annotations

import re

# C0/C1 controls (but tab, newline, carriage return), bidi embeddings, overrides, isolates and
# marks, zero-width and other invisible format characters, lone surrogates and private use.
_ESCAPE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060"
                     "\u2066-\u2069\ufeff\ud800-\udfff\ue000-\uf8ff]")
_BREAKS = re.compile("[\r\n\t]")


def _escape(match: re.Match) -> str:
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
    from rich.markup import escape

    return escape(visible(value, oneline))


def shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "\u2026"
