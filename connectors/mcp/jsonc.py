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
import re
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


# --- where each string is: the byte-exact edits of `nhi fix mcp` --------------------------------
JsonPath = tuple[str | int, ...]  # keys and indexes from the top of the document


class _Spans:
    """A scanner over the comment-blanked text (same offsets as the file): every string value
    with its path and its span, quotes included. It also rebuilds the whole document, so the
    caller can check that it read exactly what ``loads`` reads before trusting a span."""

    def __init__(self, text: str):
        self.text = text
        self.i = 0
        self.spans: dict[JsonPath, tuple[int, int]] = {}
        self.containers: dict[JsonPath, tuple[int, int]] = {}  # objects and arrays, brackets included

    def _ws(self) -> None:
        text, i = self.text, self.i
        while i < len(text) and text[i] in " \t\r\n\ufeff":
            i += 1
        self.i = i

    def _string(self) -> tuple[str, int, int]:
        text, start = self.text, self.i
        i = start + 1
        while i < len(text) and text[i] != '"':
            i += 2 if text[i] == "\\" else 1
        if i >= len(text):
            raise JsoncError(f"unterminated string at offset {start}")
        self.i = i + 1
        return json.loads(text[start : i + 1]), start, i + 1

    def value(self, path: JsonPath) -> Any:
        self._ws()
        if self.i >= len(self.text):
            raise JsoncError("unexpected end of the document")
        ch = self.text[self.i]
        if ch == '"':
            value, start, end = self._string()
            self.spans[path] = (start, end)
            return value
        if ch in "{[":
            start = self.i
            container = self._object(path) if ch == "{" else self._array(path)
            self.containers[path] = (start, self.i)
            return container
        match = _LITERAL.match(self.text, self.i)
        if match is None:
            raise JsoncError(f"unexpected character at offset {self.i}")
        self.i = match.end()
        return json.loads(match.group(0))

    def _object(self, path: JsonPath) -> dict[str, Any]:
        out: dict[str, Any] = {}
        self.i += 1
        self._ws()
        if self.text.startswith("}", self.i):
            self.i += 1
            return out
        while True:
            self._ws()
            if not self.text.startswith('"', self.i):
                raise JsoncError(f"expected a key at offset {self.i}")
            key, _start, _end = self._string()
            if key in out:  # the parsers of the clients disagree on which one wins
                raise JsoncError("a duplicate key")
            self._ws()
            if not self.text.startswith(":", self.i):
                raise JsoncError(f"expected ':' at offset {self.i}")
            self.i += 1
            out[key] = self.value((*path, key))
            self._ws()
            if self.text.startswith(",", self.i):
                self.i += 1
            elif self.text.startswith("}", self.i):
                self.i += 1
                return out
            else:
                raise JsoncError(f"expected ',' or '}}' at offset {self.i}")

    def _array(self, path: JsonPath) -> list[Any]:
        out: list[Any] = []
        self.i += 1
        self._ws()
        if self.text.startswith("]", self.i):
            self.i += 1
            return out
        while True:
            out.append(self.value((*path, len(out))))
            self._ws()
            if self.text.startswith(",", self.i):
                self.i += 1
            elif self.text.startswith("]", self.i):
                self.i += 1
                return out
            else:
                raise JsoncError(f"expected ',' or ']' at offset {self.i}")


_LITERAL = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null")


def string_spans(text: str) -> tuple[Any, dict[JsonPath, tuple[int, int]], dict[JsonPath, tuple[int, int]]]:
    """The document, the span of every string value and of every object and array in ``text``
    (offsets into ``text`` itself: comments are blanked in place, never removed). JsoncError
    when the scanner cannot read it, or reads something other than ``loads`` does: then no
    span may be trusted."""
    scanner = _Spans(strip_comments(text))
    doc = scanner.value(())
    scanner._ws()
    if scanner.i != len(text):
        raise JsoncError(f"text after the document at offset {scanner.i}")
    if doc != loads(text):
        raise JsoncError("the document reads differently to the span scanner")
    return doc, scanner.spans, scanner.containers
