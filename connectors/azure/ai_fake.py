"""The fake's side (fake layer): Microsoft.CognitiveServices accounts on the Azure fake's ARM
routes (fake.py adds them). Estate field ``cognitiveAccounts``: subscription id -> Account
objects as ARM returns them (api-version 2024-10-01). PATCH sets ``disableLocalAuth``;
regenerateKey answers with fresh fake key values, as the real API does (nhi must not keep
them). tests/azure/test_azure_ai.py validates the served accounts against the
azure-mgmt-cognitiveservices models (generated from Azure/azure-rest-api-specs).
"""

from __future__ import annotations

import copy
import secrets
from typing import Any

from nhi_cli.kit.http_fake import FakeRequest, FakeResponse, query_problem, reply

from .fake_common import Fake, error

PLANTED_PREFIX = "nhiFakeAiKey"  # fresh key values carry it: tests check none is kept
API_VERSIONS = {"2023-05-01", "2024-10-01", "2025-06-01"}
_ACCOUNT = (
    r"/subscriptions/(?P<sub>[0-9a-fA-F-]{36})/resourceGroups/(?P<rg>[^/]+)/providers/"
    r"Microsoft\.CognitiveServices/accounts/(?P<name>[^/]+)"
)


def add_ai_account_routes(fake: Fake) -> None:
    estate = fake.estate

    def refused(request: FakeRequest) -> FakeResponse | None:
        version = request.arg("api-version")
        if version is None:
            return error(400, "MissingApiVersionParameter", "The api-version query parameter is required.")
        if version not in API_VERSIONS:
            return error(400, "InvalidApiVersionParameter", f"The api-version '{version}' is invalid.")
        if problem := query_problem(request, {"api-version": None, "$skiptoken": None}):
            return error(400, "BadRequest", problem)
        return None

    def accounts(sub: str) -> list[dict[str, Any]]:
        listed: list[dict[str, Any]] = estate.setdefault("cognitiveAccounts", {}).get(sub, [])
        return listed

    def find(request: FakeRequest) -> dict[str, Any] | None:
        path = request.path.split("/regenerateKey")[0].lower()
        return next((a for a in accounts(request.match["sub"]) if a["id"].lower() == path), None)

    def list_accounts(request: FakeRequest) -> FakeResponse:
        return refused(request) or fake._page(request, copy.deepcopy(accounts(request.match["sub"])), "nextLink")

    def get_account(request: FakeRequest) -> FakeResponse:
        account = find(request)
        return refused(request) or (
            reply(copy.deepcopy(account)) if account else error(404, "ResourceNotFound", "no account")
        )

    def patch_account(request: FakeRequest) -> FakeResponse:
        if bad := refused(request):
            return bad
        account = find(request)
        if account is None:
            return error(404, "ResourceNotFound", "no account")
        body: dict[str, Any] = request.json() or {}
        unknown = set(body) - {"properties", "tags", "sku", "identity"}
        if unknown:
            return error(400, "InvalidRequestContent", f"unknown members {sorted(unknown)}")
        for key, value in (body.get("properties") or {}).items():
            account.setdefault("properties", {})[key] = value
        return reply(copy.deepcopy(account))

    def regenerate(request: FakeRequest) -> FakeResponse:
        if bad := refused(request):
            return bad
        if find(request) is None:
            return error(404, "ResourceNotFound", "no account")
        if (request.json() or {}).get("keyName") not in ("Key1", "Key2"):
            return error(400, "InvalidRequestContent", "keyName must be Key1 or Key2")
        return reply({"key1": PLANTED_PREFIX + secrets.token_hex(16), "key2": PLANTED_PREFIX + secrets.token_hex(16)})

    s = fake.server
    s.route(
        "GET",
        r"/subscriptions/(?P<sub>[0-9a-fA-F-]{36})/providers/Microsoft\.CognitiveServices/accounts",
        fake._guard(list_accounts),
    )
    s.route("GET", _ACCOUNT, fake._guard(get_account))
    s.route("PATCH", _ACCOUNT, fake._guard(patch_account))
    s.route("POST", _ACCOUNT + "/regenerateKey", fake._guard(regenerate))
