"""OpenAI through the Admin API fake: inventory, cursor paging, denial, retries, revoke, secrets."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from nhi_cli.kit.connector import CollectContext
from nhi_connectors.anthropic.fake import AnthropicFake
from nhi_connectors.openai import OpenAIConnector
from nhi_connectors.openai.fake import OpenAIFake
from tests.conftest import db_rows

ROOT = Path(__file__).resolve().parents[2] / "fixtures"
ADMIN_KEY = "sk-admin-TESTPLANTEDADMINKEY0000000000000000000000test"  # fake, used for auth: must never land
ANTHROPIC_KEY = "sk-ant-admin01-TESTPLANTEDADMIN000000000000000000000000AA"


@pytest.fixture
def openai_fake():
    with OpenAIFake.from_dir(ROOT / "openai", admin_keys={ADMIN_KEY}, page_size=1) as fake:
        yield fake


def configure(fake, **extra):
    providers = {"openai": {"endpoint": fake.url + "/v1", "organization": "org-test"}}
    providers.update(extra)
    Path("nhi.yaml").write_text(yaml.safe_dump({"version": 1, "providers": providers}))


def test_scan_pages_every_list_and_models_owners(openai_fake, nhi, monkeypatch):
    monkeypatch.setenv("OPENAI_ADMIN_KEY", ADMIN_KEY)
    configure(openai_fake)
    result = nhi("scan")
    assert result.code == 0, result.err
    creds = {r["id"]: r for r in db_rows("SELECT * FROM v_credentials WHERE provider = 'openai'")}
    assert set(creds) == {
        "openai:key_1",
        "openai:key_2",
        "openai:key_3",
        "openai:key_4",
        "openai:key_5",
        "openai:admin_key/key_adm1",
        "openai:admin_key/key_adm2",
    }
    user_key = creds["openai:key_1"]
    assert user_key["hint"] == "sk-proj-abc...wxyz" and user_key["identity_kind"] == "openai_api_key"
    assert user_key["owner"] == "ada@example.com" and user_key["identity_name"] == "chat-agent"
    assert creds["openai:key_2"]["identity_kind"] == "openai_service_account"  # the SA owns its key
    assert creds["openai:key_2"]["never_used"] == 1
    assert json.loads(creds["openai:admin_key/key_adm1"]["attrs"])["used_by_nhi"] is True  # the scanner's own key
    # cursor paging: one item per page, so the third key came with after=key_2
    assert [r.arg("after") for r in openai_fake.calls("GET", r"/v1/organization/projects/proj_A/api_keys")] == [
        None,
        "key_1",
        "key_2",
    ]
    assert all(r.arg("include_archived") == "false" for r in openai_fake.calls("GET", r"/v1/organization/projects"))
    (scope,) = db_rows("SELECT api_calls FROM scope_result")
    calls = json.loads(scope["api_calls"])
    assert calls["openai:GET /organization/projects/{id}/api_keys"] == 3 + 2  # proj_A three pages, proj_B two


def test_denied_provider_is_incomplete_while_another_completes(openai_fake, nhi, monkeypatch):
    monkeypatch.setenv("OPENAI_ADMIN_KEY", "sk-admin-WRONGwrongWRONG")
    monkeypatch.setenv("ANTHROPIC_ADMIN_KEY", ANTHROPIC_KEY)
    with AnthropicFake.from_dir(ROOT / "anthropic", admin_keys={ANTHROPIC_KEY}) as anthropic:
        configure(openai_fake, anthropic={"endpoint": anthropic.url})
        result = nhi("scan")
    assert result.code == 3
    status = {r["provider"]: (r["status"], r["error_code"]) for r in db_rows("SELECT * FROM scope_result")}
    assert status["openai"] == ("denied", "invalid_api_key")
    assert status["anthropic"][0] == "complete"


def test_server_errors_and_429_are_retried(openai_fake, nhi, monkeypatch):
    monkeypatch.setenv("OPENAI_ADMIN_KEY", ADMIN_KEY)
    configure(openai_fake)
    openai_fake.fault(
        "GET", r"/v1/organization/admin_api_keys", 429, {"error": {"message": "Rate limit"}}, Retry_After="0"
    )
    openai_fake.fault("GET", r"/v1/organization/projects", 503, None, Retry_After="0")
    assert nhi("scan").code == 0
    assert len(openai_fake.calls("GET", r"/v1/organization/admin_api_keys")) == 3  # 429 + two pages
    (scope,) = db_rows("SELECT status FROM scope_result")
    assert scope["status"] == "complete"


def test_missing_admin_key_cannot_run(openai_fake, nhi, monkeypatch):
    monkeypatch.delenv("OPENAI_ADMIN_KEY", raising=False)
    configure(openai_fake)
    result = nhi("scan")
    assert result.code == 4 and "OPENAI_ADMIN_KEY" in result.err and "Traceback" not in result.err


def test_planted_and_admin_keys_never_land(openai_fake, nhi, monkeypatch):
    monkeypatch.setenv("OPENAI_ADMIN_KEY", ADMIN_KEY)
    configure(openai_fake)
    result = nhi("scan", "--format", "json", "-v")
    assert result.code == 0
    db = Path("nhi.db").read_bytes()
    for secret in ("sk-proj-abcPLANTEDFULLKEY", ADMIN_KEY, "PLANTED"):
        assert secret.encode() not in db
        assert secret not in result.out and secret not in result.err


def ctx_for(fake):
    settings = OpenAIConnector.Settings(endpoint=fake.url + "/v1", admin_key=ADMIN_KEY)
    return CollectContext(now=datetime.now(UTC), settings=settings)


def test_revoke_deletes_the_key_and_reads_it_back(openai_fake):
    connector, ctx = OpenAIConnector(), ctx_for(openai_fake)
    target = {
        "type": "credential",
        "id": "openai:key_1",
        "scope": "org-test",
        "kind": "api_key",
        "name": "chat-agent",
        "status": "active",
        "key_id": "key_1",
        "hint": "sk-proj-abc...wxyz",
        "attrs": {"project_id": "proj_A", "api_key_id": "key_1", "owner_type": "user"},
    }
    (step,) = connector.plan_revoke(ctx, target, {})
    assert step.reversible is False and "IRREVERSIBLE" in step.description
    outcome = connector.execute_step(ctx, step)
    assert outcome.status == "done" and outcome.inventory == {"openai:key_1": "revoked"}
    assert openai_fake.calls("DELETE", r"/v1/organization/projects/proj_A/api_keys/key_1")
    assert openai_fake.calls("GET", r"/v1/organization/projects/proj_A/api_keys/key_1")  # read back
    assert connector.execute_step(ctx, step).status == "already_done"
    assert connector.restore_step(ctx, step).status == "skipped"


def test_service_account_identity_and_own_admin_key(openai_fake):
    connector, ctx = OpenAIConnector(), ctx_for(openai_fake)
    sa = {
        "type": "identity",
        "id": "openai:proj_A/service_account/svc_acct_1",
        "scope": "org-test",
        "kind": "openai_service_account",
        "name": "batch-runner",
        "attrs": {"project_id": "proj_A", "service_account_id": "svc_acct_1"},
        "credentials": [
            {
                "id": "openai:key_2",
                "kind": "api_key",
                "status": "active",
                "key_id": "key_2",
                "attrs": {"project_id": "proj_A", "api_key_id": "key_2", "owner_type": "service_account"},
            }
        ],
    }
    steps = connector.plan_revoke(ctx, sa, {"delete": True})
    assert [s.action for s in steps] == ["delete_api_key", "delete_service_account"]
    openai_fake.fault(
        "DELETE",
        r"/v1/organization/projects/proj_A/api_keys/key_2",
        400,
        {"error": {"code": "invalid_request", "message": "delete the service account instead"}},
    )
    first = connector.execute_step(ctx, steps[0])
    assert first.status == "failed" and "service account" in first.error
    assert connector.execute_step(ctx, steps[1]).status == "done"
    assert openai_fake.calls("DELETE", r"/v1/organization/projects/proj_A/service_accounts/svc_acct_1")
    assert "key_2" not in {k["id"] for k in openai_fake.keys["proj_A"]}  # the account's key went with it
    from nhi_cli.errors import NhiError

    with pytest.raises(NhiError, match="nhi itself"):
        connector.plan_revoke(
            ctx,
            {
                "type": "credential",
                "id": "openai:admin_key/key_adm1",
                "kind": "admin_api_key",
                "status": "active",
                "attrs": {"used_by_nhi": True},
            },
            {},
        )
