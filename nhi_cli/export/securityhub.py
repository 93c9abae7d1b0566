"""`nhi export securityhub`: send a scan's findings to AWS Security Hub with BatchImportFindings.

- Idempotent: ASFF ids are nhi fingerprints (asff.py), so a re-run updates, never duplicates.
- Batches of at most 100 findings, the API's limit per call.
- Archives: nhi's findings that Security Hub still shows ACTIVE and that the inventory has
  resolved are sent again with RecordState ARCHIVED. A finding that is merely absent (its scope
  was denied in this scan) is left alone: a gap is not a fix.
- Credentials and endpoint as for the AWS connector: the standard boto3 chain (--profile,
  environment, SSO, instance roles), ``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_SECURITYHUB``, or
  ``endpoint:`` in nhi.yaml (checked by nhi_cli/trust.py like every endpoint).

Calls: sts:GetCallerIdentity once (the default product only takes the caller's account),
securityhub:GetFindings pages (100 a page) over nhi's ACTIVE findings, and one
BatchImportFindings per 100 findings sent.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from nhi_cli.errors import ExitCode, NhiError
from nhi_cli.export import asff
from nhi_cli.reports.model import Report
from nhi_cli.severity import Severity, rank
from nhi_cli.store.interface import DbConnection

BATCH = 100  # BatchImportFindings accepts at most 100 findings per request
DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "SignatureDoesNotMatch",
}
THROTTLED = {"TooManyRequestsException", "ThrottlingException", "Throttling", "LimitExceededException"}


@dataclass
class Target:
    """Where to send: resolved from options, nhi.yaml and the AWS chain."""

    profile: str | None = None
    region: str | None = None
    endpoint: str | None = None
    timeout: float = 30.0


@dataclass
class ExportResult:
    account: str = ""
    region: str = ""
    sent: int = 0  # findings accepted (open and suppressed)
    archived: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)  # FailedFindings: Id, ErrorCode, ErrorMessage
    batches: int = 0
    calls: Counter[str] = field(default_factory=Counter)


# boto3 ships no type information (no boto3-stubs here): its clients are Any
def _clients(target: Target) -> tuple[Any, Any, str]:
    import boto3
    from botocore.config import Config

    session = boto3.Session(profile_name=target.profile, region_name=target.region)
    region = session.region_name or "us-east-1"
    retries: dict[str, Any] = {"mode": "standard"}  # throttling is retried with backoff
    if not os.environ.get("AWS_MAX_ATTEMPTS"):  # the environment's own choice wins
        retries["max_attempts"] = 6
    config = Config(
        region_name=region,
        retries=retries,
        connect_timeout=min(target.timeout, 10),
        read_timeout=target.timeout,
        user_agent_extra="nhi",
    )
    kwargs: dict[str, Any] = {"config": config}
    if target.endpoint:
        kwargs["endpoint_url"] = target.endpoint
    return session.client("sts", **kwargs), session.client("securityhub", **kwargs), region


def _count_into(client: Any, calls: Counter[str]) -> None:
    def count(event_name: str = "", **_: Any) -> None:
        service_id, operation = event_name.split(".", 2)[1:]
        calls[f"{service_id}:{operation}"] += 1

    client.meta.events.register("before-send.*.*", count)


def _error(exc: Exception, what: str, result: ExportResult, total: int) -> NhiError:
    """One line for a failed call, saying how far the export got (ids are stable: re-run)."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, PartialCredentialsError

    done = f"; {result.sent + result.archived} of {total} findings were sent before it" if total else ""
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return NhiError(f"securityhub: no AWS credentials found ({exc}); use --profile or the AWS environment")
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code") or "ClientError"
        if code in DENIED:
            return NhiError(
                f"securityhub: {what} was denied ({code}); the caller needs securityhub:BatchImportFindings "
                f"and securityhub:GetFindings{done}"
            )
        if code in THROTTLED:
            return NhiError(f"securityhub: {what} was throttled ({code}) after retries{done}; run again later")
        if code == "InvalidAccessException":
            return NhiError(
                f"securityhub: Security Hub is not enabled in {result.region} for account {result.account} "
                f"({code}){done}"
            )
        return NhiError(f"securityhub: {what} failed: {code}: {error.get('Message') or ''}".rstrip(": ") + done)
    if isinstance(exc, BotoCoreError):
        return NhiError(f"securityhub: {what} failed: {type(exc).__name__}: {exc}{done}")
    raise exc


def active_nhi_findings(hub: Any, arn: str) -> Iterator[dict[str, Any]]:
    """nhi's ACTIVE findings in this account and region (filtered again here: the filter
    language is the service's, the check is ours)."""
    filters = {
        "ProductArn": [{"Value": arn, "Comparison": "EQUALS"}],
        "GeneratorId": [{"Value": asff.GENERATOR_PREFIX, "Comparison": "PREFIX"}],
        "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
    }
    for page in hub.get_paginator("get_findings").paginate(Filters=filters, PaginationConfig={"PageSize": 100}):
        for finding in page.get("Findings", []):
            if (
                finding.get("ProductArn") == arn
                and finding.get("RecordState", "ACTIVE") == "ACTIVE"
                and asff.fingerprint_of(finding.get("Id", "")) is not None
            ):
                yield finding


def export(
    report: Report, resolved: set[str], target: Target, *, now: str, min_severity: Severity | None = None
) -> ExportResult:
    """Send ``report``'s open and suppressed findings; archive those in ``resolved`` (the
    inventory's resolved fingerprints) that Security Hub still shows ACTIVE."""
    result = ExportResult()
    try:
        sts, hub, region = _clients(target)
    except Exception as exc:  # a profile that does not exist, a bad region name
        from botocore.exceptions import BotoCoreError

        if isinstance(exc, BotoCoreError):
            raise NhiError(f"securityhub: {exc}", ExitCode.USAGE) from None
        raise
    _count_into(sts, result.calls)
    _count_into(hub, result.calls)
    result.region = region
    present = report.findings + report.suppressed
    if min_severity is not None:
        present = [f for f in present if rank(f["severity"]) >= min_severity.rank]
    total = len(present)
    try:
        identity = sts.get_caller_identity()
        result.account = identity["Account"]
        partition = identity["Arn"].split(":")[1] if identity.get("Arn", "").startswith("arn:") else "aws"
        arn = asff.product_arn(region, result.account, partition)
        active = {f["Id"]: f for f in active_nhi_findings(hub, arn)}
    except Exception as exc:
        raise _error(exc, "reading the caller and nhi's findings", result, 0) from None
    observed = report.scan["started_at"]
    records = [
        asff.record(
            f,
            report.rules.get(f["rule_id"]),
            account=result.account,
            region=region,
            partition=partition,
            now=now,
            observed=observed,
            create_suppressed=asff.finding_id(f["fingerprint"]) not in active,
        )
        for f in present
    ]
    sent_ids = {r["Id"] for r in records}
    to_archive = [
        asff.archived(finding, now)
        for finding_id, finding in sorted(active.items())
        if finding_id not in sent_ids and asff.fingerprint_of(finding_id) in resolved
    ]
    outgoing = records + to_archive
    total = len(outgoing)
    for start in range(0, total, BATCH):
        batch = outgoing[start : start + BATCH]
        try:
            answer = hub.batch_import_findings(Findings=batch)
        except Exception as exc:
            raise _error(exc, "BatchImportFindings", result, total) from None
        result.batches += 1
        failed = {f["Id"] for f in answer.get("FailedFindings", [])}
        result.failed.extend(answer.get("FailedFindings", []))
        for r in batch:
            if r["Id"] in failed:
                continue
            if r["RecordState"] == "ARCHIVED":
                result.archived += 1
            else:
                result.sent += 1
    return result


def resolved_fingerprints(conn: DbConnection) -> set[str]:
    """Findings the inventory has resolved (gone from a later scan whose scope was read)."""
    return {row[0] for row in conn.execute("SELECT fingerprint FROM finding WHERE status = 'resolved'")}
