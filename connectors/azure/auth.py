"""Tokens for Graph and ARM through azure-identity, imported lazily.

Credential objects cache their tokens, so one credential is built per connector instance and
reused for every scope. ``StaticTokenCredential`` implements azure-core's ``TokenCredential``
protocol for tests, the demo and token-injecting proxies: real credential classes refuse a
plain-http authority, so a local fake cannot issue them tokens.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

from nhi_cli.kit.connector import AuthFailed

from .settings import AzureSettings

if TYPE_CHECKING:  # azure-core and azure-identity load when a credential is built
    from azure.core.credentials import AccessToken, TokenCredential


class StaticTokenCredential:
    """Returns the configured token for every scope (``isinstance(x, TokenCredential)``), or the
    one configured for that scope (``per_scope``: Foundry's audience differs from ARM's)."""

    def __init__(self, token: str, per_scope: dict[str, str] | None = None):
        self._token = token
        self._per_scope = per_scope or {}

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        from azure.core.credentials import AccessToken

        token = next((self._per_scope[s] for s in scopes if s in self._per_scope), self._token)
        return AccessToken(token, int(time.time()) + 3600)


def build_credential(settings: AzureSettings) -> TokenCredential:
    """The credential the settings ask for; raises AuthFailed when it cannot be built."""
    auth = settings.effective_auth
    if auth == "static_token":
        ai = settings.cloud_endpoints.ai_audience
        per_scope = (
            {ai + "/.default": settings.static_ai_token.get_secret_value()} if ai and settings.static_ai_token else {}
        )
        token = settings.static_token.get_secret_value() if settings.static_token else ""
        return StaticTokenCredential(token, per_scope)
    import azure.identity as identity

    authority = settings.cloud_endpoints.authority
    # AzureSettings refuses client_secret and certificate without tenant_id and client_id
    tenant_id, client_id = settings.tenant_id or "", settings.client_id or ""
    try:
        if auth == "client_secret":
            secret = os.environ.get(settings.client_secret_env)
            if not secret:
                raise AuthFailed(
                    "auth", f"environment variable {settings.client_secret_env} is not set (auth: client_secret)"
                )
            return identity.ClientSecretCredential(tenant_id, client_id, secret, authority=authority)
        if auth == "certificate":
            return identity.CertificateCredential(tenant_id, client_id, settings.certificate_path, authority=authority)
        if auth == "managed_identity":
            return identity.ManagedIdentityCredential(client_id=settings.client_id)
        return identity.DefaultAzureCredential(exclude_interactive_browser_credential=True, authority=authority)
    except AuthFailed:
        raise
    except Exception as exc:  # bad certificate path, unreadable file, ...
        raise AuthFailed("auth", f"cannot build the Azure credential ({auth}): {exc}") from None


def bearer(credential: TokenCredential, scope: str) -> str:
    """A token for ``scope``; azure-identity errors become AuthFailed with one readable line."""
    try:
        token: str = credential.get_token(scope).token
        return token
    except AuthFailed:
        raise
    except Exception as exc:  # ClientAuthenticationError, CredentialUnavailableError
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise AuthFailed("auth", f"no Azure token for {scope}: {first_line}") from None
