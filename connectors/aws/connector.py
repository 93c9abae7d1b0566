"""The AWS connector: IAM users, roles, access keys, policies and trusts of one account or of
every active account in an AWS Organization.

Per account it makes a fixed set of bulk IAM calls (GetAccountAuthorizationDetails pages and
the credential report) and the attached AWS managed policies nhi does not ship (managed.py);
key ids only for keys sighted by other sources (sightings.py), or for every key-holding user
with access_key_ids: true (access_keys.py).
Everything is read-only. boto3 is imported inside functions so `nhi --help` never pays for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from nhi_cli.kit.connector import (
    AuthFailed,
    CollectContext,
    Connector,
    RevokeStep,
    ScopeDenied,
    ScopeFailed,
    StepOutcome,
)
from nhi_cli.model import MALFORMED, Batch, Scope, ScopeResult

from . import access_keys, ai_platforms, ai_transform, credential_report, gaad, managed, policies, revoke, transform
from .clients import BotoClient, CountingSession, assume_account_role, client, make_session
from .credential_report import ReportTimeout
from .fake import start_demo
from .revoke import REVOKE_KINDS
from .scps import account_levels, get_organization_scps, scp_documents
from .settings import AwsSettings
from .sightings import resolve_sightings

DENIED_CODES = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
    "AuthorizationError",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "SignatureDoesNotMatch",
    "RegionDisabledException",
    "AccountNotFoundException",
}
T = TypeVar("T")
D = TypeVar("D")  # one AI service's payload, as its get_* returns it and its transform_* takes it


@contextmanager
def aws_errors(what: str) -> Iterator[None]:
    """botocore errors -> ScopeDenied (permission) or ScopeFailed (anything else)."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, PartialCredentialsError

    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = error.get("Code") or "ClientError"
        message = f"{what}: {error.get('Message') or code}"
        if code in DENIED_CODES:
            raise ScopeDenied(code, message) from None
        raise ScopeFailed(code, message) from None
    except (NoCredentialsError, PartialCredentialsError) as exc:
        raise AuthFailed("NoCredentials", f"{what}: {exc}") from None
    except ReportTimeout as exc:
        raise ScopeFailed("CredentialReportTimeout", f"{what}: {exc}") from None
    except BotoCoreError as exc:
        raise ScopeFailed(type(exc).__name__, f"{what}: {exc}") from None


def _read_scps(org: BotoClient) -> dict[str, Any]:
    """The Organization's SCPs (scps.py), or why they could not be read: a scan allowed to list
    accounts but not policies still scans every account, each recording the gap."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return get_organization_scps(org)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = error.get("Code") or "ClientError"
        return {"error": (code, error.get("Message") or code)}
    except BotoCoreError as exc:
        return {"error": (type(exc).__name__, str(exc))}


def _scp_attrs(org_scps: dict[str, Any] | None, account: str) -> dict[str, Any]:
    """What collect() needs of the SCPs for one account. SCPs never restrict the management
    account (the account in the Organization's ARNs)."""
    if org_scps is None or account == org_scps.get("management"):
        return {}
    if "error" in org_scps:
        return {"scp_error": org_scps["error"]}
    levels, unreadable = account_levels(org_scps, account)
    return {"scp_levels": levels, "scp_unreadable": unreadable}


def _optional(ctx: CollectContext, what: str, get: Callable[[], T]) -> T | None:
    """``get()``, or None after recording a gap: an AI service refused or failing in a region
    leaves the scope partial (its earlier records kept), never failed."""
    try:
        with aws_errors(what):
            return get()
    except (ScopeDenied, ScopeFailed) as exc:
        ctx.gap(what, exc.code, exc.message, records_missing=True)
        return None


def collect_ai(
    ctx: CollectContext, session: CountingSession, account_id: str, iam: BotoClient, user_arns: dict[str, str]
) -> Batch:
    """Bedrock API keys, then Bedrock Agents and AgentCore per region (ai_platforms.py)."""
    settings: AwsSettings = ctx.settings
    batch = Batch()
    if settings.bedrock_api_keys:
        keys = _optional(ctx, "iam:ListServiceSpecificCredentials", lambda: ai_platforms.get_bedrock_api_keys(iam))
        if keys is not None:
            _transform(
                ctx,
                batch,
                "iam:ListServiceSpecificCredentials",
                lambda: ai_transform.transform_bedrock_api_keys(account_id, keys, user_arns, ctx.now),
            )
    if not settings.ai_platforms:
        return batch
    for region in settings.ai_regions or [settings.region]:
        _collect_service(
            ctx,
            batch,
            session,
            account_id,
            region,
            "bedrock-agent",
            ai_platforms.get_bedrock_agents,
            ai_transform.transform_bedrock_agents,
        )
        _collect_service(
            ctx,
            batch,
            session,
            account_id,
            region,
            "bedrock-agentcore-control",
            ai_platforms.get_agentcore,
            ai_transform.transform_agentcore,
        )
    return batch


def _collect_service(
    ctx: CollectContext,
    batch: Batch,
    session: CountingSession,
    account_id: str,
    region: str,
    service: str,
    get: Callable[[BotoClient, ai_platforms.Budget], D],
    to_records: Callable[[str, str, D, list[str] | None, str], Batch],
) -> None:
    """One AI service in one region into ``batch``: skipped where it has no endpoint, a gap when
    refused or over its describe budget."""
    settings: AwsSettings = ctx.settings
    if region not in ai_platforms.AI_SERVICE_REGIONS[service]:
        ctx.log.debug("aws: %s has no endpoint in %s; skipped", service, region)
        return
    budget = ai_platforms.Budget(settings.ai_describe_limit)
    api = client(ctx, session, service, region=region)
    data = _optional(ctx, f"{service} {region}", partial(get, api, budget))
    if data is None:
        return
    if budget.skipped:
        ctx.gap(
            f"{service} {region}",
            "DescribeBudget",
            f"{budget.skipped} describe calls over ai_describe_limit={settings.ai_describe_limit}; "
            "those items are listed without details",
        )
    for operation, code in budget.refused:
        ctx.gap(f"{service} {region} {operation}", code, f"{operation} refused; items listed without details")
    make = partial(to_records, account_id, region, data, _owner_tags(ctx), ctx.secret_salt)
    _transform(ctx, batch, f"{service} {region}", make)


def _transform(ctx: CollectContext, batch: Batch, what: str, make: Callable[[], Batch]) -> None:
    """An AI payload nhi cannot read is a gap of its part, not a failed account."""
    try:
        batch.extend(make())
    except ValueError as exc:
        ctx.gap(what, MALFORMED, str(exc))


def _owner_tags(ctx: CollectContext) -> list[str] | None:
    return ctx.settings.owner_tags or list(ctx.options.owner_tags) or None


class AwsConnector(Connector):
    name = "aws"
    Settings = AwsSettings
    revoke_kinds = REVOKE_KINDS  # kind -> actions; planned and run by revoke.py

    # --- scopes -------------------------------------------------------------------------
    def scopes(self, ctx: CollectContext) -> list[Scope]:
        settings: AwsSettings = ctx.settings
        session = make_session(ctx)
        with aws_errors("sts:GetCallerIdentity"):
            caller = client(ctx, session, "sts").get_caller_identity()["Account"]
        skip = set(settings.skip_accounts)
        org_scps: dict[str, Any] | None = None
        if settings.org or ctx.options.aws_org:
            org = client(ctx, session, "organizations")
            with aws_errors("organizations:ListAccounts"):
                listed = [a for page in org.get_paginator("list_accounts").paginate() for a in page["Accounts"]]
            accounts = [(a["Id"], a.get("Name", "")) for a in listed if a.get("Status") == "ACTIVE"]
            org_scps = _read_scps(org)
            # arn:aws:organizations::<management account>:account/o-.../<id>
            org_scps["management"] = listed[0]["Arn"].split(":")[4] if listed else None
        elif settings.accounts:
            accounts = [(a, "") for a in settings.accounts]
        else:
            accounts = [(caller, "")]
        return [
            Scope("aws", account_id, name, attrs={"assume": account_id != caller, **_scp_attrs(org_scps, account_id)})
            for account_id, name in sorted(accounts, key=lambda a: (a[0] != caller, a[0]))
            if account_id not in skip
        ]

    # --- collect ------------------------------------------------------------------------
    def collect(self, ctx: CollectContext, scope: Scope) -> Batch:
        settings: AwsSettings = ctx.settings
        session = make_session(ctx)
        if scope.attrs.get("assume"):
            with aws_errors(f"sts:AssumeRole {settings.org_role} in {scope.id}"):
                session = make_session(ctx, assume_account_role(ctx, session, scope.id))
        iam = client(ctx, session, "iam")
        with aws_errors("iam:GetAccountAuthorizationDetails"):
            details = gaad.get_authorization_details(iam)
        if missing := gaad.unlisted_groups(details):
            ctx.gap(
                "iam:GetAccountAuthorizationDetails",
                "GroupNotListed",
                f"groups named by users but not returned (changed during the scan?): {', '.join(missing)}",
            )
        if missing := gaad.unlisted_policies(details):
            ctx.gap(
                "iam:GetAccountAuthorizationDetails",
                "PolicyNotListed",
                f"attached customer policies not returned (changed during the scan?): {', '.join(missing)}",
            )
        with aws_errors("iam:credential report"):
            text, _generated = credential_report.get_credential_report(
                iam, now=ctx.now, max_age=timedelta(hours=settings.credential_report_max_age_hours)
            )
        unreadable = Batch()  # credential report rows that could not be read: gaps of this scope
        report = credential_report.parse_credential_report(text, unreadable)
        keys_by_user = None
        if settings.access_key_ids:
            holders = [
                u["UserName"]
                for u in details["UserDetailList"]
                if isinstance(u, dict)
                and isinstance(u.get("UserName"), str)
                and ((row := report.get(u.get("Arn") or "")) is None or row["keys"])
            ]
            with aws_errors("iam:ListAccessKeys"):
                keys_by_user = access_keys.get_access_keys(iam, holders)
        with aws_errors("iam:GetPolicyVersion"):
            aws_documents = managed.get_aws_managed_documents(
                iam,
                policies.attached_arns(details),
                fetch=settings.aws_managed_policies == "fetch",
                cache=ctx.cache.get("aws_managed_documents", dict),
            )  # one fetch per scan, all accounts
        batch = transform.transform_account(
            scope.id,
            details,
            report,
            aws_documents=aws_documents,
            keys_by_user=keys_by_user,
            owner_tags=_owner_tags(ctx),
            salt=ctx.secret_salt,
        )
        batch.extend(unreadable)
        self._add_scps(ctx, scope, batch)
        users = {
            u["UserName"]: u["Arn"]
            for u in details["UserDetailList"]
            if isinstance(u, dict) and isinstance(u.get("UserName"), str) and isinstance(u.get("Arn"), str)
        }
        batch.extend(collect_ai(ctx, session, scope.id, iam, users))
        return batch

    @staticmethod
    def _add_scps(ctx: CollectContext, scope: Scope, batch: Batch) -> None:
        """The SCP levels above the account (read once in scopes()), as attached policy documents."""
        if error := scope.attrs.get("scp_error"):
            ctx.gap("organizations:ListPolicies", error[0], f"SCPs not read, not evaluated: {error[1]}")
        rows, attachments, unparsed = scp_documents(scope.attrs.get("scp_levels", []), scope.id)
        for target in [*scope.attrs.get("scp_unreadable", []), *unparsed]:
            ctx.gap("organizations:DescribePolicy", "PolicyNotRead", f"SCPs attached to {target} not evaluated")
        batch.policy_grants += rows
        batch.attachments += attachments

    # --- after every scope: key ids sighted by other sources (sightings.py) ----------------
    def after_collect(
        self,
        ctx: CollectContext,
        scopes: list[Scope],
        results: list[ScopeResult],
        batches: dict[tuple[str, str], Batch],
    ) -> None:
        if not ctx.settings.access_key_ids:
            resolve_sightings(ctx, scopes, results, batches)

    # --- revoke (implemented in revoke.py) ----------------------------------------------
    def plan_revoke(self, ctx: CollectContext, target: dict[str, Any], options: dict[str, Any]) -> list[RevokeStep]:
        return revoke.plan_revoke(ctx, target, options)

    def execute_step(self, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
        return revoke.execute_step(ctx, step)

    def restore_step(self, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
        return revoke.restore_step(ctx, step)

    def caller_identity(self, ctx: CollectContext) -> str | None:
        return revoke.caller_identity(ctx)

    # --- demo ---------------------------------------------------------------------------
    @classmethod
    def demo(cls, stack: ExitStack, estate: Path, now: datetime) -> dict[str, Any] | None:
        return start_demo(stack, estate / "aws", now)
