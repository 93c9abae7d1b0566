"""The demo estate of GitHub, OpenAI and Anthropic tells the ops-copilot story consistently."""

from __future__ import annotations

import sqlite3


def test_demo_scan_shows_the_rogue_agents_saas_credentials(nhi):
    result = nhi("scan", "--demo", "-p", "github", "-p", "openai", "-p", "anthropic")
    assert result.code in (0, 1), result.err
    conn = sqlite3.connect("nhi.db")
    hints = {r[0] for r in conn.execute("SELECT hint FROM v_credentials WHERE hint IS NOT NULL")}
    assert {"sk-proj-NWd...A1b2", "sk-ant-api03-NWd...xQAA", "nWopsC01"} <= hints
    (pat,) = conn.execute(
        "SELECT never_expires, identity_name FROM v_credentials WHERE kind = 'pat' "
        "AND identity_name = 'ops-copilot-bot'"
    ).fetchall()
    assert pat == (1, "ops-copilot-bot")
    rules = {r[0] for r in conn.execute("SELECT rule_id FROM finding WHERE status = 'open'")}
    assert {
        "github_app_org_wide_write",
        "github_deploy_key_write",
        "openai_agent_key_owned_by_user",
        "credential_unused",
        "credential_no_expiry",
    } <= rules
    statuses = {r[0] for r in conn.execute("SELECT status FROM scope_result")}
    assert statuses == {"complete"}
