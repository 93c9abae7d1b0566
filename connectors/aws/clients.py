"""The AWS get layer's clients: boto3 sessions with the standard credential chain, endpoint override,
adaptive retries, assumed roles for Organization member accounts, and API-call counting.

Every session nhi creates goes through ``make_session`` so that the botocore ``before-call``
hook counts each API call into the scope's counter (``iam:GetAccountAuthorizationDetails``).
"""
from __future__ import annotations

from typing import Any

from nhi_cli.kit.connector import CollectContext

from .settings import AwsSettings


def boto_config(settings: AwsSettings):
    from botocore.config import Config

    return Config(
        region_name=settings.region,
        retries={"mode": "adaptive", "max_attempts": 8},
        connect_timeout=min(settings.timeout, 10),
        read_timeout=settings.timeout,
        user_agent_extra="nhi",
    )


def make_session(ctx: CollectContext, credentials: dict[str, Any] | None = None):
    """A boto3 session that counts its API calls into ``ctx``.

    With ``credentials`` (from sts:AssumeRole) it acts in a member account; otherwise it uses
    the standard chain: --profile, environment, SSO, instance or container roles."""
    import boto3

    settings: AwsSettings = ctx.settings
    if credentials:
        session = boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=settings.region,
        )
    else:
        profile = ctx.options.aws_profile or settings.profile
        session = boto3.Session(profile_name=profile, region_name=settings.region)

    def count(model=None, **_):
        ctx.count(f"{model.service_model.service_name}:{model.name}")

    session.events.register("before-call.*.*", count)
    return session


def client(ctx: CollectContext, session, service: str):
    """A client honouring ``endpoint:`` from config, else AWS_ENDPOINT_URL as boto3 does."""
    settings: AwsSettings = ctx.settings
    kwargs = {"config": boto_config(settings)}
    if settings.endpoint:
        kwargs["endpoint_url"] = settings.endpoint
    return session.client(service, **kwargs)


def assume_account_role(ctx: CollectContext, base_session, account_id: str, role_name: str | None = None) -> dict:
    """Credentials for ``role_name`` in ``account_id`` (raises botocore ClientError)."""
    settings: AwsSettings = ctx.settings
    sts = client(ctx, base_session, "sts")
    params = {
        "RoleArn": f"arn:aws:iam::{account_id}:role/{role_name or settings.org_role}",
        "RoleSessionName": settings.scanner_role_session_name,
    }
    if settings.external_id:
        params["ExternalId"] = settings.external_id
    return sts.assume_role(**params)["Credentials"]
