"""`nhi scan`: collect every configured provider into the inventory."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from nhi_cli.agents.build import build_agents
from nhi_cli.cli.common import CliContext, cli_context
from nhi_cli.cli.gate_view import print_findings_table, print_rule_problems, say_verdict
from nhi_cli.cli.notify import notify_after_scan
from nhi_cli.cli.output import print_json
from nhi_cli.cli.progress import scan_progress
from nhi_cli.cli.report import emit_report
from nhi_cli.config import Config, load_config
from nhi_cli.detect import detect
from nhi_cli.errors import ConfigError, ExitCode
from nhi_cli.evaluate import run_evaluation
from nhi_cli.kit.connector import ScanOptions
from nhi_cli.kit.demo import demo_estate, estate_dir
from nhi_cli.model import ScopeResult, utcnow
from nhi_cli.reports import FORMATS, check_options, check_writable
from nhi_cli.rules.gate import RulesBroken, ScanGate
from nhi_cli.scan import ScanOutcome, plan_scan, run_scan, with_next_step
from nhi_cli.severity import Severity
from nhi_cli.shards import Shard, parse_shard
from nhi_cli.store import queries
from nhi_cli.store.interface import DbConnection
from nhi_cli.store.load import PostLoad
from nhi_cli.text import markup_safe as escape  # provider text: markup and control characters inert
from nhi_cli.text import visible


def print_summary(st: CliContext, conn: DbConnection, scan_id: int) -> None:
    table = Table(title=f"Inventory after scan {scan_id}", header_style="bold")
    for column in ("provider", "scope", "kind", "identities", "credentials"):  # ids fold, never cut with an ellipsis
        table.add_column(
            column, justify="right" if column in ("identities", "credentials") else "left", overflow="fold"
        )
    for row in queries.inventory_summary(conn):
        table.add_row(
            row["provider"], escape(row["scope"]), row["kind"], str(row["identities"]), str(row["credentials"] or 0)
        )
    st.out.print(table)
    scopes = Table(title="Scopes", header_style="bold")
    for column in ("provider", "scope", "status", "API calls", "detail"):
        scopes.add_column(column, overflow="fold")
    for row in queries.scope_results(conn, scan_id):
        detail = row["error_code"] or ""
        if row["gaps"]:
            detail = "; ".join(f"{g['what']}: {g['code']}" for g in row["gaps"])
        style = {"complete": "green", "partial": "yellow"}.get(row["status"], "red")
        calls = sum(row["api_calls"].values())
        scopes.add_row(
            row["provider"], escape(row["scope"]), f"[{style}]{row['status']}[/]", str(calls), escape(detail)
        )
        if st.verbose:
            for call, n in row["api_calls"].items():
                scopes.add_row("", "", "", str(n), escape(call))
    st.out.print(scopes)


# The options `nhi scan` and `nhi evaluate` share: both gate on the findings they evaluate.
FailOnOption = Annotated[
    Severity | None,
    typer.Option(
        "--fail-on",
        help="Exit 1 when an open, unsuppressed finding is at or above this severity (default: fail_on in nhi.yaml).",
    ),
]
RulesDirOption = Annotated[
    list[Path] | None, typer.Option("--rules-dir", help="A directory of user rules (repeatable).")
]


def _gate(
    st: CliContext,
    fail_on: Severity | None,
    rules_dir: list[Path] | None,
    *,
    new_only: bool = False,
    baseline: Path | None = None,
    allow_partial: bool = False,
) -> ScanGate:
    """The gate of a scan or an evaluation; broken rules are listed on stderr, exit 2, before
    anything is written."""
    try:
        return ScanGate(
            st.config,
            fail_on=fail_on,
            new_only=new_only,
            baseline=baseline,
            allow_partial=allow_partial,
            rules_dir=rules_dir,
        )
    except RulesBroken as exc:
        print_rule_problems(st.err, exc.problems)
        raise typer.Exit(ExitCode.USAGE) from None


def scan(
    ctx: typer.Context,
    demo: Annotated[
        bool, typer.Option("--demo", help="Scan the built-in demo estate (local fakes, no cloud account).")
    ] = False,
    provider: Annotated[
        list[str] | None, typer.Option("--provider", "-p", help="Only these providers (repeatable).")
    ] = None,
    profile: Annotated[str | None, typer.Option("--profile", help="AWS profile from the standard boto3 chain.")] = None,
    aws_org: Annotated[
        bool, typer.Option("--aws-org", help="Scan every active account in the AWS Organization.")
    ] = False,
    mcp_only: Annotated[
        bool,
        typer.Option(
            "--mcp-only",
            help="Only this machine's MCP agent configs (as --provider mcp): for a fleet, "
            "nhi scan --mcp-only --output machine.json on each laptop, then nhi inventory push.",
        ),
    ] = False,
    mcp_path: Annotated[
        list[Path] | None,
        typer.Option(
            "--mcp-path",
            help="An MCP config file, or a directory searched for project MCP configs (.mcp.json, "
            ".vscode/mcp.json, .cursor/mcp.json); repeatable. Adds the mcp provider if nhi.yaml has none.",
        ),
    ] = None,
    format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="Output: table or json (scan summary), or a report format: sarif, markdown, csv, html, ocsf "
            "(see `nhi report`).",
        ),
    ] = "table",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write the report of this scan to a file (format from --format or the file suffix)."
        ),
    ] = None,
    fail_on: FailOnOption = None,
    new_only: Annotated[
        bool, typer.Option("--new-only", help="Gate only on findings new since the previous scan (or --baseline).")
    ] = False,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline",
            help="Gate only on findings absent from this file (`nhi findings baseline`); implies --new-only.",
        ),
    ] = None,
    allow_partial: Annotated[
        bool, typer.Option("--allow-partial", help="An incomplete scan exits on its findings (0/1) instead of 3.")
    ] = False,
    rules_dir: RulesDirOption = None,
    shard: Annotated[
        str | None,
        typer.Option(
            "--shard",
            help="Scan only the K-th of N disjoint, stable subsets of the scopes (K/N), for N runners writing "
            "one inventory; then run `nhi evaluate` once.",
        ),
    ] = None,
) -> None:
    """Scan providers into the inventory.

    Scanning is read-only: it never calls a mutating API. A denied or failed scope is recorded
    as a gap (exit 3); its earlier records are kept, never marked removed.

    Example: nhi scan --demo        (or: nhi scan --aws-org --profile audit)
    """
    st = cli_context(ctx)
    if mcp_only:
        if provider and set(provider) != {"mcp"}:
            raise ConfigError("--mcp-only scans the mcp provider alone; drop --provider")
        provider = ["mcp"]
    part = parse_shard(shard)
    report_format = _report_format(format, output)  # checked before scanning: bad format or unwritable --output
    now = utcnow()
    for path in mcp_path or []:
        if not path.exists() and not path.is_symlink():
            raise ConfigError(f"--mcp-path {path}: no such file or directory")
    with ExitStack() as stack:
        if demo:
            demo_config = stack.enter_context(demo_estate(now, provider))
            if st.config_path is None:
                st.use_config(demo_config)
            else:  # a user config with the demo's providers swapped in
                st.config.providers = demo_config.providers
        if mcp_path and "mcp" not in st.config.providers:  # scan just these paths, not this machine's home
            st.config.providers["mcp"] = {"discover": False}
        elif not st.config.providers:  # no nhi.yaml: every provider whose credentials are here
            st.config.providers = _detected_providers(st, provider, profile, aws_org)
        plan = plan_scan(st.config, provider)
        options = ScanOptions(
            aws_profile=profile,
            aws_org=aws_org,
            mcp_paths=tuple(str(p) for p in mcp_path or []),
            owner_tags=tuple(st.config.owner_tags),
        )  # connectors read owners from these tags
        gate = _gate(st, fail_on, rules_dir, new_only=new_only, baseline=baseline, allow_partial=allow_partial)
        store = st.open_store(create=True)
        stack.callback(store.close)
        progress = scan_progress(st)
        if progress:
            stack.enter_context(progress)
        outcome = run_scan(
            store,
            plan,
            options=options,
            demo=demo,
            progress=progress,
            now=now,
            post_load=post_load_steps(st.config, gate),
            shard=part,
        )
    if part is not None:
        _finish_shard(st, outcome, part, format)
    store = st.open_store()
    try:
        conn = store.conn
        findings = gate.summary(conn, outcome.scan_id)
        if report_format:  # into --output (the summary still prints below), or as stdout itself
            # a pull request's markdown shows what is new first when the gate looks at new findings only
            emit_report(
                st,
                conn,
                report_format,
                scan_id=outcome.scan_id,
                output=output,
                new_only=report_format == "markdown" and bool(new_only or baseline),
            )
        if report_format and output is None:
            pass  # the report on stdout replaces the summary
        elif format == "json":
            print_json(
                st.out,
                {
                    "scan_id": outcome.scan_id,
                    "status": "complete" if outcome.complete else "incomplete",
                    "scopes": queries.scope_results(conn, outcome.scan_id),
                    "inventory": queries.inventory_summary(conn),
                    "findings": findings,
                },
            )
        else:
            print_summary(st, conn, outcome.scan_id)
            print_findings_table(st.out, findings)
        notify_after_scan(st, conn, outcome.scan_id)
    finally:
        store.close()
    report_gaps(st, outcome.results, profile)
    verdict = gate.verdict(findings, outcome.complete)
    say_verdict(st, verdict)
    coverage = outcome.coverage_line()
    if coverage:  # the last line, even with --quiet: it qualifies every result above
        st.err.print(coverage, style="yellow", highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(verdict.code)


def _detected_providers(st: CliContext, only: list[str] | None, profile: str | None, aws_org: bool) -> dict[str, Any]:
    """No provider configured: what the standard credential chains offer, said on stderr."""
    detections = detect(only, aws_profile=profile, aws_org=aws_org)
    for d in detections:
        st.say(d.line(), None if d.found else "dim")
    found = {d.provider: d.settings for d in detections if d.found}
    if not found:
        raise ConfigError(
            f"no credentials found for {', '.join(only or [])}; see the reasons above, or try `nhi scan --demo`"
        )
    return found


def report_gaps(st: CliContext, results: list[ScopeResult], aws_profile: str | None) -> None:
    """One line per denied or failed scope. Errors, not progress: printed even with --quiet,
    so a CI log of a scan that exits 3 says why."""
    for r in results:
        if r.status in ("denied", "error"):
            line = f"nhi: {r.provider}:{r.scope} {r.status}: {r.error_code} {with_next_step(r, aws_profile)}"
            st.err.print(
                visible(line.rstrip(), oneline=False), style="yellow", highlight=False, markup=False, soft_wrap=True
            )


def _finish_shard(st: CliContext, outcome: ScanOutcome, part: Shard, format: str) -> None:
    """A shard evaluates nothing: report what it wrote, exit 0 (or 3 for a scope not loaded)."""
    store = st.open_store()
    try:
        scopes = queries.scope_results(store.conn, outcome.scan_id)
    finally:
        store.close()
    if format == "json":
        print_json(
            st.out,
            {
                "scan_id": outcome.scan_id,
                "shard": str(part),
                "status": "complete" if outcome.complete else "incomplete",
                "scopes": scopes,
            },
        )
    else:
        for row in scopes:
            st.out.print(f"{row['provider']}:{row['scope']} {row['status']}", markup=False, highlight=False)
    report_gaps(st, outcome.results, None)
    st.say(
        f"nhi: shard {part} wrote scan {outcome.scan_id} ({len(scopes)} scopes); "
        "run `nhi evaluate` once every shard has finished"
    )
    raise typer.Exit(ExitCode.OK if outcome.complete else ExitCode.INCOMPLETE)


def evaluate(
    ctx: typer.Context,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Use the demo estate's settings (people, agents, rules), after `nhi scan --demo --shard K/N`.",
        ),
    ] = False,
    fail_on: FailOnOption = None,
    format: Annotated[str, typer.Option("--format", "-f", help="Output: table or json.")] = "table",
    rules_dir: RulesDirOption = None,
) -> None:
    """Evaluate agents, rules and findings once over the whole inventory (after shard scans).

    Waits while shard scans are still writing. Coverage lists every scope's latest result and
    the scan that wrote it; a scope whose shard failed keeps its earlier rows (exit 3).

    Example: nhi evaluate --db postgresql://nhi@db.internal/nhi --fail-on high
    """
    st = cli_context(ctx)
    if demo and st.config_path is None:  # as `nhi scan --demo`: a given nhi.yaml keeps its settings
        st.use_config(load_config(estate_dir() / "nhi.yaml"))
    gate = _gate(st, fail_on, rules_dir)
    store = st.open_store(create=False)
    try:
        outcome = run_evaluation(store, post_load_steps(st.config, gate), waiting=st.say)
        conn = store.conn
        findings = gate.summary(conn, outcome.scan_id)
        if format == "json":
            print_json(
                st.out,
                {
                    "scan_id": outcome.scan_id,
                    "status": "complete" if outcome.complete else "incomplete",
                    "from_scans": outcome.from_scans,
                    "missing_shards": outcome.missing_shards,
                    "scopes": queries.scope_results(conn, outcome.scan_id),
                    "findings": findings,
                },
            )
        else:
            print_summary(st, conn, outcome.scan_id)
            print_findings_table(st.out, findings)
    finally:
        store.close()
    for part in outcome.missing_shards:
        st.say(
            f"nhi: shard {part} wrote nothing since the last evaluation: its scopes keep their earlier rows", "yellow"
        )
    verdict = gate.verdict(findings, outcome.complete)
    say_verdict(st, verdict)
    raise typer.Exit(verdict.code)


def _report_format(format: str, output: Path | None) -> str | None:
    """The report format `nhi scan` renders after scanning (None: the scan summary as before)."""
    if output is None and format in ("table", "json"):
        return None
    if (
        output is not None
        and format == "table"
        and output.suffix.lower() in (".html", ".sarif", ".md", ".csv", ".json")
    ):
        format = {".md": "markdown"}.get(output.suffix.lower(), output.suffix.lower().lstrip("."))
    check_options(format, "findings")
    if output is not None:
        check_writable(output)
    return format if format in FORMATS else None


def post_load_steps(config: Config, gate: ScanGate | None = None) -> list[PostLoad]:
    """Steps that run inside the scan's transaction after loading, in order: agents first
    (classification and cross-source links, which agent rules read), then rule evaluation."""

    def agents(conn: DbConnection, scan_id: int) -> None:
        build_agents(conn, config, scan_id)

    steps: list[PostLoad] = [agents]
    if gate is not None:  # people, agent patterns, rules, findings lifecycle (nhi_cli/rules/scan_step.py)
        steps.append(gate.step)
    return steps


def register(app: typer.Typer) -> None:
    app.command("scan")(scan)
    app.command("evaluate")(evaluate)
