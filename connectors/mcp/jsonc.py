"""JSON with comments (JSONC), as VS Code, Cursor and Claude read their config files.

VS Code's parser accepts ``//`` and ``/* */`` comments and trailing commas; people copy such
files into the other clients too. Rather than take a dependency for this, comments and
trailing commas are blanked out here by a small scanner that knows where strings start and
end (so ``"https://x"`` keeps its ``//``), and the result goes to the standard ``json``
parser. Offsets are preserved (comments become spaces, newlines are kept), so the line and
column in an error still point into the original file.

Errors never quote the document: they carry only a line and column, because the file may hold
a secret right next to the syntax error.
"""

from __future__ import annotations

import json
from typing import Any


class JsoncError(ValueError):
    """The file is not valid JSON(C). The message names a position, never file content."""


def strip_comments(text: str) -> str:
    """Blank out comments and trailing commas; keep every newline and string intact."""
    out = list(text)
    i, n = 0, len(text)
    last_comma = -1  # index of a comma that may turn out to be trailing
    while i < n:
        ch = text[i]
        if ch == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
            last_comma = -1
        elif ch == "/" and i + 1 < n and text[i + 1] == "/":
            while i < n and text[i] != "\n":
                out[i] = " "
                i += 1
        elif ch == "/" and i + 1 < n and text[i + 1] == "*":
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            for j in range(i, end):
                if text[j] != "\n":
                    out[j] = " "
            i = end
        elif ch == ",":
            last_comma = i
            i += 1
        elif ch in "}]":
            if last_comma >= 0:
                out[last_comma] = " "
            last_comma = -1
            i += 1
        else:
            if not ch.isspace():
                last_comma = -1
            i += 1
    return "".join(out)


def loads(text: str) -> Any:
    if text.startswith("\ufeff"):  # a BOM, as Windows editors write
        text = text[1:]
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass  # plain JSON failed: try again without comments and trailing commas
    try:
        return json.loads(strip_comments(text))
    except json.JSONDecodeError as exc:
        raise JsoncError(f"{exc.msg} at line {exc.lineno} column {exc.colno}") from None
