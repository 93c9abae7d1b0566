"""A local HTTP server for REST fakes: recorded, sanitized payloads served on loopback.

One generic piece serves the demo estate and the tests of every REST connector. A provider
fake registers routes (method + path regex -> handler), the server records every request it
received (so tests can assert the calls a revoke made), and faults can be queued per route
(a 429 with Retry-After, a 403, a 503) to exercise retries and denied scopes.
"""

from __future__ import annotations

import json
import re
import ssl
import sys
import threading
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self, overload
from urllib.parse import parse_qs, urlsplit

LOOPBACK = "127.0.0.1"  # fakes never listen beyond this machine


def _empty_match() -> re.Match[str]:
    match = re.compile("").fullmatch("")
    assert match is not None  # "" always matches ""
    return match


# A request's match before routing: a real (empty) match, so handlers, which only ever see
# routed requests, index ``req.match`` without a None check; a group name is an IndexError here
_UNROUTED = _empty_match()


@dataclass
class FakeRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    match: re.Match[str] = _UNROUTED  # the route's match (see _dispatch)

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    @overload
    def arg(self, name: str) -> str | None: ...
    @overload
    def arg(self, name: str, default: str) -> str: ...
    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class FakeResponse:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[FakeRequest], FakeResponse]
# what a documented query parameter accepts: anything (None), one of a set, or what a check
# returning a problem (see IntRange) lets through
QueryRule = AbstractSet[str] | Callable[[str], str | None] | None


def reply(body: Any = None, status: int = 200, **headers: str) -> FakeResponse:
    return FakeResponse(status, body, {k.replace("_", "-"): v for k, v in headers.items()})


class IntRange:
    """A query parameter that must be an integer in [low, high] (a documented page size)."""

    def __init__(self, low: int, high: int):
        self.low, self.high = low, high

    def __call__(self, value: str) -> str | None:
        try:
            number = int(value)
        except ValueError:
            return f"must be an integer, got {value!r}"
        if not self.low <= number <= self.high:
            return f"must be between {self.low} and {self.high}, got {number}"
        return None


def query_problem(
    req: FakeRequest, allowed: Mapping[str, QueryRule], required: tuple[str, ...] = (), ignore: tuple[str, ...] = ()
) -> str | None:
    """What the real API would reject in ``req``'s query, as one sentence (None: nothing).

    ``allowed`` maps each documented parameter to None (any value), a set of allowed values,
    or a callable returning a problem (see :class:`IntRange`). An undocumented parameter, a
    value outside the documented set or range, or a missing ``required`` one is a problem:
    fakes answer it with the vendor's 400, so a connector that sends what the real API would
    refuse fails its tests."""
    for name in required:
        if name not in req.query:
            return f"the required query parameter {name!r} is missing"
    for name, values in req.query.items():
        if name in ignore:
            continue
        if name not in allowed:
            return f"unknown query parameter {name!r}"
        rule = allowed[name]
        for value in values:
            if isinstance(rule, (set, frozenset)) and value not in rule:
                return f"{name}={value!r} is not one of {sorted(rule)}"
            if callable(rule) and (problem := rule(value)):
                return f"{name} {problem}"
    return None


def list_payload(path: Path) -> list[dict[str, Any]]:
    """The ``data`` of a recorded ``{object: "list", data, ...}`` payload file; [] if absent."""
    return json.loads(path.read_text())["data"] if path.is_file() else []


def cursor_page(
    req: FakeRequest, items: list[dict[str, Any]], page_size: int, cursor: str = "after", limit_max: int = 100
) -> FakeResponse:
    """One page in the OpenAI/Anthropic list style: ``data`` after the item whose id is the
    ``cursor`` argument, with ``has_more``, ``first_id`` and ``last_id``."""
    limit = min(int(req.arg("limit", "20")), limit_max, page_size)
    start = 0
    after = req.arg(cursor)
    if after:
        ids = [i["id"] for i in items]
        if after not in ids:
            return reply({"error": {"type": "invalid_request_error", "message": "bad cursor"}}, 400)
        start = ids.index(after) + 1
    chunk = items[start : start + limit]
    return reply(
        {
            "object": "list",
            "data": chunk,
            "first_id": chunk[0]["id"] if chunk else None,
            "last_id": chunk[-1]["id"] if chunk else None,
            "has_more": start + limit < len(items),
        }
    )


def token_page(req: FakeRequest, items: list[Any], key: str, page_size: int) -> FakeResponse:
    """One page in Google's list style: ``pageSize`` (capped at ``page_size``) items under
    ``key`` from the offset ``pageToken`` names, and ``nextPageToken`` while more remain."""
    size = min(int(req.arg("pageSize") or page_size), page_size)
    start = int(req.arg("pageToken") or 0)
    body: dict[str, Any] = {key: items[start : start + size]}
    if start + size < len(items):
        body["nextPageToken"] = str(start + size)
    return reply(body)


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # a client that refused the fake's certificate (a test of TLS verification) is the
        # expected outcome, not a fake's bug worth a traceback on stderr
        if not isinstance(sys.exc_info()[1], ssl.SSLError):
            super().handle_error(request, client_address)


class FakeHttpServer:
    def __init__(self, *, tls: ssl.SSLContext | None = None) -> None:
        # a server-side context: serve https (an API server that only speaks TLS, such as the
        # in-cluster Kubernetes API), else plain http
        self.tls = tls
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.faults: list[tuple[str, re.Pattern[str], FakeResponse]] = []
        self.requests: list[FakeRequest] = []
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- setup --------------------------------------------------------------------------
    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append((method.upper(), re.compile(pattern + r"\Z"), handler))

    def fault(self, method: str, pattern: str, status: int, body: Any = None, times: int = 1, **headers: str) -> None:
        """Answer the next ``times`` matching requests with ``status`` instead of the route."""
        for _ in range(times):
            self.faults.append((method.upper(), re.compile(pattern + r"\Z"), reply(body, status, **headers)))

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"{'https' if self.tls else 'http'}://{LOOPBACK}:{self._server.server_port}"

    def calls(self, method: str | None = None, pattern: str | None = None) -> list[FakeRequest]:
        rx = re.compile(pattern + r"\Z") if pattern else None
        with self.lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method.upper()) and (rx is None or rx.match(r.path))
            ]

    # --- serving ------------------------------------------------------------------------
    def _dispatch(self, request: FakeRequest) -> FakeResponse:
        with self.lock:
            self.requests.append(request)
            for index, (method, rx, response) in enumerate(self.faults):
                if method == request.method and rx.match(request.path):
                    del self.faults[index]
                    return response
        for method, rx, handler in self.routes:
            match = rx.match(request.path)
            if method == request.method and match:
                request.match = match
                return handler(request)
        return reply({"error": {"code": "NotFound", "message": f"no route for {request.method} {request.path}"}}, 404)

    def start(self) -> Self:
        fake = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; with Nagle on, each keep-alive response
            # waits ~40 ms for a delayed ACK (1,000 calls took 46 s instead of ~1 s).
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:  # quiet: tests and the demo read their own output
                pass

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = FakeRequest(
                    self.command,
                    parts.path,
                    parse_qs(parts.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length) if length else b"",
                )
                try:
                    response = fake._dispatch(request)
                except Exception as exc:  # a bug in a fake is a 500, visible in the test
                    response = reply({"error": {"code": "FakeError", "message": repr(exc)}}, 500)
                payload = (
                    b""
                    if response.body is None
                    else (response.body if isinstance(response.body, bytes) else json.dumps(response.body).encode())
                )
                self.send_response(response.status)
                headers = {"Content-Type": "application/json", **response.headers}
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _handle

        self._server = _Server((LOOPBACK, 0), RequestHandler)
        if self.tls:  # the handshake happens on the first read, in the connection's own thread
            self._server.socket = self.tls.wrap_socket(
                self._server.socket, server_side=True, do_handshake_on_connect=False
            )
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
