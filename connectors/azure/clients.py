"""Graph and ARM clients: the shared RestClient with a bearer token per request.

The token is asked of the credential on every request; azure-identity caches it and renews it
before expiry, so a long scan never sends a stale token.
"""
from __future__ import annotations

from nhi_cli.kit.connector import CollectContext
from nhi_cli.kit.http import RestClient

from .auth import bearer
from .settings import AzureSettings

ARM_API_VERSION = "2022-04-01"  # Microsoft.Authorization role assignments and definitions
SUBSCRIPTIONS_API_VERSION = "2022-12-01"


def graph_client(ctx: CollectContext, credential) -> RestClient:
    settings: AzureSettings = ctx.settings
    scope = settings.cloud_endpoints.graph + "/.default"
    return RestClient(settings.graph_base, ctx, label="graph", timeout=settings.timeout,
                      headers=lambda: {"Authorization": f"Bearer {bearer(credential, scope)}"})


def arm_client(ctx: CollectContext, credential) -> RestClient:
    settings: AzureSettings = ctx.settings
    scope = settings.cloud_endpoints.arm + "/.default"
    return RestClient(settings.arm_base, ctx, label="arm", timeout=settings.timeout,
                      headers=lambda: {"Authorization": f"Bearer {bearer(credential, scope)}"})

