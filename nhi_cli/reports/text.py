"""Making attacker-controlled text inert for people's eyes.

Identity names, tags and descriptions come from the providers and anyone who can create an
identity chooses them. Beyond each format's own escaping (HTML autoescape, JSON encoding,
CSV formula neutralising, Markdown code spans), text meant to be *read* gets control and
bidirectional-override characters shown as visible escapes, so a name cannot reorder what a
reviewer sees ("Trojan Source") or move a terminal's cursor.
"""
from __future__ import annotations

import unicodedata

# Bidi embeddings, overrides, isolates and marks, plus other invisible format characters.
INVISIBLE = {"\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
             "\u200e", "\u200f", "\u061c", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"}


def visible(value: object, oneline: bool = True) -> str:
    """``value`` as text with control and bidi characters written as ``\\uXXXX``."""
    if value is None:
        return ""
    text = str(value)
    out = []
    for ch in text:
        if ch in "\r\n\t":
            out.append(" " if oneline else ch)
        elif ch in INVISIBLE or unicodedata.category(ch) in ("Cc", "Cs", "Co"):
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


def shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "\u2026"
