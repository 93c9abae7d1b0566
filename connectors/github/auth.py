"""GitHub authentication: a token, or a GitHub App exchanged for installation tokens.

The fine-grained-PAT org endpoints accept only GitHub App installation tokens, so a GitHub App
(app id + private key) is the complete setup; a plain token (GITHUB_TOKEN) still reads
installations, deploy keys and SSO authorizations, and the PAT part becomes a recorded gap.

Minting an installation token (POST /app/installations/{id}/access_tokens) creates a
short-lived token for nhi itself; it changes none of the org's identities.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from datetime import datetime
from pathlib import Path

from nhi_cli.kit.connector import AuthFailed, CollectContext
from nhi_cli.kit.credentials import secret_setting
from nhi_cli.kit.http import RestClient

from .settings import GithubSettings, rest_base

API_VERSION = "2022-11-28"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def app_jwt(app_id: str, private_key_pem: bytes, now: float | None = None) -> str:
    """The RS256 JWT a GitHub App signs to call /app endpoints (valid 9 minutes, iat backdated
    60 s for clock drift, as GitHub recommends)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    now = int(now if now is not None else time.time())
    header = _b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps({"iat": now - 60, "exp": now + 540, "iss": str(app_id)}).encode())
    try:
        key = serialization.load_pem_private_key(private_key_pem, password=None)
    except (ValueError, TypeError):
        raise AuthFailed("bad_private_key", "the GitHub App private key is not a readable PEM RSA key") from None
    if not isinstance(key, rsa.RSAPrivateKey):  # RS256 needs RSA; another key type cannot sign it
        raise AuthFailed("bad_private_key", "the GitHub App private key is not a readable PEM RSA key")
    signature = key.sign(f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{payload}.{_b64(signature)}"


class GithubAuth:
    """Hands out the Authorization header for an org: the token, or that org's installation
    token (minted once per org and reused until five minutes before it expires)."""

    def __init__(self, settings: GithubSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[str, float]] = {}
        self._app: RestClient | None = None
        self.token = secret_setting(settings.token, "GITHUB_TOKEN")
        self.private_key: bytes | None = None
        if settings.app_id:
            if settings.app_private_key:
                self.private_key = settings.app_private_key.get_secret_value().encode()
            elif settings.app_private_key_path:
                try:
                    self.private_key = Path(settings.app_private_key_path).expanduser().read_bytes()
                except OSError as exc:
                    raise AuthFailed(
                        "bad_private_key", f"cannot read the GitHub App private key: {exc.strerror}"
                    ) from None
            elif os.environ.get("GITHUB_APP_PRIVATE_KEY"):
                self.private_key = os.environ["GITHUB_APP_PRIVATE_KEY"].encode()
            else:
                raise AuthFailed("no_private_key", "github app_id is set but no app_private_key(_path)")
            if self.private_key:
                app_jwt(settings.app_id, self.private_key)  # a bad key fails here, once, before any scope
        if not self.private_key and not self.token:
            raise AuthFailed(
                "no_credentials",
                "no GitHub credentials: set GITHUB_TOKEN, providers.github.token, "
                "or a GitHub App (app_id + app_private_key_path)",
            )

    @property
    def is_app(self) -> bool:
        return self.private_key is not None

    def jwt_headers(self) -> dict[str, str]:
        assert self.private_key is not None and self.settings.app_id  # a key is only read with an app_id
        return base_headers(app_jwt(self.settings.app_id, self.private_key))

    def headers_for(self, org: str, ctx: CollectContext) -> dict[str, str]:
        if not self.is_app:
            return base_headers(self.token)
        with self._lock:
            cached = self._tokens.get(org)
            if cached and cached[1] - time.time() > 300:
                return base_headers(cached[0])
            client = self._app_client(ctx)
            installation = self.settings.installation_id
            if installation is None:
                body = client.request(
                    "GET", f"/orgs/{org}/installation", count_as="github:GET /orgs/{org}/installation"
                ).json()
                installation = body["id"]
            body = client.request(
                "POST",
                f"/app/installations/{installation}/access_tokens",
                count_as="github:POST /app/installations/{id}/access_tokens",
            ).json()
            expires = _parse_epoch(body.get("expires_at")) or time.time() + 3600
            self._tokens[org] = (body["token"], expires)
            return base_headers(body["token"])

    def _app_client(self, ctx: CollectContext) -> RestClient:
        """A client signed with the app's JWT, for the /app and /orgs/{org}/installation calls."""
        if self._app is None:
            self._app = RestClient(rest_base(self.settings), ctx, label="github", headers=self.jwt_headers)
        return self._app

    def close(self) -> None:
        if self._app is not None:
            self._app.close()
            self._app = None


def base_headers(token: str | None) -> dict[str, str]:
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION, "User-Agent": "nhi"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def _parse_epoch(value: str | None) -> float | None:
    try:
        return datetime.fromisoformat(value).timestamp() if value else None
    except ValueError:
        return None


def org_client(ctx: CollectContext, auth: GithubAuth, org: str) -> RestClient:
    """A RestClient whose every request carries the org's credentials."""
    return RestClient(rest_base(ctx.settings), ctx, label="github", headers=lambda: auth.headers_for(org, ctx))
