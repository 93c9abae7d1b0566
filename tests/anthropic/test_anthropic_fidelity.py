"""Anthropic shapes the vendor documents and nhi once got wrong (issue 12), over the wire to the fake."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from nhi_connectors.anthropic.fake import AnthropicFake
from tests.conftest import db_rows

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "anthropic"
ADMIN_KEY = "sk-ant-admin01-TESTPLANTEDADMIN000000000000000000000000AA"  # fake; used for auth, must never land


def scan(nhi, monkeypatch, fake):
    monkeypatch.setenv("ANTHROPIC_ADMIN_KEY", ADMIN_KEY)
    Path("nhi.yaml").write_text(yaml.safe_dump({"version": 1, "providers": {"anthropic": {"endpoint": fake.url}}}))
    return nhi("scan")


def attrs(row):
    return json.loads(row["attrs"])


def test_workspace_comes_from_scope_and_only_default_keys_alarm(nhi, monkeypatch):
    with AnthropicFake.from_dir(FIXTURES, admin_keys={ADMIN_KEY}) as fake:
        result = scan(nhi, monkeypatch, fake)
    assert result.code == 0, result.err
    creds = {r["id"]: r for r in db_rows("SELECT * FROM v_credentials WHERE provider = 'anthropic'")}
    agents = attrs(creds["anthropic:apikey_01"])  # scope {type: workspace, workspace_id: wrkspc_01A}
    assert (agents["workspace_id"], agents["workspace_name"], agents["in_default_workspace"]) == (
        "wrkspc_01A",
        "Agents",
        False,
    )
    default = attrs(creds["anthropic:apikey_02"])  # scope names the default Workspace by its real id
    assert (default["workspace_id"], default["workspace_name"], default["in_default_workspace"]) == (
        "wrkspc_00Default",
        "Default",
        True,
    )
    legacy = attrs(creds["anthropic:apikey_06"])  # deprecated shape: top-level workspace_id null
    assert legacy["in_default_workspace"] is True and legacy["scope_type"] == "workspace"
    org = attrs(creds["anthropic:apikey_05"])  # principal-bound, no Workspace
    assert (org["scope_type"], org["workspace_id"], org["in_default_workspace"]) == ("organization", None, False)
    assert org["principal_type"] == "service_account_actor" and org["principal_id"] == "svcacct_01Bot"
    archived = attrs(creds["anthropic:apikey_03"])
    assert archived["workspace_name"] == "Retired" and archived["workspace_archived"] is True
    alarms = {
        r["resource_id"]
        for r in db_rows("SELECT resource_id FROM finding WHERE rule_id = 'anthropic_key_in_default_workspace'")
    }
    assert alarms == {"anthropic:apikey_02", "anthropic:apikey_06"}
    sent = [
        (r.arg("include_archived"), r.arg("include_default"))
        for r in fake.calls("GET", r"/v1/organizations/workspaces")
    ]
    assert sorted(sent, key=str) == sorted([("true", "true"), ("true", None)], key=str)


def test_key_without_hint_or_creator_is_still_inventoried(nhi, monkeypatch):
    with AnthropicFake.from_dir(FIXTURES, admin_keys={ADMIN_KEY}) as fake:
        assert scan(nhi, monkeypatch, fake).code == 0
    (row,) = db_rows("SELECT * FROM v_credentials WHERE id = 'anthropic:apikey_05'")
    assert row["hint"] is None and row["status"] == "active" and row["identity_name"] == "org-bot"
    (scope,) = db_rows("SELECT status FROM scope_result")
    assert scope["status"] == "complete"


def test_the_fake_hides_archived_and_default_workspaces_unless_asked():
    import httpx

    with AnthropicFake.from_dir(FIXTURES, admin_keys={ADMIN_KEY}) as fake:

        def ids(**params):
            r = httpx.get(
                fake.url + "/v1/organizations/workspaces",
                params=params,
                headers={"x-api-key": ADMIN_KEY, "anthropic-version": "2023-06-01"},
            )
            return r.status_code, [w["id"] for w in r.json().get("data", [])]

        assert ids() == (200, ["wrkspc_01A"])
        assert ids(include_archived="true", include_default="true") == (
            200,
            ["wrkspc_00Default", "wrkspc_01A", "wrkspc_01Old"],
        )
        assert ids(limit=1001)[0] == 400 and ids(archived="yes")[0] == 400
