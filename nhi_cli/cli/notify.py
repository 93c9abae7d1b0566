"""`nhi notify`: post a scan's new and resolved findings to the chat webhooks in nhi.yaml."""

from __future__ import annotations

from typing import Annotated

import typer

from nhi_cli.cli.common import CliContext, cli_context
from nhi_cli.errors import ConfigError
from nhi_cli.export.notify import send
from nhi_cli.reports.model import build_report
from nhi_cli.store.interface import DbConnection
from nhi_cli.text import visible


def notify(
    ctx: typer.Context,
    scan: Annotated[int | None, typer.Option("--scan", help="Scan id to summarize (default: the latest).")] = None,
    target: Annotated[
        list[str] | None, typer.Option("--target", "-t", help="Only the targets with this name or kind (repeatable).")
    ] = None,
) -> None:
    """Post a summary of a scan's new and resolved findings to Slack and Microsoft Teams.

    Targets are the `notify:` list of a trusted nhi.yaml (`--config`, the user file, or
    NHI_TRUST_CWD_CONFIG=1); each names the environment variable that holds its webhook URL,
    which is never printed. `nhi scan` posts the same summary at its end when the scan found
    something new or resolved. 429 and 5xx answers are retried with backoff.

    Exit codes: 0 posted to every target; 2 no target configured, a webhook variable unset, or
    a URL that is not the service's host (allow others with NHI_ALLOW_ENDPOINTS); 4 a post
    failed after retries, or no inventory or scan.

    Example: NHI_SLACK_WEBHOOK=https://hooks.slack.com/services/... nhi notify --config nhi.yaml
    """
    st = cli_context(ctx)
    targets = st.config.notify
    if target:
        targets = [t for t in targets if t.label in target or t.kind in target]
    if not targets:
        where = " matching --target" if target else ""
        raise ConfigError(f"no notify targets{where} in the configuration (see `notify:` in the README)")
    with st.reading() as conn:
        report = build_report(conn, scan)
    result = send(targets, report)
    for outcome in result.outcomes:
        if outcome.ok:
            st.out.print(visible(f"{outcome.target}: {outcome.detail}"), markup=False, highlight=False)
        else:
            st.err.print(visible(f"nhi: error: {outcome.detail}"), markup=False, highlight=False, soft_wrap=True)
    if result.failed:
        raise typer.Exit(max(o.code for o in result.failed))


def notify_after_scan(st: CliContext, conn: DbConnection, scan_id: int) -> None:
    """The end of `nhi scan`: post to the targets with on_scan. A failure is one line on
    stderr (shown even with --quiet) and leaves the scan's exit code as it is."""
    targets = [t for t in st.config.notify if t.on_scan]
    if not targets:
        return
    result = send(targets, build_report(conn, scan_id), on_scan=True)
    for outcome in result.outcomes:
        if outcome.ok:
            st.say(f"nhi: notify {outcome.target}: {outcome.detail}")
        else:
            line = visible(f"nhi: {outcome.detail} (the scan's exit code is unaffected)")
            st.err.print(line, style="yellow", markup=False, highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("notify")(notify)
