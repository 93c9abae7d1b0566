"""The demo's rogue agent dies in one command, across every provider that holds a piece of it."""

from __future__ import annotations

import json


def test_agent_revoke_on_the_demo_estate_kills_every_credential_of_ops_copilot(nhi):
    assert nhi("scan", "--demo", "-f", "json").code in (0, 1)
    result = nhi("revoke", "--demo", "--agent", "ops-copilot", "--yes", "--reason", "rogue agent", "-f", "json")
    assert result.code == 0, result.err
    steps = json.loads(result.out)["steps"]
    aws_user = next(i for i in json.loads(result.out)["plan"]["items"] if i["target"]["kind"] == "iam_user")
    assert aws_user["blast"]["admin"] is True  # AdministratorAccess, from v_grants
    assert any("AKIANWOPSCOPILOT0001" in s and "claude_desktop_config.json" in s for s in aws_user["blast"]["shared"])
    assert all(s["status"] in ("done", "already_done") for s in steps)
    aws = {s["action"]: s["status"] for s in steps if s["provider"] == "aws"}
    assert aws["deactivate_user_keys"] == "done" and aws["deny_all_policy"] == "done"
    assert len({s["provider"] for s in steps}) >= 2  # not only AWS: the agent spans providers
    rows = json.loads(nhi("inventory", "list", "--what", "credentials", "-f", "json").out)
    assert {r["id"]: r["status"] for r in rows}["AKIANWOPSCOPILOT0001"] == "inactive"
    # protected identities stay out of it, and the demo config refuses them without --force
    refused = nhi("revoke", "--reason", "test", "--demo", "breakglass-admin", "--yes")
    assert refused.code == 2 and "protected" in refused.err
