"""`nhi report`: render a scan from the inventory as table, JSON, SARIF, Markdown, CSV, HTML or OCSF."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from nhi_cli.cli.common import CliContext, cli_context
from nhi_cli.reports import check_options, check_writable, render_report, write_output
from nhi_cli.reports.model import Report
from nhi_cli.store.interface import DbConnection


class ReportFormat(StrEnum):
    table = "table"
    json = "json"
    sarif = "sarif"
    markdown = "markdown"
    csv = "csv"
    html = "html"
    ocsf = "ocsf"


class What(StrEnum):
    findings = "findings"
    inventory = "inventory"


FormatOption = Annotated[
    ReportFormat | None,
    typer.Option(
        "--format",
        "-f",
        help="table (default at a terminal), json, sarif, markdown, csv, html or ocsf (OCSF Detection Findings).",
        show_default=False,
    ),
]
OutputOption = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write the report to this file instead of stdout.", show_default=False),
]


def emit_report(
    st: CliContext,
    conn: DbConnection,
    fmt: str,
    *,
    scan_id: int | None,
    what: str = "findings",
    output: Path | None = None,
    limit: int | None = None,
    new_only: bool = False,
) -> Report:
    """Render one scan's report to stdout or ``output``; shared with `nhi scan --format`."""
    if output is not None:
        check_writable(output)
    to_terminal = output is None and st.out.is_terminal
    width = st.out.width if output is None else 100
    report, text = render_report(
        conn,
        fmt,
        scan_id=scan_id,
        what=what,
        width=max(60, width),
        color=to_terminal and fmt == "table",
        limit=limit,
        new_only=new_only,
    )
    write_output(text, output)
    if report.empty:
        st.say(f"nhi: scan {report.scan['id']} recorded no identities or credentials; see its coverage")
    if output is not None:
        st.say(f"nhi: wrote the {fmt} report of scan {report.scan['id']} to {output}")
    return report


def report(
    ctx: typer.Context,
    format: FormatOption = None,
    output: OutputOption = None,
    scan: Annotated[int | None, typer.Option("--scan", help="Scan id to report (default: the latest).")] = None,
    what: Annotated[
        What, typer.Option("--what", help="findings, or inventory (one row per credential; table, json, csv).")
    ] = What.findings,
    limit: Annotated[int | None, typer.Option("--limit", help="Rows of findings in table/markdown (0: all).")] = None,
    new_only: Annotated[
        bool,
        typer.Option("--new-only", help="Markdown for a pull request: new findings first, the rest folded away."),
    ] = False,
) -> None:
    """Render a scan from the inventory, never from a live scan, so any past scan can be reported again.

    Exit codes: 0 written; 2 bad option, or no such --scan;
    4 no inventory, no scan yet, or --output cannot be written.

    Examples:
      nhi report --format html --output nhi-report.html
      nhi report --format sarif --output nhi.sarif   (GitHub code scanning)
      nhi report --format csv --what inventory --scan 3 > credentials.csv
      nhi report --format ocsf --output findings.ocsf.json   (OCSF Detection Finding, class 2004)
      nhi report --format markdown --new-only >> "$GITHUB_STEP_SUMMARY"
    """

    st = cli_context(ctx)
    fmt = format.value if format else ("table" if output is None and st.out.is_terminal else "json")
    if format is None and output is not None:
        fmt = {
            ".html": "html",
            ".htm": "html",
            ".sarif": "sarif",
            ".md": "markdown",
            ".csv": "csv",
            ".json": "json",
        }.get(output.suffix.lower(), "json")
    check_options(fmt, what.value, new_only)
    with st.reading() as conn:
        emit_report(st, conn, fmt, scan_id=scan, what=what.value, output=output, limit=limit, new_only=new_only)


def register(app: typer.Typer) -> None:
    app.command("report")(report)
