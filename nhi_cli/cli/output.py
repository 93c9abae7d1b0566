"""Rendering rows for people (Rich tables) and machines (JSON, CSV) on stdout."""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table

from nhi_cli.errors import ExitCode, NhiError
from nhi_cli.text import markup_safe as escape  # markup and control characters inert
from nhi_cli.text import write_csv


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def only_table_or_json(fmt: Format) -> None:
    """A one-object view has no CSV form: refuse it (exit 2) rather than print a table."""
    if fmt is Format.csv:
        raise NhiError("--format must be table or json for this command", ExitCode.USAGE)


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=False, default=str)


def print_json(out: Console, data: Any) -> None:
    # print via the raw file, not Rich, so no markup or wrapping touches machine output
    out.file.write(dumps(data) + "\n")
    out.file.flush()


def render_rows(
    out: Console, rows: list[dict[str, Any]], columns: Sequence[str], fmt: Format, title: str | None = None
) -> None:
    if fmt is Format.json:
        print_json(out, rows)
    elif fmt is Format.csv:
        out.file.write(write_csv(rows, columns))
        out.file.flush()
    elif not fits(rows, columns, out.width):
        print_records(out, rows, columns, title)
    else:
        table = Table(title=title, show_lines=False, header_style="bold")
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            # escape: identity names and tags are attacker-controlled text, never markup
            table.add_row(*("" if row.get(c) is None else escape(str(row.get(c))) for c in columns))
        out.print(table)


def fits(rows: list[dict[str, Any]], columns: Sequence[str], width: int, cap: int = 20) -> bool:
    """Whether a table shows each column readably (up to ``cap`` characters) in ``width``."""
    need = 1
    for column in columns:
        longest = max([len(column)] + [len(str(r.get(column) or "")) for r in rows[:200]])
        need += min(longest, cap) + 3
    return need <= width


def print_records(out: Console, rows: list[dict[str, Any]], columns: Sequence[str], title: str | None = None) -> None:
    """A narrow terminal or an 80-column CI log: one block per row instead of a squeezed table,
    the first column on its own line and the others as `name: value` below it."""
    if title:
        out.print(f"[bold]{escape(title)}[/]", highlight=False)
    for row in rows:
        first, *rest = columns
        out.print(f"[bold]{escape(str(row.get(first) or ''))}[/]", highlight=False)
        details = [f"{c}: {escape(str(row[c]))}" for c in rest if row.get(c) not in (None, "")]
        if details:
            out.print("    " + "  ".join(details), highlight=False)
