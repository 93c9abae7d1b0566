"""The terminal report (Rich): a summary and the findings, readable in an 80-column CI log.

Values from the inventory are wrapped in ``Text`` (never parsed as Rich markup) after
``visible()`` turned control and bidi characters into escapes.
"""

from __future__ import annotations

import io
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from nhi_cli.reports.model import PROPERTIES, Report, headline_status
from nhi_cli.severity import SEVERITIES
from nhi_cli.text import visible

DEFAULT_LIMIT = 100
SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}


def _t(value: object, style: str | None = None) -> Text:
    return Text(visible(value), style=style or "")


def _findings(title: str, findings: list[dict[str, Any]], limit: int) -> Table:
    table = Table(
        title=title, title_justify="left", box=box.SIMPLE_HEAD, header_style="bold", expand=True, pad_edge=False
    )
    table.add_column("severity", no_wrap=True, width=8)
    table.add_column("rule / resource", ratio=2, overflow="fold")
    table.add_column("reason", ratio=3, overflow="fold")
    for f in findings[:limit]:
        sev = Text(f["severity"], style=SEVERITY_STYLE.get(f["severity"], ""))
        if f["is_new"]:
            sev.append("\nnew", style="bold")
        who = Text.assemble(
            _t(f["rule_id"], "bold"), "\n", _t(f"{f['provider']}:{f['resource_name'] or f['resource_id']}")
        )
        table.add_row(sev, who, _t(f["reason"]))
    if len(findings) > limit:
        table.caption = f"{len(findings) - limit} more not shown (--limit 0 shows all; csv/json list every one)"
    return table


FIX_FIRST_ROWS = 5


def _fix_first(report: Report) -> Table:
    """The top of the fix-first list: what to fix, why, and the command."""
    table = Table(
        title="Fix first", title_justify="left", box=box.SIMPLE_HEAD, header_style="bold", expand=True, pad_edge=False
    )
    table.add_column("#", justify="right", no_wrap=True, width=3)
    table.add_column("identity or agent", ratio=2, overflow="fold")
    table.add_column("why / fix", ratio=3, overflow="fold")
    for item in report.fix_first[:FIX_FIRST_ROWS]:
        who = Text.assemble(_t(item.name, "bold"), "\n", _t(f"{item.kind}, score {item.score}"))
        fix = item.action.get("command") or item.action.get("text") or ""
        table.add_row(str(item.rank), who, Text.assemble(_t("; ".join(item.reasons[:2])), "\n", _t(fix, "bold")))
    if len(report.fix_first) > FIX_FIRST_ROWS:
        table.caption = f"{len(report.fix_first) - FIX_FIRST_ROWS} more: nhi findings list --top N"
    return table


def _credentials(report: Report, limit: int) -> Table:
    table = Table(title="Credentials", title_justify="left", box=box.SIMPLE_HEAD, header_style="bold", expand=True)
    for column in ("provider", "identity", "kind", "status", "age (d)", "unused (d)"):
        table.add_column(column, overflow="fold", justify="right" if "(d)" in column else "left")
    creds = report.credentials or []
    for c in creds[:limit]:
        table.add_row(
            _t(c["provider"]),
            _t(c["identity_name"] or c["identity_id"]),
            _t(c["kind"]),
            _t(c["status"]),
            _t(c["age_days"] if c["age_days"] is not None else "-"),
            _t(c["days_since_used"] if c["days_since_used"] is not None else "-"),
        )
    if len(creds) > limit:
        table.caption = f"{len(creds) - limit} more not shown (--limit 0 shows all)"
    return table


def text_console(buffer: io.StringIO, width: int, color: bool) -> Console:
    """A console that renders into ``buffer``: plain text, or ANSI colours when asked for."""
    return Console(
        file=buffer,
        width=width,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        highlight=False,
        soft_wrap=False,
    )


def render(
    report: Report, what: str = "findings", width: int = 80, color: bool = False, limit: int = DEFAULT_LIMIT
) -> str:
    limit = limit or 10**9
    buffer = io.StringIO()
    console = text_console(buffer, width, color)
    scan, counts, inv = report.scan, report.counts, report.inventory
    status = headline_status(scan, report.coverage)[1]  # partial while a scope was only partly read
    console.print(Text(f"nhi report: scan {scan['id']} at {scan['started_at']}, {status}", style="bold"))
    console.print(
        f"{inv['identities']} identities, {inv['credentials']} credentials; "
        f"{counts['total']} open findings ({counts['new']} new), {len(report.resolved)} resolved, "
        f"{len(report.suppressed)} suppressed"
    )
    summary = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False)
    summary.add_column("severity")
    summary.add_column("open", justify="right")
    summary.add_column("property")
    summary.add_column("open", justify="right")
    for i, sev in enumerate(SEVERITIES):
        prop = PROPERTIES[i] if i < len(PROPERTIES) else ""
        summary.add_row(
            Text(sev, style=SEVERITY_STYLE[sev]),
            str(counts["by_severity"][sev]),
            prop,
            str(counts["by_property"][prop]) if prop else "",
        )
    console.print(summary)
    if what == "findings" and report.fix_first:
        console.print(_fix_first(report))
    if what == "inventory":
        console.print(_credentials(report, limit))
    elif report.findings:
        console.print(_findings("Findings (new first)", report.findings, limit))
    else:
        console.print("No open findings.")
    gaps = [s for s in report.coverage if s["status"] != "complete"]
    if gaps:
        console.print(Text("Coverage gaps (findings there may be missing):", style="bold yellow"))
        for s in gaps:
            console.print(
                Text.assemble("  ", _t(f"{s['provider']}:{s['scope']}"), f" {s['status']} ", _t(s["error_code"] or ""))
            )
    expired = [s for s in report.suppressions if s["expired"]]
    if expired:
        console.print(Text(f"{len(expired)} expired suppression(s) no longer hide findings.", style="yellow"))
    return buffer.getvalue()
