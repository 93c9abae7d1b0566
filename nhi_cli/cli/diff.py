"""`nhi diff [SCAN_A] [SCAN_B]`: what appeared, disappeared and changed between two scans."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from nhi_cli.cli.common import cli_context
from nhi_cli.reports import check_writable, write_output
from nhi_cli.reports.diff import build_diff, render_json, render_markdown, render_table


class DiffFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


def diff(
    ctx: typer.Context,
    scan_a: Annotated[
        int | None, typer.Argument(help="The older scan (default: the one before SCAN_B).", show_default=False)
    ] = None,
    scan_b: Annotated[
        int | None, typer.Argument(help="The newer scan (default: the latest).", show_default=False)
    ] = None,
    format: Annotated[
        DiffFormat | None,
        typer.Option("--format", "-f", help="table (default at a terminal), json or markdown.", show_default=False),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.", show_default=False)
    ] = None,
) -> None:
    """Compare two scans: identities and credentials that appeared, disappeared or changed
    (and which attributes), and findings new and resolved.

    Exit codes: 0 written; 2 no such scan, SCAN_A not older than SCAN_B,
    or only one scan; 4 no inventory, or --output cannot be written.

    Examples:
      nhi diff                      (the previous scan against the latest)
      nhi diff 3 7 --format markdown >> "$GITHUB_STEP_SUMMARY"
    """

    st = cli_context(ctx)
    fmt = format.value if format else ("table" if output is None and st.out.is_terminal else "json")
    if output is not None:
        check_writable(output)
    with st.reading() as conn:
        doc = build_diff(conn, scan_a, scan_b)
    if fmt == "json":
        text = render_json(doc)
    elif fmt == "markdown":
        text = render_markdown(doc)
    else:
        text = render_table(
            doc, width=max(60, st.out.width if output is None else 100), color=output is None and st.out.is_terminal
        )
    write_output(text, output)


def register(app: typer.Typer) -> None:
    app.command("diff")(diff)
