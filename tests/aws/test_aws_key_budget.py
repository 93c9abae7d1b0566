"""The fixed API budget by default (access_key_ids: false): keys by user and report slot, ids
resolved only for keys sighted by another source of the scan (one sts:GetAccessKeyInfo and one
iam:GetAccessKeyLastUsed per sighted key), and revoke lists the user's keys when it runs."""

from __future__ import annotations

import json

import pytest
import yaml
from aws_helpers import iam_calls, scan_json

from nhi_connectors.aws import fake
from tests.conftest import db_rows

ACCOUNT = "123456789012"
SIGHTED = "AKIATESTSIGHTED00001"


@pytest.fixture
def estate(moto_url, now, tmp_path):
    be = fake.iam_backend(ACCOUNT)
    for i in range(5):
        fake.add_user(be, {"name": f"svc-{i}"}, now)
        fake.add_access_key(be, f"svc-{i}", now, age_days=30 + i, last_used_days_ago=1)
    # the agent's user has two keys; the one pasted into the MCP config was used 3 days ago
    fake.add_user(be, {"name": "agent-bot"}, now)
    fake.add_access_key(be, "agent-bot", now, key_id="AKIATESTOTHERKEY0001", age_days=90, last_used_days_ago=10)
    fake.add_access_key(be, "agent-bot", now, key_id=SIGHTED, age_days=40, last_used_days_ago=3)
    home = tmp_path / "home"
    (home / ".cursor").mkdir(parents=True)
    (home / ".cursor" / "mcp.json").write_text(
        json.dumps(
            {
                "mcpServers": {
                    "aws": {
                        "command": "uvx",
                        "args": ["awslabs.aws-api-mcp-server"],
                        "env": {
                            "AWS_ACCESS_KEY_ID": SIGHTED,
                            "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
                        },
                    }
                }
            }
        )
    )
    config = tmp_path / "nhi.yaml"
    config.write_text(
        yaml.safe_dump(
            {"version": 1, "providers": {"aws": {"endpoint": moto_url}, "mcp": {"home": str(home), "discover": True}}}
        )
    )
    return str(config)


def test_default_scan_keeps_the_fixed_budget_and_resolves_only_the_sighted_key(nhi, estate):
    result, out = scan_json(nhi, estate)
    assert result.code == 0, result.err
    aws = next(s for s in out["scopes"] if s["provider"] == "aws")
    calls = iam_calls(aws)
    assert "iam:ListAccessKeys" not in calls
    assert calls["iam:GetAccessKeyLastUsed"] == 1 and aws["api_calls"]["sts:GetAccessKeyInfo"] == 1
    keys = {
        r["key_id"]: r
        for r in db_rows("SELECT * FROM v_credentials WHERE provider = 'aws' AND identity_name = 'agent-bot'")
    }
    assert set(keys) == {SIGHTED, None}  # the sighted one has its id, the other stays by slot
    assert keys[SIGHTED]["days_since_used"] == 3
    assert all(
        r["key_id"] is None
        for r in db_rows("SELECT key_id FROM v_credentials WHERE provider = 'aws' AND identity_name LIKE 'svc-%'")
    )
    # the local config's copy is joined to the AWS key
    links = db_rows("SELECT t.key_id FROM credential_link l JOIN credential t ON t.id = l.target_id")
    assert {r["key_id"] for r in links} == {SIGHTED}


def test_revoke_of_a_key_known_by_slot_lists_the_users_keys_when_it_runs(nhi, estate, moto_url):
    result, _ = scan_json(nhi, estate)
    assert result.code == 0, result.err
    row = db_rows("SELECT id FROM v_credentials WHERE identity_name = 'agent-bot' AND key_id IS NULL")[0]
    revoke = nhi("revoke", "--reason", "test", row["id"], "--config", estate, "--db", "nhi.db", "--yes", "-f", "json")
    assert revoke.code == 0, revoke.err
    assert [s["status"] for s in json.loads(revoke.out)["steps"]] == ["done"]
    iam = fake_client(moto_url)
    status = {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName="agent-bot")["AccessKeyMetadata"]}
    assert status == {"AKIATESTOTHERKEY0001": "Inactive", SIGHTED: "Active"}
    assert db_rows("SELECT status FROM credential WHERE id = ?", row["id"])[0]["status"] == "inactive"
    restore = nhi(
        "restore",
        str(json.loads(revoke.out)["revocation_id"]),
        "--config",
        estate,
        "--db",
        "nhi.db",
        "--yes",
        "-f",
        "json",
    )
    assert restore.code == 0, restore.err
    status = {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName="agent-bot")["AccessKeyMetadata"]}
    assert status["AKIATESTOTHERKEY0001"] == "Active"


def fake_client(url: str):
    import boto3

    return boto3.client(
        "iam", endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
