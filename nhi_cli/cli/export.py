"""`nhi export securityhub|jira`: send a scan's findings to AWS Security Hub or Jira issues."""

from __future__ import annotations

import os
from enum import StrEnum
from typing import Annotated

import typer

from nhi_cli import trust
from nhi_cli.cli.common import CliContext, cli_context
from nhi_cli.cli.output import print_json
from nhi_cli.errors import ExitCode
from nhi_cli.export.jira import sync
from nhi_cli.export.securityhub import Target, export, resolved_fingerprints
from nhi_cli.model import iso, utcnow
from nhi_cli.reports.model import Report, build_report
from nhi_cli.severity import Severity
from nhi_cli.text import visible
from nhi_connectors.aws import AwsConnector
from nhi_connectors.aws.settings import AwsSettings

export_app = typer.Typer(
    help="Send findings to AWS Security Hub (ASFF) or Jira (one issue per fix-first item).\n\n"
    "Example: nhi export securityhub --region eu-west-1",
    no_args_is_help=True,
)


class OutFormat(StrEnum):
    table = "table"
    json = "json"


ScanOption = Annotated[int | None, typer.Option("--scan", help="Scan id to export (default: the latest).")]
FormatOption = Annotated[OutFormat, typer.Option("--format", "-f", help="Result as a line (table) or json.")]


def _report(st: CliContext, scan: int | None) -> tuple[Report, set[str]]:
    """The report model of ``scan`` and the inventory's resolved fingerprints."""
    with st.reading() as conn:
        return build_report(conn, scan), resolved_fingerprints(conn)


def _securityhub_target(st: CliContext, profile: str | None, region: str | None) -> Target:
    hub = st.config.export.securityhub
    aws = st.config.provider_settings("aws", AwsConnector)  # refuses an untrusted endpoint
    assert isinstance(aws, AwsSettings)  # AwsConnector.Settings
    endpoint = hub.endpoint or aws.endpoint
    if hub.endpoint:
        trust.check_destination("export.securityhub.endpoint", "aws", hub.endpoint, secret=False)
    chain_region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return Target(
        profile=profile or hub.profile or aws.profile,
        region=region or hub.region or chain_region or aws.region,
        endpoint=endpoint,
        timeout=hub.timeout,
    )


@export_app.command("securityhub")
def securityhub(
    ctx: typer.Context,
    scan: ScanOption = None,
    region: Annotated[str | None, typer.Option("--region", help="Security Hub region (default: AWS chain).")] = None,
    profile: Annotated[str | None, typer.Option("--profile", help="AWS profile from the standard chain.")] = None,
    min_severity: Annotated[
        Severity | None, typer.Option("--min-severity", help="Send only findings at or above this severity.")
    ] = None,
    format: FormatOption = OutFormat.table,
) -> None:
    """Send a scan's findings to AWS Security Hub (BatchImportFindings, ASFF), 100 per call.

    Ids are nhi's fingerprints, so a re-run updates findings instead of duplicating them;
    findings the inventory has resolved are archived. Needs securityhub:BatchImportFindings,
    securityhub:GetFindings and sts:GetCallerIdentity, with Security Hub enabled in the region.

    Exit codes: 0 sent; 2 bad option or nhi.yaml; 4 no inventory or scan, no AWS credentials,
    access denied, throttled after retries, or Security Hub not enabled; 5 Security Hub
    rejected some findings (listed).

    Example: nhi export securityhub --region eu-west-1 --profile security-tooling
    """
    st = cli_context(ctx)
    target = _securityhub_target(st, profile, region)
    report, resolved = _report(st, scan)
    result = export(report, resolved, target, now=iso(utcnow()), min_severity=min_severity)
    summary = {
        "account": result.account,
        "region": result.region,
        "scan_id": report.scan["id"],
        "sent": result.sent,
        "archived": result.archived,
        "failed": result.failed,
        "batches": result.batches,
        "api_calls": dict(sorted(result.calls.items())),
    }
    if format is OutFormat.json:
        print_json(st.out, summary)
    else:
        st.out.print(
            f"securityhub: scan {report.scan['id']}: {result.sent} findings sent, {result.archived} archived, "
            f"{len(result.failed)} rejected; account {result.account}, {result.region}, "
            f"{result.batches} BatchImportFindings calls",
            markup=False,
            highlight=False,
        )
    for failed in result.failed[:20]:
        st.err.print(
            f"nhi: securityhub rejected {failed.get('Id')}: {failed.get('ErrorCode')} {failed.get('ErrorMessage', '')}",
            markup=False,
            highlight=False,
        )
    if result.failed:
        raise typer.Exit(ExitCode.ACTION_FAILED)


@export_app.command("jira")
def jira(
    ctx: typer.Context,
    scan: ScanOption = None,
    top: Annotated[int, typer.Option("--top", min=0, help="Issues for the first N fix-first items.")] = 25,
    format: FormatOption = OutFormat.table,
) -> None:
    """Keep one Jira issue per fix-first item: create, update, and close when the item is resolved.

    Items are agents and identities ranked by what fixing them removes (`nhi report`, "What to
    fix first"); each issue lists the item's reasons, the one command that fixes most of it,
    and its findings. Issues carry the label `nhi` and the item's own `nhi-<hash>` label, so a
    re-run edits them instead of opening new ones; an item that left the list is transitioned
    to Done. Settings: `export.jira` in a trusted nhi.yaml (url, project, issue_type,
    done_transition); the Atlassian email and API token from JIRA_EMAIL and JIRA_API_TOKEN
    (or the variables named by email_env and token_env). Jira Cloud REST API v3.

    Exit codes: 0 in step; 2 missing settings or credentials, or a URL that is not
    *.atlassian.net (allow others with NHI_ALLOW_ENDPOINTS); 4 no inventory or scan, Jira
    refused the credentials or could not be reached; 5 some issues could not be created,
    edited or closed (listed).

    Example: JIRA_EMAIL=me@example.com JIRA_API_TOKEN=... nhi export jira --top 10
    """
    st = cli_context(ctx)
    settings = st.config.export.jira
    report, _ = _report(st, scan)
    result = sync(report, settings, top=top)
    if format is OutFormat.json:
        print_json(
            st.out,
            {
                "project": result.project,
                "scan_id": report.scan["id"],
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "closed": result.closed,
                "failed": result.failed,
                "api_calls": result.calls,
            },
        )
    else:
        st.out.print(
            f"jira {result.project}: {len(result.created)} created, {len(result.updated)} updated, "
            f"{len(result.unchanged)} unchanged, {len(result.closed)} closed",
            markup=False,
            highlight=False,
        )
    for failed in result.failed:
        st.err.print(
            visible(f"nhi: jira: {failed.get('issue') or failed.get('item')}: {failed['error']}"),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    if result.failed:
        raise typer.Exit(ExitCode.ACTION_FAILED)


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
