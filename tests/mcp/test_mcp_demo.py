"""The demo: a developer's home with the rogue agent ops-copilot's keys pasted into configs."""

from __future__ import annotations

import planted
from mcp_helpers import assert_nowhere


def test_demo_finds_ops_copilot_keys_by_their_provider_hints(nhi, tmp_path, inventory):
    result = nhi("scan", "--demo", "--provider", "mcp")
    assert result.code == 0, result.err
    inv = inventory()
    aws = inv.credential_for(planted.DEMO_AWS_SECRET)
    assert aws["key_id"] == planted.DEMO_AWS_KEY_ID and aws["attrs"]["has_secret_key"] is True
    assert aws["identity_id"] == "mcp:~/Library/Application Support/Claude/claude_desktop_config.json#ops-copilot"
    openai = inv.credential_for(planted.DEMO_OPENAI)
    assert openai["hint"] == "sk-proj-NWd...A1b2"
    assert [loc["location"] for loc in openai["locations"]] == [  # the same key in two clients: one credential
        "~/.cursor/mcp.json#ops-notes",
        "~/Library/Application Support/Claude/claude_desktop_config.json#ops-copilot",
    ]
    assert inv.credential_for(planted.DEMO_ANTHROPIC)["hint"] == "sk-ant-api03-NWd...xQAA"
    assert inv.credential_for(planted.DEMO_GITHUB)["hint"] == "nWopsC01"
    slack = inv.credential_for(planted.DEMO_SLACK)
    assert slack["attrs"]["committed"] is True
    assert slack["locations"][0]["location"] == "~/src/northwind-api/.mcp.json#slack"
    assert inv.credential_for(planted.DEMO_GOOGLE)["attrs"]["clients"] == ["windsurf"]
    vscode = inv.identity("mcp:~/src/northwind-api/.vscode/mcp.json#github")["attrs"]
    assert vscode["plaintext_secrets"] == 0 and vscode["references"][0]["ref"] == "input:github_pat"
    again = nhi("scan", "--demo", "--provider", "mcp")  # a fresh temporary copy: the same ids
    assert again.code == 0
    assert not inv.rows("SELECT id FROM identity WHERE removed_at IS NOT NULL")
    hints = {v: inv.credential_for(v)["hint"] for v in planted.DEMO_SECRETS.values()}
    inv.close()
    assert_nowhere(hints, result.out, result.err, again.out, again.err, db_dir=tmp_path)


def test_demo_findings_from_the_mcp_rules(nhi, tmp_path, inventory):
    assert nhi("scan", "--demo", "--provider", "mcp").code == 0
    inv = inventory()
    rows = inv.rows(
        "SELECT rule_id, resource_id, reason FROM finding WHERE status = 'open' AND (rule_id LIKE 'mcp_%' "
        "OR rule_id = 'credential_shared_across_locations') ORDER BY rule_id, resource_id"
    )
    by_rule: dict[str, list[str]] = {}
    for row in rows:
        by_rule.setdefault(row["rule_id"], []).append(row["reason"])
    assert by_rule["mcp_secret_in_repository_config"] == [
        # the file relative to its repository and the line the token is on (see the fixture)
        "Secret xoxb...MRz5 (slack_bot_token) is written into the repository MCP config .mcp.json at line 10."
    ]
    # NHI9: the OpenAI key sits in Claude Desktop's and Cursor's configs (the provider-neutral rule)
    assert (
        "Credential sk-proj-NWd...A1b2 of ops-copilot is present in 2 files."
        in by_rule["credential_shared_across_locations"]
    )
    copilot = [r for r in by_rule["mcp_plaintext_secret_in_user_config"] if "ops-copilot" in r]
    assert copilot and "holds 4 plaintext secret(s)" in copilot[0]
    assert not any("northwind-api/.vscode" in r["resource_id"] for r in rows)  # ${input:...} is the clean way
