"""An OpenAI Admin API fake on the shared FakeHttpServer, serving recorded list payloads.

A folder holds ``projects.json``, ``admin_api_keys.json`` and ``projects/<id>/api_keys.json``,
``projects/<id>/service_accounts.json``: each the ``{object: "list", data, ...}`` OpenAI
returns. The fake pages them with ``limit``/``after`` (``has_more``, ``last_id``), wants the
Admin key as a Bearer token, and applies deletes so a read-back shows them.

Like the real API it refuses (400 ``invalid_request_error``) an undocumented query parameter
or a ``limit`` outside 1..100, and lists project keys with membership-based visibility: a key
whose owner lost access to the project (``owner_project_access: "inactive"``) is listed only
when asked with ``owner_project_access=inactive`` or ``any``.

Checked against: the ``openai`` package's Admin API types (3.51, generated from OpenAI's
OpenAPI description, ``openai.types.admin.organization``) validate every payload it serves
(tests/fidelity/test_vendor_models.py); ``QUERY`` follows the API reference.
"""

from __future__ import annotations

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

PAGE: dict[str, QueryRule] = {"limit": IntRange(1, 100), "after": None}  # cursor paging of every list
QUERY: dict[
    str, dict[str, QueryRule]
] = {  # documented query parameters per list (platform.openai.com/docs/api-reference/administration)
    "projects": {**PAGE, "include_archived": {"true", "false"}},
    "api_keys": {**PAGE, "owner_project_access": {"active", "inactive", "any"}},
    "service_accounts": PAGE,
    "admin_api_keys": {**PAGE, "order": {"asc", "desc"}},
    "users": {**PAGE, "emails": None},
}
DEMO_ADMIN_KEY = "sk-admin-DEMOnwFAKEfakeFAKEfakeFAKE0000000000000000demo"  # fake; only the local demo fake accepts it


class OpenAIFake(FakeHttpServer):
    def __init__(
        self,
        projects: list[dict[str, Any]],
        keys: dict[str, list[dict[str, Any]]],
        accounts: dict[str, list[dict[str, Any]]],
        admin_keys_data: list[dict[str, Any]],
        *,
        admin_keys: set[str],
        page_size: int = 100,
        users: list[dict[str, Any]] | None = None,
    ):
        super().__init__()
        self.users = users or []
        self.projects, self.keys, self.accounts, self.admin_keys_data = projects, keys, accounts, admin_keys_data
        self.accepted = set(admin_keys)
        self.page_size = page_size
        p = r"/v1/organization/projects/(?P<pid>[^/]+)"
        self.route(
            "GET", r"/v1/organization/projects", self._auth(lambda r: self._page(r, self._live_projects(r), "projects"))
        )
        self.route("GET", p + r"/api_keys", self._auth(lambda r: self._page(r, self._visible_keys(r), "api_keys")))
        self.route(
            "GET",
            p + r"/service_accounts",
            self._auth(lambda r: self._page(r, self.accounts.get(r.match["pid"], []), "service_accounts")),
        )
        self.route(
            "GET", p + r"/api_keys/(?P<id>[^/]+)", self._auth(lambda r: self._get(self.keys.get(r.match["pid"], []), r))
        )
        self.route(
            "DELETE",
            p + r"/api_keys/(?P<id>[^/]+)",
            self._auth(
                lambda r: self._delete(self.keys.get(r.match["pid"], []), r, "organization.project.api_key.deleted")
            ),
        )
        self.route(
            "GET",
            p + r"/service_accounts/(?P<id>[^/]+)",
            self._auth(lambda r: self._get(self.accounts.get(r.match["pid"], []), r)),
        )
        self.route("DELETE", p + r"/service_accounts/(?P<id>[^/]+)", self._auth(self._delete_account))
        self.route(
            "GET",
            r"/v1/organization/admin_api_keys",
            self._auth(lambda r: self._page(r, self.admin_keys_data, "admin_api_keys")),
        )
        self.route("GET", r"/v1/organization/users", self._auth(lambda r: self._page(r, self.users, "users")))
        self.route(
            "GET",
            r"/v1/organization/admin_api_keys/(?P<id>[^/]+)",
            self._auth(lambda r: self._get(self.admin_keys_data, r)),
        )
        self.route(
            "DELETE",
            r"/v1/organization/admin_api_keys/(?P<id>[^/]+)",
            self._auth(lambda r: self._delete(self.admin_keys_data, r, "organization.admin_api_key.deleted")),
        )

    @classmethod
    def from_dir(cls, folder: Path, now: datetime | None = None, **kwargs: Any) -> OpenAIFake:
        projects = list_payload(folder / "projects.json")
        keys = {p["id"]: list_payload(folder / "projects" / p["id"] / "api_keys.json") for p in projects}
        accounts = {p["id"]: list_payload(folder / "projects" / p["id"] / "service_accounts.json") for p in projects}
        admin = list_payload(folder / "admin_api_keys.json")
        users = list_payload(folder / "users.json")
        if now is not None:
            projects, keys, accounts, admin, users = shift_times(
                [projects, keys, accounts, admin, users], now - RECORDED_AT
            )
        return cls(projects, keys, accounts, admin, users=users, **kwargs)

    def _auth(self, handler: Handler) -> Handler:
        def wrapped(req: FakeRequest) -> FakeResponse:
            auth = req.headers.get("authorization", "")
            if not auth.startswith("Bearer ") or auth[7:] not in self.accepted:
                return reply(
                    {
                        "error": {
                            "type": "invalid_request_error",
                            "code": "invalid_api_key",
                            "message": "Incorrect API key provided.",
                        }
                    },
                    401,
                )
            return handler(req)

        return wrapped

    def _live_projects(self, req: FakeRequest) -> list[dict[str, Any]]:
        if req.arg("include_archived") == "true":
            return self.projects
        return [p for p in self.projects if p.get("status") != "archived"]

    def _visible_keys(self, req: FakeRequest) -> list[dict[str, Any]]:
        """Membership-based visibility: by default only keys whose owner still has access."""
        wanted = req.arg("owner_project_access", "active")
        keys = self.keys.get(req.match["pid"], [])
        if wanted == "any":
            return keys
        return [k for k in keys if k.get("owner_project_access", "active") == wanted]

    def _page(self, req: FakeRequest, items: list[dict[str, Any]], listing: str) -> FakeResponse:
        if problem := query_problem(req, QUERY[listing]):
            return reply(
                {"error": {"type": "invalid_request_error", "code": None, "param": None, "message": problem}}, 400
            )
        return cursor_page(req, items, self.page_size)

    def _get(self, items: list[dict[str, Any]], req: FakeRequest) -> FakeResponse:
        item = next((i for i in items if i["id"] == req.match["id"]), None)
        return reply(item) if item else reply({"error": {"type": "invalid_request_error", "message": "not found"}}, 404)

    def _delete(self, items: list[dict[str, Any]], req: FakeRequest, kind: str) -> FakeResponse:
        item = next((i for i in items if i["id"] == req.match["id"]), None)
        if item is None:
            return reply({"error": {"type": "invalid_request_error", "message": "not found"}}, 404)
        items.remove(item)
        return reply({"object": kind, "id": item["id"], "deleted": True})

    def _delete_account(self, req: FakeRequest) -> FakeResponse:
        response = self._delete(
            self.accounts.get(req.match["pid"], []), req, "organization.project.service_account.deleted"
        )
        if response.status == 200:  # its keys go with it
            keys = self.keys.get(req.match["pid"], [])
            keys[:] = [
                k for k in keys if ((k.get("owner") or {}).get("service_account") or {}).get("id") != req.match["id"]
            ]
        return response
