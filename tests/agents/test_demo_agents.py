"""The demo estate's agents: every planted agent found, the rogue one linked across sources,
and its scorecard checked cell by cell."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.conftest import invoke

PROVIDERS = {"aws", "gcp", "azure", "github", "openai", "anthropic", "mcp", "kubernetes"}


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("demo") / "nhi.db"
    result = invoke("--db", db, "-q", "scan", "--demo")
    assert result.code == 0, result.err
    return db


def agents(db) -> dict[str, dict]:
    result = invoke("--db", db, "agents", "list", "--format", "json")
    assert result.code == 0, result.err
    return {a["name"]: a for a in json.loads(result.out)}


def cells(agent: dict) -> dict[str, bool]:
    return {prop: entry["pass"] for prop, entry in agent["scorecard"].items()}


def test_every_planted_agent_is_found_across_all_sources(demo_db):
    found = agents(demo_db)
    for name in ("ops-copilot", "support-agent", "release-bot", "research-assistant", "analytics-agent"):
        assert name in found, f"planted agent {name} not found"
    assert set().union(*(a["providers_list"] for a in found.values())) == PROVIDERS
    assert found["release-bot"]["providers_list"] == ["aws", "github"]
    assert found["support-agent"]["providers_list"] == ["anthropic", "aws", "openai"]
    vertex = [a for a in found.values() if a["name"].startswith("service-") and a["providers_list"] == ["gcp"]]
    assert vertex and vertex[0]["confidence"] == "high"  # the Vertex AI service agent


def test_rogue_agent_is_one_agent_linked_across_sources(demo_db):
    rogue = agents(demo_db)["ops-copilot"]
    assert rogue["source"] == "config" and set(rogue["providers_list"]) == PROVIDERS
    conn = sqlite3.connect(demo_db)
    methods = {
        m
        for (m,) in conn.execute(
            "SELECT l.method FROM credential_link l JOIN v_agent_credentials c ON c.credential_id = l.target_id "
            "WHERE c.agent_name = 'ops-copilot'"
        )
    }
    conn.close()
    assert methods == {"aws_key_id", "openai_redacted_value", "anthropic_key_hint", "github_last_eight"}
    shown = invoke("--db", demo_db, "agents", "show", "ops-copilot", "--format", "json")
    detail = json.loads(shown.out)
    aws_key = next(c for c in detail["credentials"] if c["credential_id"] == "AKIANWOPSCOPILOT0001")
    assert any("claude_desktop_config.json" in loc["location"] for loc in aws_key["locations"])
    assert detail["revoke_command"] == "nhi revoke --demo --agent ops-copilot"  # a demo inventory
    assert detail["acts_for"] == "dana.lee@northwind.example"  # its OpenAI key is Dana's own


def test_rogue_agent_scorecard_cell_by_cell(demo_db):
    card = agents(demo_db)["ops-copilot"]["scorecard"]
    assert cells({"scorecard": card}) == {"scoped": False, "delegated": False, "auditable": False, "revocable": False}
    assert any(r.startswith("admin_grant:") and "AdministratorAccess" in r for r in card["scoped"]["reasons"])
    assert any("IAM user with long-lived keys acts as itself" in r for r in card["delegated"]["reasons"])
    assert any("sk-proj-NWd...A1b2" in r for r in card["auditable"]["reasons"])  # one key, two configs
    assert any("AKIANWOPSCOPILOT0001" in r and "400 days" in r for r in card["revocable"]["reasons"])


def test_scorecards_of_other_agents(demo_db):
    found = agents(demo_db)
    assert cells(found["analytics-agent"]) == {"scoped": True, "delegated": False, "auditable": True, "revocable": True}
    reasons = found["analytics-agent"]["scorecard"]["delegated"]["reasons"]
    assert reasons and all("analytics-orchestrator" in r for r in reasons)  # the prod role records it
    assert cells(found["support-agent"])["scoped"] is True
    assert cells(found["release-bot"])["scoped"] is False  # org-wide write app, OIDC trust without sub


def test_the_demo_foundry_agent_is_registered_by_the_platform_with_its_tools(demo_db):
    router = agents(demo_db)["ticket-router"]
    assert router["evidence"] == "registered by the platform (Azure AI Foundry Agent Service)"
    detail = json.loads(invoke("--db", demo_db, "agents", "show", "ticket-router", "--format", "json").out)
    assert "MCP server runbooks at https://runbooks.northwind.example/mcp, tools search_runbooks" in detail["reach"]
    conn = sqlite3.connect(demo_db)
    rules = {r for (r,) in conn.execute("SELECT rule_id FROM finding WHERE resource_name = 'ticket-router'")}
    conn.close()
    assert "agent_tool_static_credential" in rules  # its OpenAPI tool sends a connection's stored key
