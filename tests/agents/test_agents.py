"""Agents: classification with evidence, cross-source linking, delegation, scorecard."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from nhi_cli.agents.build import build_agents
from nhi_cli.agents.link import hints_match
from nhi_cli.agents.scorecard import agent_detail, agent_rows
from nhi_cli.config import AgentConfig, Config
from nhi_cli.model import Batch, Credential, CredentialLocation, Identity, Person, ScopeResult, Trust
from nhi_cli.store import open_store
from nhi_cli.store.load import write_scan

NOW = datetime(2026, 11, 1, tzinfo=UTC)
ACCOUNT = "123456789012"
USER = f"arn:aws:iam::{ACCOUNT}:user/ops-copilot"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/analytics-agent"
BEDROCK = f"arn:aws:iam::{ACCOUNT}:role/AmazonBedrockExecutionRoleForAgents_support"
MCP_FILE = "/home/dev/.config/Claude/claude_desktop_config.json"


def estate() -> dict[tuple[str, str], Batch]:
    aws = Batch()
    aws.identities += [
        Identity(
            USER,
            "aws",
            ACCOUNT,
            "iam_user",
            "ops-copilot",
            owner="dana.lee@northwind.example",
            owner_source="tag:owner",
        ),
        Identity(
            ROLE,
            "aws",
            ACCOUNT,
            "iam_role",
            "analytics-agent",
            tags={"nhi:agent": "analytics-agent"},
            owner="sam.ortiz@northwind.example",
            owner_source="tag:owner",
        ),
        Identity(BEDROCK, "aws", ACCOUNT, "iam_role", "AmazonBedrockExecutionRoleForAgents_support"),
        Identity(f"arn:aws:iam::{ACCOUNT}:user/report-bot", "aws", ACCOUNT, "iam_user", "report-bot"),
        Identity(f"arn:aws:iam::{ACCOUNT}:user/backup", "aws", ACCOUNT, "iam_user", "backup"),
    ]
    aws.credentials += [
        Credential(
            "AKIANWOPSCOPILOT0001",
            USER,
            "aws",
            ACCOUNT,
            "access_key",
            "active",
            key_id="AKIANWOPSCOPILOT0001",
            created_at=datetime(2025, 9, 27, tzinfo=UTC),
        ),
    ]
    aws.trusts += [
        Trust(
            ROLE,
            "aws",
            ACCOUNT,
            "account",
            f"arn:aws:iam::{ACCOUNT}:root",
            "sts:AssumeRole",
            principal_account=ACCOUNT,
            requires_source_identity=True,
        ),
        Trust(BEDROCK, "aws", ACCOUNT, "service", "bedrock.amazonaws.com", "sts:AssumeRole"),
    ]
    openai = Batch()
    openai.identities.append(
        Identity(
            "openai:user:user-dana",
            "openai",
            "org-nw",
            "openai_user",
            "dana.lee",
            attrs={"owner_email": "dana.lee@northwind.example"},
        )
    )
    openai.credentials.append(
        Credential(
            "key_ops",
            "openai:user:user-dana",
            "openai",
            "org-nw",
            "api_key",
            "active",
            name="ops-copilot",
            hint="sk-proj-NWd...A1b2",
        )
    )
    anthropic = Batch()
    anthropic.identities.append(
        Identity("anthropic:workspace:default", "anthropic", "org-nw", "anthropic_workspace", "default")
    )
    anthropic.credentials.append(
        Credential(
            "apikey_ops",
            "anthropic:workspace:default",
            "anthropic",
            "org-nw",
            "api_key",
            "active",
            hint="sk-ant-api03-NWd...xQAA",
        )
    )
    github = Batch()
    github.identities.append(
        Identity("github:user:ops-copilot-bot", "github", "northwind", "github_user", "ops-copilot-bot")
    )
    github.credentials.append(
        Credential(
            "github:sso:991",
            "github:user:ops-copilot-bot",
            "github",
            "northwind",
            "sso_authorization",
            "active",
            hint="nWopsC01",
        )
    )
    mcp = Batch()
    for server in ("aws", "openai", "tools"):
        mcp.identities.append(
            Identity(
                f"mcp:{MCP_FILE}#{server}",
                "mcp",
                MCP_FILE,
                "mcp_server",
                server,
                attrs={"client": "claude_desktop", "path": MCP_FILE},
            )
        )
    sightings = [
        ("mcp-secret:aaa", "aws", dict(key_id="AKIANWOPSCOPILOT0001", hint="AKIA...0001")),
        ("mcp-secret:bbb", "openai", dict(hint="sk-proj-NWdXYZ...A1b2")),
        ("mcp-secret:ccc", "tools", dict(hint="sk-ant-api03-NWdQ...xQAA")),
        ("mcp-secret:ddd", "tools", dict(hint="github_pat_11N...nWopsC01")),
        ("mcp-secret:eee", "tools", dict(hint="xoxb...9f2k", attrs={"secret_type": "slack_bot_token"})),
    ]
    for cred_id, server, extra in sightings:
        mcp.credentials.append(
            Credential(cred_id, f"mcp:{MCP_FILE}#{server}", "mcp", MCP_FILE, "embedded_secret", "active", **extra)
        )
        mcp.locations.append(CredentialLocation(cred_id, MCP_FILE, "mcp", MCP_FILE, f"server {server} / env"))
    mcp.people += [
        Person("dana.lee@northwind.example", "test", email="dana.lee@northwind.example"),
        Person("sam.ortiz@northwind.example", "test", email="sam.ortiz@northwind.example", active=False),
    ]
    return {
        ("aws", ACCOUNT): aws,
        ("openai", "org-nw"): openai,
        ("anthropic", "org-nw"): anthropic,
        ("github", "northwind"): github,
        ("mcp", MCP_FILE): mcp,
    }


def config(**extra) -> Config:
    return Config(
        agents=[AgentConfig(name="ops-copilot", owner="dana.lee@northwind.example", identities=["*ops-copilot*"])],
        **extra,
    )


@pytest.fixture
def store(tmp_path):
    return open_store(tmp_path / "nhi.db")


def scan(store, cfg: Config):
    batches = estate()
    results = [ScopeResult(p, s, "complete") for p, s in batches]
    return write_scan(
        store,
        started_at=NOW,
        finished_at=NOW,
        results=results,
        batches=batches,
        post_load=[lambda conn, scan_id: build_agents(conn, cfg, scan_id)],
    )


def test_each_linking_method_resolves_the_sighting(store):
    scan(store, config())
    links = {(r[0], r[1], r[2]) for r in store.conn.execute("SELECT * FROM credential_link")}
    assert links == {
        ("mcp-secret:aaa", "AKIANWOPSCOPILOT0001", "aws_key_id"),
        ("mcp-secret:bbb", "key_ops", "openai_redacted_value"),
        ("mcp-secret:ccc", "apikey_ops", "anthropic_key_hint"),
        ("mcp-secret:ddd", "github:sso:991", "github_last_eight"),
    }


def test_hint_shapes_must_agree():
    assert hints_match("sk-proj-NWd...A1b2", "sk-proj-NWdXYZ...A1b2")
    assert not hints_match("sk-proj-NWd...A1b2", "sk-proj-NWd...A1b3")  # different suffix
    assert not hints_match("sk-...A1b2", "sk-...A1b2")  # 'sk-' alone identifies nothing
    assert not hints_match("sk-proj-ABC...A1b2", "sk-proj-NWd...A1b2")


def test_rogue_agent_is_one_agent_across_sources(store):
    scan(store, config())
    agent = agent_detail(store.conn, "ops-copilot")
    assert {i["identity_id"] for i in agent["identities"]} == {USER, "github:user:ops-copilot-bot"} | {
        f"mcp:{MCP_FILE}#{s}" for s in ("aws", "openai", "tools")
    }
    by_provider = {c["provider"]: c["credential_id"] for c in agent["credentials"] if c["kind"] != "embedded_secret"}
    assert by_provider == {
        "aws": "AKIANWOPSCOPILOT0001",
        "openai": "key_ops",
        "anthropic": "apikey_ops",
        "github": "github:sso:991",
    }
    assert {c["credential_id"]: c["via"] for c in agent["credentials"]}["key_ops"] == "credential"
    openai_key = next(c for c in agent["credentials"] if c["credential_id"] == "key_ops")
    assert openai_key["locations"] == [
        {"location": MCP_FILE, "context": "server openai / env", "method": "openai_redacted_value"}
    ]
    # dana's other OpenAI identity is not swallowed: only the key the agent holds joins
    assert "openai:user:user-dana" not in {i["identity_id"] for i in agent["identities"]}
    assert agent["acts_for"] == "dana.lee@northwind.example"
    assert agent["owner"] == "dana.lee@northwind.example" and agent["owner_status"] == "active"
    assert agent["owner_source"] == "config" and agent["owner_confidence"] == "high"


def test_scorecard_cell_by_cell(store):
    scan(store, config())
    card = agent_detail(store.conn, "ops-copilot")["scorecard"]
    assert card["delegated"]["pass"] is False
    assert any("IAM user with long-lived keys acts as itself" in r for r in card["delegated"]["reasons"])
    assert card["auditable"]["pass"] is True
    assert card["revocable"]["pass"] is False  # the Slack token resolves to nothing nhi can revoke
    assert any("slack_bot_token" in r for r in card["revocable"]["reasons"])
    assert card["scoped"]["pass"] is True  # no findings in this seeded inventory


def test_discovered_agents_with_evidence(store):
    scan(store, config())
    agents = {a["name"]: a for a in agent_rows(store.conn)}
    analytics = agents["analytics-agent"]
    assert analytics["source"] == "discovered" and analytics["confidence"] == "high"
    assert analytics["delegation"] == "recorded"
    assert analytics["owner_status"] == "left"
    assert analytics["owner_source"] == "tag:owner" and analytics["owner_confidence"] == "high"
    assert analytics["scorecard"]["auditable"]["pass"] is False
    assert analytics["scorecard"]["delegated"]["pass"] is True
    bedrock = agents["AmazonBedrockExecutionRoleForAgents_support"]
    evidence = json.loads(
        store.conn.execute("SELECT evidence FROM agent_member WHERE member_id = ?", (BEDROCK,)).fetchone()[0]
    )
    assert {
        "kind": "platform_trust",
        "detail": "trusted by bedrock.amazonaws.com (Amazon Bedrock agents)",
        "strength": "strong",
    } in evidence
    assert bedrock["delegation"] == "not_recorded"
    assert "backup" not in agents


def test_weak_evidence_only_is_a_low_confidence_candidate(store):
    scan(store, config())
    bot = {a["name"]: a for a in agent_rows(store.conn)}["report-bot"]
    assert bot["confidence"] == "low"
    evidence = json.loads(
        store.conn.execute("SELECT evidence FROM agent_member WHERE agent_name = 'report-bot'").fetchone()[0]
    )
    assert [e["strength"] for e in evidence] == ["weak"]
    assert "weak evidence" in evidence[0]["detail"]


def test_config_rejects_a_wrong_classification(store):
    scan(store, config(not_agents=["*report-bot"]))
    names = {a["name"] for a in agent_rows(store.conn)}
    assert "report-bot" not in names and "ops-copilot" in names


def test_agents_cli_lists_and_shows(nhi, tmp_path, store):
    scan(store, config())
    store.close()
    result = nhi("agents", "list", "--format", "json")
    assert result.code == 0
    names = [a["name"] for a in json.loads(result.out)]
    assert "ops-copilot" in names
    shown = nhi("agents", "show", "ops-copilot")
    assert shown.code == 0
    assert "nhi revoke --agent ops-copilot" in shown.out and "Scorecard" in shown.out
    missing = nhi("agents", "show", "nobody")
    assert missing.code == 2 and "no agent named 'nobody'" in missing.err
