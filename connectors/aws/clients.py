"""The AWS get layer's clients: boto3 sessions with the standard credential chain, endpoint override,
adaptive retries, assumed roles for Organization member accounts, and API-call counting.

Every client nhi creates goes through ``make_session`` so that a botocore ``before-send`` hook
counts each HTTP attempt into the scope's counter (``iam:GetAccountAuthorizationDetails``).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, TypeAlias

from nhi_cli.kit.connector import CollectContext

from .settings import AwsSettings

# boto3 and botocore ship no type information (no boto3-stubs here): their clients, Sessions and
# Config objects are Any. The aliases only say which of them a signature takes or returns.
BotoClient: TypeAlias = Any  # a botocore client: iam, sts, organizations, bedrock-agent, ...
BotoSession: TypeAlias = Any  # a boto3.Session
BotoConfig: TypeAlias = Any  # a botocore.config.Config


def boto_config(settings: AwsSettings) -> BotoConfig:
    from botocore.config import Config

    return Config(
        region_name=settings.region,
        retries={"mode": "adaptive", "max_attempts": 8},
        connect_timeout=min(settings.timeout, 10),
        read_timeout=settings.timeout,
        user_agent_extra="nhi",
    )


_lock = threading.Lock()


class CountingSession:
    """What ``make_session`` returns: ``.client(service, **kwargs)`` like a boto3 Session.

    Every client is made from one boto3 Session per scan (kept in the scan's ``ctx.cache``): a new
    Session per account re-read and re-parsed the service models (about 0.3 CPU s for IAM and
    STS), which made an Organization scan CPU-bound. A member account's clients carry the
    assumed role's credentials instead. Each client counts into ``ctx`` on ``before-send``,
    once per HTTP attempt, so retries are counted as the provider saw them."""

    def __init__(self, ctx: CollectContext, boto_session: BotoSession, credentials: Mapping[str, Any] | None):
        self.ctx, self.boto_session, self.credentials = ctx, boto_session, credentials

    def client(self, service: str, **kwargs: Any) -> BotoClient:
        if self.credentials:
            kwargs.update(
                aws_access_key_id=self.credentials["AccessKeyId"],
                aws_secret_access_key=self.credentials["SecretAccessKey"],
                aws_session_token=self.credentials["SessionToken"],
            )
        with _lock:  # a boto3 Session is not thread-safe; the clients it makes are
            made = self.boto_session.client(service, **kwargs)
        ctx = self.ctx

        def count(event_name: str = "", **_: Any) -> None:
            service_id, operation = event_name.split(".", 2)[1:]
            ctx.count(f"{service_id}:{operation}")

        made.meta.events.register("before-send.*.*", count)
        return made


def _boto_session(ctx: CollectContext) -> BotoSession:
    import boto3

    settings: AwsSettings = ctx.settings
    profile = ctx.options.aws_profile or settings.profile
    # made under the cache's lock: creating a Session reads config files, makes no API call
    return ctx.cache.get(
        f"aws_boto_session:{profile or ''}", lambda: boto3.Session(profile_name=profile, region_name=settings.region)
    )


def make_session(ctx: CollectContext, credentials: Mapping[str, Any] | None = None) -> CountingSession:
    """A session whose clients count their API calls into ``ctx``.

    With ``credentials`` (from sts:AssumeRole) it acts in a member account; otherwise it uses
    the standard chain: --profile, environment, SSO, instance or container roles."""
    return CountingSession(ctx, _boto_session(ctx), credentials)


def client(ctx: CollectContext, session: CountingSession, service: str, region: str | None = None) -> BotoClient:
    """A client honouring ``endpoint:`` from config, else AWS_ENDPOINT_URL as boto3 does
    (``region``: a regional service's region, else the settings' region)."""
    settings: AwsSettings = ctx.settings
    kwargs: dict[str, Any] = {"config": boto_config(settings)}
    if region:
        kwargs["region_name"] = region
    if settings.endpoint:
        kwargs["endpoint_url"] = settings.endpoint
    return session.client(service, **kwargs)


def assume_account_role(
    ctx: CollectContext, base_session: CountingSession, account_id: str, role_name: str | None = None
) -> dict[str, Any]:
    """Credentials for ``role_name`` in ``account_id`` (raises botocore ClientError)."""
    settings: AwsSettings = ctx.settings
    sts = client(ctx, base_session, "sts")
    params = {
        "RoleArn": f"arn:aws:iam::{account_id}:role/{role_name or settings.org_role}",
        "RoleSessionName": settings.scanner_role_session_name,
    }
    if settings.external_id:
        params["ExternalId"] = settings.external_id
    credentials: dict[str, Any] = sts.assume_role(**params)["Credentials"]
    return credentials
