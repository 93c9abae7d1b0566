"""An Anthropic Admin API fake on the shared FakeHttpServer, serving recorded list payloads.

A folder holds ``api_keys.json``, ``workspaces.json`` and ``users.json`` (each the
``{data, first_id, last_id, has_more}`` Anthropic returns) and ``default_workspace.json`` (the
organization's default Workspace object). Pages with ``limit``/``after_id``; accepts the Admin
key as ``x-api-key`` or as a Bearer token (the SDK sends the latter), wants
``anthropic-version``, and applies status updates so a read-back shows them.

As documented, the workspace list leaves out archived Workspaces unless
``include_archived=true`` and the default Workspace unless ``include_default=true``; an
undocumented query parameter or a ``limit`` outside 1..1000 is a 400.

Checked against: the ``anthropic`` package's Admin API types (2.10, generated from Anthropic's
OpenAPI description, ``anthropic.types.organization``) validate every payload it serves
(tests/fidelity/test_vendor_models.py).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from nhi_cli.kit.http_fake import (
    FakeHttpServer,
    FakeRequest,
    FakeResponse,
    Handler,
    IntRange,
    QueryRule,
    cursor_page,
    list_payload,
    query_problem,
    reply,
)
from nhi_cli.kit.times import RECORDED_AT, shift_times

PAGE: dict[str, QueryRule] = {"limit": IntRange(1, 1000), "after_id": None, "before_id": None}
BOOL = {"true", "false"}
QUERY: dict[
    str, dict[str, QueryRule]
] = {  # documented query parameters per list (platform.claude.com/docs/en/api/admin)
    "api_keys": {
        **PAGE,
        "status": {"active", "inactive", "archived", "expired"},
        "workspace_id": None,
        "created_by_user_id": None,
    },
    "workspaces": {**PAGE, "include_archived": BOOL, "include_default": BOOL},
    "users": {**PAGE, "email": None},
}
DEMO_ADMIN_KEY = (
    "sk-ant-admin01-DEMOnwFAKEfakeFAKEfakeFAKE000000000000000000demoAA"  # fake; only the demo fake accepts it
)


class AnthropicFake(FakeHttpServer):
    def __init__(
        self,
        keys: list[dict[str, Any]],
        workspaces: list[dict[str, Any]],
        users: list[dict[str, Any]],
        default_workspace: dict[str, Any] | None = None,
        *,
        admin_keys: set[str],
        page_size: int = 1000,
    ):
        super().__init__()
        self.keys, self.workspaces, self.users, self.default_workspace = keys, workspaces, users, default_workspace
        self.accepted = set(admin_keys)
        self.page_size = page_size
        base = r"/v1/organizations"
        self.route("GET", base + r"/api_keys", self._auth(self._list_keys))
        self.route("GET", base + r"/api_keys/(?P<id>[^/]+)", self._auth(self._get_key))
        self.route("POST", base + r"/api_keys/(?P<id>[^/]+)", self._auth(self._update_key))
        self.route("GET", base + r"/workspaces", self._auth(self._list_workspaces))
        self.route("GET", base + r"/users", self._auth(lambda r: self._page(r, self.users, "users")))

    @classmethod
    def from_dir(cls, folder: Path, now: datetime | None = None, **kwargs: Any) -> AnthropicFake:
        keys, workspaces, users = (
            list_payload(folder / name) for name in ("api_keys.json", "workspaces.json", "users.json")
        )
        default = folder / "default_workspace.json"
        default_workspace = json.loads(default.read_text()) if default.is_file() else None
        if now is not None:
            keys, workspaces, users, default_workspace = shift_times(
                [keys, workspaces, users, default_workspace], now - RECORDED_AT
            )
        return cls(keys, workspaces, users, default_workspace, **kwargs)

    def _auth(self, handler: Handler) -> Handler:
        def wrapped(req: FakeRequest) -> FakeResponse:
            key = req.headers.get("x-api-key") or req.headers.get("authorization", "").removeprefix("Bearer ")
            if key not in self.accepted:
                return reply(
                    {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}, 401
                )
            if not req.headers.get("anthropic-version"):
                return reply(
                    {
                        "type": "error",
                        "error": {"type": "invalid_request_error", "message": "anthropic-version: header is required"},
                    },
                    400,
                )
            return handler(req)

        return wrapped

    def _page(self, req: FakeRequest, items: list[dict[str, Any]], listing: str) -> FakeResponse:
        if problem := query_problem(req, QUERY[listing]):
            return reply({"type": "error", "error": {"type": "invalid_request_error", "message": problem}}, 400)
        return cursor_page(req, items, self.page_size, cursor="after_id", limit_max=1000)

    def _list_keys(self, req: FakeRequest) -> FakeResponse:
        status, workspace = req.arg("status"), req.arg("workspace_id")
        items = [
            k
            for k in self.keys
            if (not status or k["status"] == status)
            and (not workspace or workspace in (k.get("workspace_id"), (k.get("scope") or {}).get("workspace_id")))
        ]
        return self._page(req, items, "api_keys")

    def _list_workspaces(self, req: FakeRequest) -> FakeResponse:
        items = list(self.workspaces)
        if req.arg("include_archived") != "true":
            items = [w for w in items if not w.get("archived_at")]
        if req.arg("include_default") == "true" and self.default_workspace:
            items.insert(0, self.default_workspace)
        return self._page(req, items, "workspaces")

    def _find(self, req: FakeRequest) -> dict[str, Any] | None:
        return next((k for k in self.keys if k["id"] == req.match["id"]), None)

    def _get_key(self, req: FakeRequest) -> FakeResponse:
        key = self._find(req)
        return (
            reply(key)
            if key
            else reply({"type": "error", "error": {"type": "not_found_error", "message": "not found"}}, 404)
        )

    def _update_key(self, req: FakeRequest) -> FakeResponse:
        key = self._find(req)
        if key is None:
            return reply({"type": "error", "error": {"type": "not_found_error", "message": "not found"}}, 404)
        body = req.json() or {}
        if body.get("status") not in (None, "active", "inactive", "archived"):
            return reply({"type": "error", "error": {"type": "invalid_request_error", "message": "bad status"}}, 400)
        if key["status"] == "archived" and body.get("status") == "active":
            return reply(
                {
                    "type": "error",
                    "error": {"type": "invalid_request_error", "message": "archived keys cannot be reactivated"},
                },
                400,
            )
        key.update({k: v for k, v in body.items() if k in ("status", "name")})
        return reply(key)
