"""Anthropic through the Admin API fake: inventory, after_id paging, retries, revoke/restore, secrets."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from nhi_cli.kit.connector import CollectContext
from nhi_connectors.anthropic import AnthropicConnector
from nhi_connectors.anthropic.fake import AnthropicFake
from tests.conftest import db_rows

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "anthropic"
ADMIN_KEY = "sk-ant-admin01-TESTPLANTEDADMIN000000000000000000000000AA"  # fake; used for auth, must never land


@pytest.fixture
def fake():
    with AnthropicFake.from_dir(FIXTURES, admin_keys={ADMIN_KEY}, page_size=2) as server:
        yield server


def scan(nhi, fake, monkeypatch, *args):
    monkeypatch.setenv("ANTHROPIC_ADMIN_KEY", ADMIN_KEY)
    Path("nhi.yaml").write_text(yaml.safe_dump({"version": 1, "providers": {"anthropic": {"endpoint": fake.url}}}))
    return nhi("scan", *args)


def test_scan_pages_with_after_id_and_keeps_the_hint(fake, nhi, monkeypatch):
    result = scan(nhi, fake, monkeypatch)
    assert result.code == 0, result.err
    creds = {r["id"]: r for r in db_rows("SELECT * FROM v_credentials WHERE provider = 'anthropic'")}
    assert {k: v["status"] for k, v in creds.items()} == {
        "anthropic:apikey_01": "active",
        "anthropic:apikey_02": "active",
        "anthropic:apikey_03": "inactive",
        "anthropic:apikey_04": "revoked",
        "anthropic:apikey_05": "active",
        "anthropic:apikey_06": "active",
    }
    first = creds["anthropic:apikey_01"]
    assert first["hint"] == "sk-ant-api03-R2D...igAA" and first["owner"] == "ada@example.com"
    assert first["never_expires"] == 1 and creds["anthropic:apikey_02"]["never_expires"] == 0
    assert json.loads(first["attrs"])["workspace_name"] == "Agents"
    assert json.loads(creds["anthropic:apikey_02"]["attrs"])["workspace_name"] == "Default"
    key_calls = fake.calls("GET", r"/v1/organizations/api_keys")
    assert [r.arg("after_id") for r in key_calls] == [None, "apikey_02", "apikey_04"]
    assert all(r.headers["anthropic-version"] == "2023-06-01" and r.headers["x-api-key"] for r in key_calls)
    (scope,) = db_rows("SELECT api_calls FROM scope_result")
    assert json.loads(scope["api_calls"])["anthropic:GET /v1/organizations/api_keys"] == 3


def test_rate_limit_is_retried_and_denied_users_is_a_gap(fake, nhi, monkeypatch):
    fake.fault(
        "GET",
        r"/v1/organizations/api_keys",
        429,
        {"type": "error", "error": {"type": "rate_limit_error"}},
        Retry_After="0",
    )
    fake.fault(
        "GET",
        r"/v1/organizations/users",
        403,
        {"type": "error", "error": {"type": "permission_error", "message": "no"}},
    )
    result = scan(nhi, fake, monkeypatch)
    assert result.code == 0, result.err
    assert len(fake.calls("GET", r"/v1/organizations/api_keys")) == 4  # 429, then three pages
    (scope,) = db_rows("SELECT status, gaps FROM scope_result")
    assert scope["status"] == "partial" and "permission_error" in scope["gaps"]


def test_denied_scope_exits_3(fake, nhi, monkeypatch):
    fake.fault("GET", r"/v1/organizations/api_keys", 401, {"type": "error", "error": {"type": "authentication_error"}})
    result = scan(nhi, fake, monkeypatch)
    assert result.code == 3
    (scope,) = db_rows("SELECT status, error_code FROM scope_result")
    assert scope == {"status": "denied", "error_code": "authentication_error"}


def test_planted_and_admin_keys_never_land(fake, nhi, monkeypatch):
    result = scan(nhi, fake, monkeypatch, "--format", "json", "-v")
    assert result.code == 0
    db = Path("nhi.db").read_bytes()
    for secret in ("R2DPLANTEDFULLKEY", ADMIN_KEY):
        assert secret.encode() not in db and secret not in result.out and secret not in result.err


def test_revoke_sets_inactive_and_restore_sets_active(fake):
    settings = AnthropicConnector.Settings(endpoint=fake.url, admin_key=ADMIN_KEY)
    ctx = CollectContext(now=datetime.now(UTC), settings=settings)
    connector = AnthropicConnector()
    target = {
        "type": "identity",
        "id": "anthropic:key/apikey_01",
        "kind": "anthropic_api_key",
        "scope": "default",
        "credentials": [
            {
                "id": "anthropic:apikey_01",
                "kind": "api_key",
                "status": "active",
                "key_id": "apikey_01",
                "name": "triage-agent",
                "hint": "sk-ant-api03-R2D...igAA",
            },
            {"id": "anthropic:apikey_03", "kind": "api_key", "status": "inactive", "key_id": "apikey_03"},
        ],
    }
    (step,) = connector.plan_revoke(ctx, target, {})  # the inactive key needs nothing
    assert step.reversible and step.action == "deactivate_key"
    outcome = connector.execute_step(ctx, step)
    assert outcome.status == "done" and outcome.restore_data == {"previous_status": "active"}
    (update,) = fake.calls("POST", r"/v1/organizations/api_keys/apikey_01")
    assert update.json() == {"status": "inactive"}
    assert connector.execute_step(ctx, step).status == "already_done"
    step.restore_data = outcome.restore_data
    restored = connector.restore_step(ctx, step)
    assert restored.status == "done" and restored.inventory == {"anthropic:apikey_01": "active"}
    assert fake.calls("POST", r"/v1/organizations/api_keys/apikey_01")[-1].json() == {"status": "active"}
    assert next(k for k in fake.keys if k["id"] == "apikey_01")["status"] == "active"


def test_a_key_the_api_sends_without_status_is_a_gap_and_nothing_is_marked_removed(fake, nhi, monkeypatch):
    assert scan(nhi, fake, monkeypatch).code == 0
    del fake.keys[0]["status"]  # the API stopped sending a field the inventory needs
    result = scan(nhi, fake, monkeypatch)
    assert result.code == 0, result.err  # a partial scope is a gap, not an incomplete scan
    scope = db_rows("SELECT status, gaps FROM scope_result ORDER BY scan_id DESC")[0]
    assert scope["status"] == "partial"
    (gap,) = json.loads(scope["gaps"])
    assert (
        gap["what"] == "Anthropic API key apikey_01"
        and gap["code"] == "malformed_response"
        and "status" in gap["message"]
    )
    rows = {r["id"]: r for r in db_rows("SELECT id, removed_at FROM credential")}
    assert rows["anthropic:apikey_01"]["removed_at"] is None  # unreadable is not gone
    assert rows["anthropic:apikey_02"]["removed_at"] is None
