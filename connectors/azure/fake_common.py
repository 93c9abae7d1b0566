"""What the Azure fake's modules share (fake layer): the error body Graph and ARM answer with,
and ``Fake``, the part of ``AzureFake`` (fake.py) that ai_fake.py and foundry_fake.py add routes
to. They cannot import fake.py, which imports them, so they name it by this Protocol."""

from __future__ import annotations

from typing import Any, Protocol

from nhi_cli.kit.http_fake import FakeHttpServer, FakeRequest, FakeResponse, Handler, reply


def error(status: int, code: str, message: str) -> FakeResponse:
    """``{"error": {"code", "message"}}``: how Graph and ARM refuse a request."""
    return reply({"error": {"code": code, "message": message}}, status)


class Fake(Protocol):
    estate: dict[str, Any]
    server: FakeHttpServer
    ai_token: str
    denied_projects: set[str]

    def _page(
        self, request: FakeRequest, items: list[dict[str, Any]], link_key: str, expand: bool = False
    ) -> FakeResponse: ...

    def _guard(self, handler: Handler) -> Handler: ...
