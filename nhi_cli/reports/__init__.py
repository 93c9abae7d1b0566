"""Reports rendered from the inventory: table, json, sarif, markdown, csv, html, ocsf.

``build_report`` (model.py) reads the store once into a Report; each format module lays that
out. ``render_report`` is the one entry point the CLI (``nhi report``, ``nhi scan --format``)
uses, and ``write_output`` puts the text on stdout or into a file.
"""

from __future__ import annotations

from pathlib import Path

from nhi_cli import files
from nhi_cli.errors import ExitCode, NhiError
from nhi_cli.reports import csv_report, html, json_report, markdown, ocsf, sarif, table
from nhi_cli.reports.model import Report, build_report
from nhi_cli.store.interface import DbConnection

FORMATS = ("table", "json", "sarif", "markdown", "csv", "html", "ocsf")
INVENTORY_FORMATS = ("table", "json", "csv")  # formats that can list every credential


def check_options(fmt: str, what: str, new_only: bool = False) -> None:
    if fmt not in FORMATS:
        raise NhiError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}", ExitCode.USAGE)
    if what not in ("findings", "inventory"):
        raise NhiError(f"--what must be findings or inventory, not {what!r}", ExitCode.USAGE)
    if what == "inventory" and fmt not in INVENTORY_FORMATS:
        raise NhiError(f"--what inventory is available for {', '.join(INVENTORY_FORMATS)}, not {fmt}", ExitCode.USAGE)
    if new_only and fmt != "markdown":
        raise NhiError(f"--new-only shapes the markdown report (a pull-request comment), not {fmt}", ExitCode.USAGE)


def render(
    report: Report,
    fmt: str,
    what: str = "findings",
    *,
    width: int = 80,
    color: bool = False,
    limit: int | None = None,
    new_only: bool = False,
) -> str:
    """Lay out an already built Report in ``fmt``."""
    if fmt == "json":
        return json_report.render(report, what)
    if fmt == "sarif":
        return sarif.render(report)
    if fmt == "markdown":
        return markdown.render(report, **({"limit": limit} if limit is not None else {}), new_only=new_only)
    if fmt == "csv":
        return csv_report.render(report, what)
    if fmt == "html":
        return html.render(report)
    if fmt == "ocsf":
        return ocsf.render(report)
    return table.render(report, what, width=width, color=color, **({"limit": limit} if limit is not None else {}))


def render_report(
    conn: DbConnection,
    fmt: str,
    *,
    scan_id: int | None = None,
    what: str = "findings",
    width: int = 80,
    color: bool = False,
    limit: int | None = None,
    new_only: bool = False,
) -> tuple[Report, str]:
    """Build the report for ``scan_id`` (latest when None) and render it. Returns (report, text)."""
    check_options(fmt, what, new_only)
    report = build_report(conn, scan_id, with_credentials=what == "inventory")
    return report, render(report, fmt, what, width=width, color=color, limit=limit, new_only=new_only)


def check_writable(output: Path) -> None:
    """Fail before any work when ``output`` cannot be written (exit 4, nothing created)."""
    files.check_target(Path(output))


def write_output(text: str, output: Path | None) -> None:
    """Write to ``output`` atomically and owner-only (0600), or to stdout when None."""
    if output is None:
        files.write_stdout(text)
        return
    files.write_private(Path(output), text)
