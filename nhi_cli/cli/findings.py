"""`nhi findings list|baseline`: the findings of the latest scan, and baseline files for CI."""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Annotated, Any

import typer

from nhi_cli import files
from nhi_cli.cli.common import CliContext, cli_context
from nhi_cli.cli.output import Format, dumps, print_json, render_rows
from nhi_cli.errors import ExitCode, NhiError
from nhi_cli.reports.model import build_report
from nhi_cli.reports.ranking import fix_first
from nhi_cli.reports.table import SEVERITY_STYLE
from nhi_cli.rules.findings import latest_scan, list_findings
from nhi_cli.rules.gate import baseline_document
from nhi_cli.severity import SEVERITIES
from nhi_cli.store import queries
from nhi_cli.store.interface import DbConnection
from nhi_cli.text import markup_safe

findings_app = typer.Typer(
    help="Findings from the rules: list them, write a CI baseline.\n\nExample: nhi findings list --severity high --new",
    no_args_is_help=True,
)

STATUSES = ("new", "open", "suppressed", "resolved")
COLUMNS = ["status", "severity", "rule_id", "provider", "scope", "resource_name", "reason", "first_seen"]


def _scan_rows(
    st: CliContext, scan: int | None, include_resolved: bool, rules: Sequence[str] = ()
) -> tuple[int, list[dict[str, Any]]]:
    with st.reading() as conn:
        scan_id = scan if scan is not None else latest_scan(conn)
        if scan_id is None:
            raise NhiError("the inventory has no scans yet; run `nhi scan` first", ExitCode.CANNOT_RUN)
        if not queries.scan_exists(conn, scan_id):
            raise NhiError(f"no scan {scan_id} in the inventory", ExitCode.USAGE)
        _check_rules(conn, scan_id, rules)
        return scan_id, list_findings(conn, scan_id, include_resolved=include_resolved)


def _check_rules(conn: DbConnection, scan_id: int, patterns: Sequence[str]) -> None:
    """A --rule that names no rule the scan ran is a typo, not "no findings": say so (exit 2)."""
    if not patterns:
        return
    ran = queries.rules_of_scan(conn, scan_id)
    for pattern in patterns:
        if not any(fnmatchcase(rule_id, pattern) for rule_id in ran):
            raise NhiError(
                f"--rule {pattern!r} matches no rule of scan {scan_id}; `nhi rules list` shows the rules",
                ExitCode.USAGE,
            )


def _check_choice(values: list[str], allowed: tuple[str, ...], option: str) -> None:
    for value in values:
        if value not in allowed:
            raise NhiError(f"{option} {value!r}: choose from {', '.join(allowed)}", ExitCode.USAGE)


@findings_app.command("list")
def list_cmd(
    ctx: typer.Context,
    severity: Annotated[
        list[str] | None, typer.Option("--severity", "-s", help="critical, high, medium, low, info (repeatable).")
    ] = None,
    rule: Annotated[list[str] | None, typer.Option("--rule", "-r", help="Rule id or glob (repeatable).")] = None,
    provider: Annotated[list[str] | None, typer.Option("--provider", "-p", help="Provider (repeatable).")] = None,
    status: Annotated[
        list[str] | None,
        typer.Option("--status", help="new, open, suppressed, resolved (repeatable; default open and suppressed)."),
    ] = None,
    new: Annotated[bool, typer.Option("--new", help="Only findings new since the previous scan.")] = False,
    scan: Annotated[int | None, typer.Option("--scan", help="A scan id (default: the latest).")] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="table, json or csv.")] = Format.table,
    top: Annotated[
        int | None,
        typer.Option("--top", min=1, help="The N identities and agents to fix first (the reports' ranking)."),
    ] = None,
) -> None:
    """List the findings of the latest scan (or --scan ID), worst first.

    --top N lists instead the N identities and agents to fix first, ranked as in every report
    (README: What to fix first), each with its score, reasons and the command that fixes it.

    status is open, suppressed (hidden by a suppression in nhi.yaml) or resolved (no longer
    reported); new marks findings the previous scan did not have. `open` includes new ones.

    Example: nhi findings list --severity critical --severity high --new --format json
    """
    st = cli_context(ctx)
    severity, rule, provider, status = severity or [], rule or [], provider or [], status or []
    if top is not None:
        if severity or rule or status or new:
            raise NhiError(
                "--top ranks identities and agents: combine it only with --provider and --scan", ExitCode.USAGE
            )
        _print_top(st, top, scan, provider, format)
        return
    _check_choice(severity, SEVERITIES, "--severity")
    _check_choice(status, STATUSES, "--status")
    if new:
        status = [*status, "new"]
    wanted = set(status) or {"open", "suppressed"}
    _, rows = _scan_rows(st, scan, include_resolved="resolved" in wanted, rules=rule)

    def keep(row: dict[str, Any]) -> bool:
        if severity and row["severity"] not in severity:
            return False
        if rule and not any(fnmatchcase(row["rule_id"], r) for r in rule):
            return False
        if provider and row["provider"] not in provider:
            return False
        matches = {row["status"]} | ({"new"} if row["new"] and row["status"] == "open" else set())
        if "new" in wanted and not (wanted - {"new"}):
            return "new" in matches
        return bool(matches & wanted)

    rows = [r for r in rows if keep(r)]
    columns = COLUMNS + ["new", "fingerprint", "resource_id", "resource_type", "property", "last_seen"]
    if format is Format.table:
        for r in rows:
            r["status"] = "new" if r["new"] and r["status"] == "open" else r["status"]
            r["resource"] = f"{r['provider']}:{r['resource_name'] or r['resource_id']}"
        if st.out.width < 120:  # an 80-column CI log cannot hold eight columns
            _print_compact(st, rows)
            return
        columns = COLUMNS
    render_rows(st.out, rows, columns, format, title=f"{len(rows)} findings")


TOP_COLUMNS = ["rank", "score", "kind", "name", "providers", "findings", "worst_severity", "action", "command"]


def _print_top(st: CliContext, top: int, scan: int | None, providers: list[str], format: Format) -> None:
    with st.reading() as conn:
        items = fix_first(build_report(conn, scan))
    items = [i for i in items if not providers or set(i.providers) & set(providers)][:top]
    if format is Format.json:
        print_json(st.out, [i.as_dict() for i in items])
        return
    rows = [
        {
            **i.as_dict(),
            "providers": ",".join(i.providers),
            "findings": len(i.findings),
            "action": i.action.get("text", ""),
            "command": i.action.get("command") or "",
            "reasons": "; ".join(i.reasons),
        }
        for i in items
    ]
    if format is Format.csv:
        render_rows(st.out, rows, [*TOP_COLUMNS, "key", "reasons"], format)
        return
    out = st.out
    out.print(f"[bold]Fix first: {len(rows)} of the scan's identities and agents[/]")
    for r in rows:
        style = SEVERITY_STYLE.get(r["worst_severity"] or "", "")
        out.print(
            f"{r['rank']:>3}. [{style}]{r['score']:>4}[/] {r['kind']:<8} {markup_safe(r['name'])}  "
            f"({markup_safe(r['providers'])}; {r['findings']} findings)",
            highlight=False,
        )
        out.print(f"     why: {markup_safe(r['reasons'])}", highlight=False)
        out.print(f"     fix: {markup_safe(r['command'] or r['action'])}", highlight=False)


def _print_compact(st: CliContext, rows: list[dict[str, Any]]) -> None:
    """One finding per block: what and where on the first line, the reason indented below."""
    out = st.out
    out.print(f"[bold]{len(rows)} findings[/]")
    for r in rows:
        style = SEVERITY_STYLE.get(r["severity"], "")
        out.print(
            f"[{style}]{r['severity']:<8}[/] {r['status']:<10} {markup_safe(r['rule_id'])}  "
            f"{markup_safe(r['resource'])}",
            highlight=False,
        )
        out.print(f"    {markup_safe(r['reason'])}", highlight=False)


@findings_app.command("baseline")
def baseline_cmd(
    ctx: typer.Context,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")] = None,
) -> None:
    """Write the fingerprints of the latest scan's findings (open and suppressed) as a baseline.

    A CI runner that keeps no inventory between runs commits this file and gates on what is
    new: `nhi scan --fail-on high --baseline nhi-baseline.json`.

    Example: nhi findings baseline -o nhi-baseline.json
    """

    st = cli_context(ctx)
    scan_id, rows = _scan_rows(st, None, include_resolved=False)
    text = dumps(baseline_document(rows, scan_id)) + "\n"

    if output is None:
        files.write_stdout(text, st.out.file)
        return
    files.write_private(output, text, "the baseline")
    st.say(f"nhi: wrote {len(rows)} fingerprints to {output}")


def register(app: typer.Typer) -> None:
    app.add_typer(findings_app, name="findings")
