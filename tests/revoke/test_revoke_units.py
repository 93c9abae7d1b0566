"""Pieces of revoke a user meets directly: the agent lookup, plan-file validation, help."""

from __future__ import annotations

import json

from nhi_cli.agents.lookup import agent_members
from nhi_cli.config import load_config
from nhi_cli.store import open_store


def test_agent_lookup_matches_identity_globs_and_explicit_credentials(estate, tmp_path):
    (tmp_path / "agents.yaml").write_text(f"""version: 1
agents:
  - name: ops-copilot
    identities: ["*ops-copilot*"]
    reject: ["*-role"]
  - name: glass
    credentials: ["{estate.keys["break-glass"][0]}"]
""")
    config = load_config(tmp_path / "agents.yaml")
    store = open_store(tmp_path / "nhi.db")
    try:
        members = agent_members(store.conn, config, "ops-copilot")
        assert [i["name"] for i in members.identities] == ["ops-copilot"]  # the role is rejected
        assert [c["id"] for c in members.credentials] == [estate.keys["ops-copilot"][0]]
        glass = agent_members(store.conn, config, "glass")
        assert glass.identities == [] and [c["id"] for c in glass.credentials] == [estate.keys["break-glass"][0]]
        assert agent_members(store.conn, config, "nobody") is None
    finally:
        store.close()


def test_a_signed_plan_naming_an_undeclared_action_is_refused(estate, nhi, tmp_path):
    from nhi_cli.revoke.keys import load_key
    from nhi_cli.revoke.planfile import sign

    assert nhi("revoke", "ops-copilot", "--plan-out", "plan.json").code == 0
    document = json.loads((tmp_path / "plan.json").read_text())
    document["plan"]["items"][0]["steps"][0]["action"] = "delete_user"  # re-signed: a forged but valid file
    document["signature"] = sign(document["plan"], load_key(tmp_path / "nhi.db", create=False))
    (tmp_path / "forged.json").write_text(json.dumps(document))
    result = nhi("revoke", "--reason", "test", "--plan", "forged.json", "--yes")
    assert result.code == 2 and "'delete_user' is not an action the aws connector declares" in result.err
    assert estate.moto.mutating() == {}
    assert nhi("revoke", "--plan", "plan.json", "ops-copilot", "--yes").code == 2  # a plan is executed as written


def test_help_and_log_table(estate, nhi):
    help_text = nhi("revoke", "--help").out
    assert "Usage: nhi revoke [OPTIONS]" in help_text and "--dry-run" in help_text and "--agent" in help_text
    assert "nhi restore" in help_text
    assert nhi("revoke", "ops-copilot", "--dry-run", "--reason", "drill").code == 0
    table = nhi("revoke", "log")
    assert table.code == 0 and "dry_run" in table.out and "drill" in table.out
    assert nhi("revoke", "log", "42").code == 2


def test_a_demo_plan_is_not_run_against_the_configured_providers(estate, nhi, tmp_path):
    assert nhi("revoke", "ops-copilot", "--plan-out", "plan.json").code == 0
    document = json.loads((tmp_path / "plan.json").read_text())
    assert document["plan"]["demo"] is False
    result = nhi("revoke", "--demo", "--plan", "plan.json", "--yes")
    assert result.code == 2 and "without --demo" in result.err
