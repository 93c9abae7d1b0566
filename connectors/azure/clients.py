"""Graph and ARM clients: the shared RestClient with a bearer token per request.

The token is asked of the credential on every request; azure-identity caches it and renews it
before expiry, so a long scan never sends a stale token.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from nhi_cli.kit.connector import CollectContext
from nhi_cli.kit.http import RestClient

from .auth import bearer, build_credential
from .settings import AzureSettings

if TYPE_CHECKING:  # azure-core loads with the credential
    from azure.core.credentials import TokenCredential

ARM_API_VERSION = "2022-04-01"  # Microsoft.Authorization role assignments and definitions
SUBSCRIPTIONS_API_VERSION = "2022-12-01"


def bearer_client(ctx: CollectContext, credential: TokenCredential, base: str, audience: str, label: str) -> RestClient:
    """A RestClient for one Azure API whose every request carries a token for ``audience``
    (Graph, ARM and Foundry each take their own), from the scan's one credential."""
    settings: AzureSettings = ctx.settings
    scope = audience + "/.default"
    return RestClient(
        base,
        ctx,
        label=label,
        timeout=settings.timeout,
        headers=lambda: {"Authorization": f"Bearer {bearer(credential, scope)}"},
    )


def graph_client(ctx: CollectContext, credential: TokenCredential) -> RestClient:
    settings: AzureSettings = ctx.settings
    return bearer_client(ctx, credential, settings.graph_base, settings.cloud_endpoints.graph, "graph")


def arm_client(ctx: CollectContext, credential: TokenCredential) -> RestClient:
    settings: AzureSettings = ctx.settings
    return bearer_client(ctx, credential, settings.arm_base, settings.cloud_endpoints.arm, "arm")


def credential(ctx: CollectContext) -> TokenCredential:
    """The azure-identity credential of this scan (or revoke command), built once and kept in
    ``ctx.cache`` so its token cache serves every scope."""
    return ctx.cache.get("credential", lambda: build_credential(ctx.settings))


def object_lock(ctx: CollectContext, key: str) -> threading.Lock:
    """One lock per Graph object: revoke runs targets concurrently, and two certificate
    removals on one application are read-modify-write of the same keyCredentials list
    (the second PATCH would put the first certificate back)."""
    return ctx.cache.get(f"object_lock:{key}", threading.Lock)
