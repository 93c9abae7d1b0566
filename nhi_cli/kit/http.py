"""One REST helper for every HTTP connector (Graph, ARM, GitHub, OpenAI, Anthropic, GCP REST).

Paging, retries that honour ``Retry-After``, timeouts, error mapping and API-call counting
live here once. Connectors pass the paging style they need; nothing here knows a provider.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from nhi_cli.kit.connector import CollectContext, ScopeDenied, ScopeFailed

if TYPE_CHECKING:  # httpx itself is imported lazily (RestClient.__init__)
    import httpx

RETRY_STATUSES = {429, 500, 502, 503, 504}


class NotFound(Exception):
    """404: the caller decides whether that means 'not applicable' or an error."""


class HttpError(ScopeFailed):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(code, message)
        self.status_code = status


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, (when - datetime.now(UTC)).total_seconds())
        except (TypeError, ValueError):
            return None


def _scrub(text: str, secrets: list[str]) -> str:
    """An error text without the values a request carried in its headers. httpx and h11
    quote an invalid header value in full ("Illegal header value b'Bearer sk-...\\n'"), and
    that text would otherwise reach the inventory and the terminal."""
    for secret in sorted(secrets, key=len, reverse=True):
        for form in {secret, secret.strip(), repr(secret.encode())[2:-1], *secret.split()}:
            if len(form) >= 6:
                text = text.replace(form, "[redacted]")
    return text


def _rate_limited_403(response: httpx.Response) -> bool:
    """GitHub answers its rate limits with 403 plus Retry-After or X-RateLimit-Remaining: 0;
    that is throttling to wait out, not a permission refusal."""
    return response.status_code == 403 and (
        "Retry-After" in response.headers or response.headers.get("X-RateLimit-Remaining") == "0"
    )


def _until_reset(value: str | None) -> float | None:
    try:
        return max(0.0, float(value) - time.time()) if value else None
    except ValueError:
        return None


def _error_code(response: httpx.Response) -> str:
    """The provider's own error code where the body has one, else the HTTP status."""
    try:
        body = response.json()
    except ValueError:
        return str(response.status_code)
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            if isinstance(err.get("code"), int) and err.get("status"):  # Google: numeric code + status name
                return str(err["status"])
            return str(err.get("code") or err.get("type") or err.get("status") or response.status_code)
        if isinstance(err, str):
            return err
        if body.get("message"):
            return str(response.status_code)
    return str(response.status_code)


class RestClient:
    """A small httpx wrapper: ``get_json``, ``request`` and the ``paged_*`` iterators.

    ``headers`` is a callable so tokens can be refreshed per request. ``label`` prefixes the
    call counter ("graph", "github"), ``timeout`` defaults to the connector's ``timeout:``
    setting, and ``sleep`` is injectable so tests need not wait."""

    def __init__(
        self,
        base_url: str,
        ctx: CollectContext,
        *,
        label: str,
        headers: Callable[[], dict[str, str]] | None = None,
        timeout: float | None = None,
        max_retries: int = 4,
        max_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        import httpx  # lazy: keeps `nhi --help` fast

        self.ctx = ctx
        self.label = label
        self.headers = headers or (lambda: {})
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.sleep = sleep
        if timeout is None:
            timeout = getattr(ctx.settings, "timeout", None) or 30.0
        self.http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, follow_redirects=False)
        self._httpx = httpx

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> RestClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _count_name(self, method: str, url: str) -> str:
        return f"{self.label}:{self._where(method, url)}"

    @staticmethod
    def _where(method: str, url: str) -> str:
        """Method and path only, for messages and counters: a query string can carry a
        token or signature, and an absolute URL a user:password@."""
        path = url.split("?", 1)[0]
        if "://" in path:
            path = "/" + path.split("://", 1)[1].split("/", 1)[-1]
        return f"{method} {path}"

    def _transport_error(self, method: str, url: str, exc: Exception, sent: dict[str, str]) -> str:
        secrets = [v for v in sent.values() if v]
        if self.http.base_url.password:
            secrets.append(self.http.base_url.password)
        return _scrub(f"{self._where(method, url)}: {type(exc).__name__}: {exc}", secrets)

    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        ok: tuple[int, ...] = (200, 201, 202, 204),
        count_as: str | None = None,
    ) -> httpx.Response:
        """Send one request with retries; returns the httpx response for an ``ok`` status."""
        attempt = 0
        while True:
            if self.ctx.cancel.is_set():
                raise KeyboardInterrupt
            self.ctx.count(count_as or self._count_name(method, url))
            sent = self.headers()
            try:
                response = self.http.request(method, url, params=params, json=json, headers=sent)
            except self._httpx.LocalProtocolError:
                # The request could not even be written (a header value with a newline or
                # other forbidden character, typically a pasted key): retrying cannot help,
                # and the exception text quotes the header, so it is not used.
                raise ScopeFailed(
                    "invalid_request",
                    f"{self._where(method, url)}: a request header is not valid "
                    "HTTP; check the configured key or token for spaces or line breaks",
                ) from None
            except self._httpx.TimeoutException as exc:
                if attempt >= self.max_retries:
                    raise ScopeFailed("timeout", self._transport_error(method, url, exc, sent)) from None
                attempt += 1
                self.sleep(min(self.max_wait, 2**attempt * 0.5))
                continue
            except self._httpx.HTTPError as exc:
                if attempt >= self.max_retries:
                    raise ScopeFailed("unreachable", self._transport_error(method, url, exc, sent)) from None
                attempt += 1
                self.sleep(min(self.max_wait, 2**attempt * 0.5))
                continue
            status = response.status_code
            if status in ok:
                return response
            if (status in RETRY_STATUSES or _rate_limited_403(response)) and attempt < self.max_retries:
                attempt += 1
                wait = _retry_after(response.headers.get("Retry-After"))
                if wait is None and status == 403:
                    wait = _until_reset(response.headers.get("X-RateLimit-Reset"))
                if wait is None:
                    wait = min(self.max_wait, (2**attempt) * 0.5 + random.random() * 0.1)
                self.sleep(min(wait, self.max_wait))
                continue
            code = _error_code(response)
            if status == 404:
                raise NotFound(f"{self._where(method, url)}: 404 {code}")
            if status in (401, 403):
                raise ScopeDenied(
                    code if code != str(status) else f"HTTP{status}", f"{self._where(method, url)} returned {status}"
                )
            raise HttpError(
                status,
                code if code != str(status) else f"HTTP{status}",
                f"{self._where(method, url)} returned {status} after {attempt} retries",
            )

    def get_json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        return self.request("GET", url, params=params).json()

    # --- paging styles ------------------------------------------------------------------
    def paged_link(
        self, url: str, params: dict[str, Any] | None = None, items_key: str | None = None, count_as: str | None = None
    ) -> Iterator[Any]:
        """GitHub style: follow ``Link: <...>; rel="next"``. ``count_as`` names the call in the
        counter when the path varies (one name for ``/repos/{o}/{r}/keys`` over 5,000 repos)."""
        next_url: str | None = url
        while next_url:
            response = self.request("GET", next_url, params=params, count_as=count_as)
            params = None  # the next link carries its own query
            body = response.json()
            yield from (body[items_key] if items_key else body)
            next_url = response.links.get("next", {}).get("url")

    def paged_odata(self, url: str, params: dict[str, Any] | None = None, count_as: str | None = None) -> Iterator[Any]:
        """Graph and ARM style: ``value`` plus an absolute ``@odata.nextLink`` / ``nextLink``."""
        next_url: str | None = url
        while next_url:
            body = self.request("GET", next_url, params=params, count_as=count_as).json()
            params = None
            yield from body.get("value", [])
            next_url = body.get("@odata.nextLink") or body.get("nextLink")

    def paged_cursor(
        self,
        url: str,
        params: dict[str, Any] | None = None,
        *,
        cursor_param: str = "after",
        cursor_field: str = "last_id",
        count_as: str | None = None,
    ) -> Iterator[Any]:
        """OpenAI and Anthropic style: ``data`` + ``has_more``, next page from ``last_id``."""
        params = dict(params or {})
        while True:
            body = self.request("GET", url, params=params, count_as=count_as).json()
            yield from body.get("data", [])
            if not body.get("has_more") or not body.get(cursor_field):
                return
            params[cursor_param] = body[cursor_field]

    def paged_token(
        self,
        url: str,
        items_key: str,
        params: dict[str, Any] | None = None,
        *,
        token_param: str = "pageToken",
        token_field: str = "nextPageToken",
    ) -> Iterator[Any]:
        """Google REST style: ``nextPageToken``."""
        params = dict(params or {})
        while True:
            body = self.request("GET", url, params=params).json()
            yield from body.get(items_key, [])
            token = body.get(token_field)
            if not token:
                return
            params[token_param] = token
