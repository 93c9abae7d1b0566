"""Graph and ARM clients: the shared RestClient with a bearer token per request.

The token is asked of the credential on every request; azure-identity caches it and renews it
before expiry, so a long scan never sends a stale token.
"""

from __future__ import annotations

import threading

from nhi_cli.kit.connector import CollectContext
from nhi_cli.kit.http import RestClient

from .auth import bearer, build_credential
from .settings import AzureSettings

ARM_API_VERSION = "2022-04-01"  # Microsoft.Authorization role assignments and definitions
SUBSCRIPTIONS_API_VERSION = "2022-12-01"


def graph_client(ctx: CollectContext, credential) -> RestClient:
    settings: AzureSettings = ctx.settings
    scope = settings.cloud_endpoints.graph + "/.default"
    return RestClient(
        settings.graph_base,
        ctx,
        label="graph",
        timeout=settings.timeout,
        headers=lambda: {"Authorization": f"Bearer {bearer(credential, scope)}"},
    )


def arm_client(ctx: CollectContext, credential) -> RestClient:
    settings: AzureSettings = ctx.settings
    scope = settings.cloud_endpoints.arm + "/.default"
    return RestClient(
        settings.arm_base,
        ctx,
        label="arm",
        timeout=settings.timeout,
        headers=lambda: {"Authorization": f"Bearer {bearer(credential, scope)}"},
    )


def credential(ctx: CollectContext):
    """The azure-identity credential of this scan (or revoke command), built once and kept in
    ``ctx.cache`` so its token cache serves every scope."""
    return ctx.cache.get("credential", lambda: build_credential(ctx.settings))


def object_lock(ctx: CollectContext, key: str) -> threading.Lock:
    """One lock per Graph object: revoke runs targets concurrently, and two certificate
    removals on one application are read-modify-write of the same keyCredentials list
    (the second PATCH would put the first certificate back)."""
    return ctx.cache.get(f"object_lock:{key}", threading.Lock)
