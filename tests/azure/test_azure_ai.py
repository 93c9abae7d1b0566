"""Azure OpenAI / AI Foundry accounts: their two keys are standing credentials while local
auth is on; revoke turns local auth off (restorable) or regenerates a key (irreversible)."""

from __future__ import annotations

import json

import pytest
from azure_helpers import FIXTURES, SUB_A, SUB_B, db_rows, scopes_of, write_config

from nhi_cli.kit.times import load_relative_estate
from nhi_cli.model import utcnow
from nhi_connectors.azure.ai_fake import PLANTED_PREFIX
from nhi_connectors.azure.fake import AzureFake

RG = f"/subscriptions/{SUB_A}/resourceGroups/ai/providers/Microsoft.CognitiveServices/accounts/"


def _account(name: str, kind: str, local_auth_off: bool, principal: str | None = None) -> dict:
    account = {
        "id": RG + name,
        "name": name,
        "type": "Microsoft.CognitiveServices/accounts",
        "kind": kind,
        "location": "eastus",
        "sku": {"name": "S0"},
        "tags": {"owner": "dana.lee@northwind.example"},
        "systemData": {"createdAt": "2026-02-01T10:00:00Z", "createdBy": "dana.lee@northwind.example"},
        "properties": {
            "endpoint": f"https://{name}.openai.azure.com/",
            "provisioningState": "Succeeded",
            "disableLocalAuth": local_auth_off,
            "publicNetworkAccess": "Enabled",
        },
    }
    if principal:
        account["identity"] = {"type": "SystemAssigned", "principalId": principal, "tenantId": principal}
    return account


ACCOUNTS = [
    _account("nw-openai", "OpenAI", False, "0d0d0d0d-0000-4000-8000-000000000001"),
    _account("nw-foundry", "AIServices", True),
    _account("nw-speech", "SpeechServices", False),  # not an AI-agent account kind: not read
]


@pytest.fixture
def ai_azure():
    estate = load_relative_estate(FIXTURES / "tenant.json", utcnow())
    estate["cognitiveAccounts"] = {SUB_A: json.loads(json.dumps(ACCOUNTS))}
    with AzureFake(estate, page_size=2) as fake:
        yield fake


def _scan(nhi, fake, **settings):
    write_config(fake, **settings)
    return nhi("scan", "--config", "nhi.yaml", "--quiet", "--format", "json")


def test_local_auth_accounts_have_two_standing_keys_and_no_values_read(nhi, ai_azure):
    result = _scan(nhi, ai_azure)
    assert result.code in (0, 1), result.err
    accounts = {
        r["name"]: json.loads(r["attrs"]) for r in db_rows("SELECT * FROM v_identities WHERE kind = 'azure_ai_account'")
    }
    assert set(accounts) == {"nw-openai", "nw-foundry"}
    assert accounts["nw-openai"]["local_auth_enabled"] is True
    assert accounts["nw-openai"]["managed_identity"] == "0d0d0d0d-0000-4000-8000-000000000001"
    keys = sorted(r["id"].rsplit("/", 3)[-3] + "/" + r["id"].rsplit("/", 1)[-1]
                  for r in db_rows("SELECT id FROM v_credentials WHERE kind = 'azure_ai_account_key'"))  # fmt: skip
    assert keys == ["nw-openai/key1", "nw-openai/key2"]  # nw-foundry has key auth off
    assert not ai_azure.server.calls("POST", r".*/listKeys")
    findings = {(r["rule_id"], r["resource_id"]) for r in db_rows("SELECT rule_id, resource_id FROM finding")}
    assert ("azure_ai_account_local_auth", RG + "nw-openai") in findings
    assert ("azure_ai_account_local_auth", RG + "nw-foundry") not in findings
    sub = scopes_of(result.out)[f"subscription:{SUB_A}"]
    calls = {k: v for k, v in sub["api_calls"].items() if "CognitiveServices" in k}
    assert calls == {"arm:GET /subscriptions/{id}/providers/Microsoft.CognitiveServices/accounts": 2}  # 3 on pages of 2


def test_a_refused_list_is_a_gap_keeping_the_accounts(nhi, ai_azure):
    assert _scan(nhi, ai_azure).code in (0, 1)
    ai_azure.server.fault(
        "GET",
        rf"/subscriptions/{SUB_A}/providers/Microsoft\.CognitiveServices/accounts",
        403,
        {"error": {"code": "AuthorizationFailed", "message": "no"}},
    )
    result = _scan(nhi, ai_azure)
    sub = scopes_of(result.out)[f"subscription:{SUB_A}"]
    assert sub["status"] == "partial" and sub["gaps"][0]["what"] == "Cognitive Services accounts"
    assert db_rows("SELECT removed_at FROM credential WHERE id = ?", RG + "nw-openai/keys/key1") == [
        {"removed_at": None}
    ]
    assert scopes_of(result.out)[f"subscription:{SUB_B}"]["status"] in ("complete", "partial")


def test_revoke_disables_local_auth_and_restore_turns_it_back_on(nhi, ai_azure):
    assert _scan(nhi, ai_azure).code in (0, 1)
    done = nhi(
        "revoke", RG + "nw-openai/keys/key1", "--reason", "leaked", "--yes", "-f", "json", "--config", "nhi.yaml"
    )
    assert done.code == 0, done.err
    account = ai_azure.estate["cognitiveAccounts"][SUB_A][0]
    assert account["properties"]["disableLocalAuth"] is True
    assert not ai_azure.server.calls("POST", r".*/regenerateKey")  # the reversible step only
    restored = nhi("restore", str(json.loads(done.out)["revocation_id"]), "--yes", "--config", "nhi.yaml")
    assert restored.code == 0, restored.err
    assert account["properties"]["disableLocalAuth"] is False


def test_delete_also_regenerates_the_key_irreversibly_and_keeps_no_value(nhi, ai_azure):
    assert _scan(nhi, ai_azure).code in (0, 1)
    plan = nhi("revoke", RG + "nw-openai/keys/key2", "--delete", "--dry-run", "-f", "json", "--config", "nhi.yaml")
    steps = [s for i in json.loads(plan.out)["plan"]["items"] for s in i["steps"]]
    assert [(s["action"], s["reversible"]) for s in steps] == [("disable_local_auth", True), ("regenerate_key", False)]
    done = nhi(
        "revoke", RG + "nw-openai/keys/key2", "--delete", "--reason", "leaked", "--yes", "-f", "json",
        "--config", "nhi.yaml",
    )  # fmt: skip
    assert done.code == 0, done.err
    [call] = ai_azure.server.calls("POST", r".*/regenerateKey")
    assert json.loads(call.body) == {"keyName": "Key2"}
    with open("nhi.db", "rb") as db:  # the new key values in the answer were never kept
        blob = db.read()
    assert PLANTED_PREFIX.encode() not in blob
    assert PLANTED_PREFIX not in done.out + done.err


def test_served_accounts_conform_to_the_published_model(ai_azure):
    import httpx
    import jsonschema
    from azure.mgmt.cognitiveservices import models

    from tests.fidelity.vendor_models import (
        NonConforming,  # noqa: F401
        msrest_schema,
    )

    schema = {
        "type": "object",
        "properties": {
            "value": {"type": "array", "items": msrest_schema(models.Account, models)},
            "nextLink": {"type": "string"},
        },
        "additionalProperties": False,
    }
    url = f"{ai_azure.url}/subscriptions/{SUB_A}/providers/Microsoft.CognitiveServices/accounts"
    body = httpx.get(
        url, params={"api-version": "2024-10-01"}, headers={"Authorization": f"Bearer {ai_azure.token}"}
    ).json()
    jsonschema.validate(body, schema)
    wrong = {"value": [{**ACCOUNTS[0], "properties": {**ACCOUNTS[0]["properties"], "disable_local_auth": True}}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(wrong, schema)
    refused = httpx.get(
        url, params={"api-version": "2099-01-01"}, headers={"Authorization": f"Bearer {ai_azure.token}"}
    )
    assert refused.status_code == 400
