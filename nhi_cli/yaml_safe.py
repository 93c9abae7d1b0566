"""YAML that nhi reads from files someone else may have written: nhi.yaml, rule.yaml,
tests.yaml, people lists.

PyYAML's safe loader still expands aliases: a 500-byte file of nested ``*a`` references
("billion laughs") became gigabytes. None of nhi's files needs an alias or a merge key
(``<<: *x``), so an alias is an error at its line; nesting is capped too (a deep file made
the composer recurse past Python's limit), and so is the size of a file.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.error import Mark
from yaml.nodes import Node

MAX_DEPTH = 64
MAX_BYTES = 5_000_000


class Loader(yaml.SafeLoader):
    """SafeLoader without aliases, with a nesting limit; subclass it to add constructors."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def _next_mark(self) -> Mark | None:
        """Where the next event starts (the pure-Python parser's marks are yaml.error.Mark)."""
        # types-PyYAML leaves Parser.peek_event unannotated; it returns an Event
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
        return event.start_mark if isinstance(event.start_mark, Mark) else None

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            mark = self._next_mark()
            raise ComposerError(None, None, "aliases (*name) are not allowed in nhi's files", mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels", self._next_mark())
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def load(text: str, loader: type[Loader] = Loader) -> Any:
    """Like yaml.safe_load, but refusing aliases, deep nesting and huge text (yaml.YAMLError)."""
    if len(text) > MAX_BYTES:
        raise yaml.YAMLError(f"larger than {MAX_BYTES // 1_000_000} MB")
    return yaml.load(text, Loader=loader)  # noqa: S506 -- a SafeLoader subclass


def compose(text: str) -> Node | None:
    """The node tree (for line numbers), with the same limits."""
    if len(text) > MAX_BYTES:
        raise yaml.YAMLError(f"larger than {MAX_BYTES // 1_000_000} MB")
    return yaml.compose(text, Loader=Loader)
