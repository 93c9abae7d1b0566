"""Which identities are AI agents, and on what evidence.

Evidence has a strength: ``strong`` (configured in nhi.yaml, an agent tag, trust to an agent
platform, an MCP server entry, an Entra Agent ID object, a Vertex AI service agent),
``medium`` (an AI-provider key or service account, a credential found in an agent's config)
and ``weak`` (only the name or description looks like an agent: marked as such, never enough
to call it more than a candidate). Every classification keeps its evidence.
"""
from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import asdict, dataclass
from fnmatch import fnmatchcase

AGENT_TAG_KEYS = {"nhi:agent", "agent", "ai-agent", "nhi-agent", "ai_agent", "nhi_agent"}
AGENT_PLATFORM_SERVICES = {
    "bedrock.amazonaws.com": "Amazon Bedrock agents",
    "bedrock-agentcore.amazonaws.com": "Amazon Bedrock AgentCore",
}
VERTEX_SERVICE_AGENT = re.compile(r"@gcp-sa-(aiplatform|aiplatform-re|vertex|discoveryengine)[.-]", re.I)
AGENT_KINDS = {"mcp_server": "MCP server entry", "agent_identity": "Entra Agent ID object",
               "entra_agent": "Entra Agent ID object"}
AI_PROVIDERS = {"openai": "OpenAI", "anthropic": "Anthropic"}
AGENTISH_NAME = re.compile(r"(?<![a-z])(agent|bot|copilot|assistant|gpt|llm|claude|mcp|langchain|autogen|crew)(?![a-z])",
                           re.I)
STRENGTH_ORDER = {"strong": 3, "medium": 2, "weak": 1}
CONFIDENCE = {"strong": "high", "medium": "medium", "weak": "low"}


@dataclass(frozen=True)
class Evidence:
    kind: str  # config, tag, platform_trust, mcp_server, agent_object, ai_provider, linked_credential, name
    detail: str
    strength: str  # strong, medium, weak

    def as_dict(self) -> dict:
        return asdict(self)


def matches(patterns: list[str], *values: str | None) -> str | None:
    """The first glob that matches any of ``values`` (case-insensitive), or None."""
    for pattern in patterns:
        for value in values:
            if value and fnmatchcase(value.lower(), pattern.lower()):
                return pattern
    return None


def confidence_of(evidence: list[Evidence]) -> str:
    best = max((STRENGTH_ORDER[e.strength] for e in evidence), default=1)
    return {3: "high", 2: "medium", 1: "low"}[best]


def identity_evidence(conn: sqlite3.Connection, not_agents: list[str]) -> dict[str, list[Evidence]]:
    """Evidence per identity from the inventory alone (config agents are applied by the builder)."""
    found: dict[str, list[Evidence]] = {}

    def add(identity_id: str, evidence: Evidence) -> None:
        found.setdefault(identity_id, []).append(evidence)

    rows = conn.execute("SELECT id, provider, kind, name, description, tags, attrs, is_platform "
                        "FROM identity WHERE removed_at IS NULL").fetchall()
    names = {}
    for row in rows:
        names[row["id"]] = row["name"]
        tags = json.loads(row["tags"] or "{}")
        for key, value in tags.items() if isinstance(tags, dict) else ():
            if key.lower() in AGENT_TAG_KEYS and str(value).lower() not in ("false", "no", "0"):
                add(row["id"], Evidence("tag", f"tag {key}={value}", "strong"))
        attrs = json.loads(row["attrs"] or "{}")
        if row["kind"] in AGENT_KINDS:
            client = attrs.get("client") if isinstance(attrs, dict) else None
            detail = AGENT_KINDS[row["kind"]] + (f" in the {client} config" if client else "")
            add(row["id"], Evidence("mcp_server" if row["kind"] == "mcp_server" else "agent_object", detail, "strong"))
        elif isinstance(attrs, dict) and (attrs.get("agent_identity") or attrs.get("entra_agent_id")):
            add(row["id"], Evidence("agent_object", "Entra Agent ID object", "strong"))
        if row["provider"] == "gcp" and VERTEX_SERVICE_AGENT.search(row["id"]):
            add(row["id"], Evidence("platform_identity", "Vertex AI service agent", "strong"))
        if row["provider"] in AI_PROVIDERS:
            add(row["id"], Evidence("ai_provider", f"{AI_PROVIDERS[row['provider']]} {row['kind']}", "medium"))
        text = f"{row['name']} {row['description'] or ''}"
        hit = AGENTISH_NAME.search(text) if not row["is_platform"] else None
        if hit:
            where = "name" if AGENTISH_NAME.search(row["name"]) else "description"
            add(row["id"], Evidence("name", f"{where} contains '{hit.group(0)}' (weak evidence)", "weak"))

    for identity_id, principal in conn.execute(
            "SELECT identity_id, principal FROM trust WHERE principal_type = 'service'").fetchall():
        platform = AGENT_PLATFORM_SERVICES.get(principal)
        if platform and identity_id in names:
            add(identity_id, Evidence("platform_trust", f"trusted by {principal} ({platform})", "strong"))

    # A key of this identity sits in an agent's MCP config: something agent-like uses it.
    for identity_id, location in conn.execute(
            """SELECT DISTINCT t.identity_id, s.identity_id FROM credential_link l
               JOIN credential t ON t.id = l.target_id JOIN credential s ON s.id = l.sighting_id""").fetchall():
        if identity_id in names:
            add(identity_id, Evidence("linked_credential", f"its credential is embedded in {location}", "medium"))

    result = {}
    for identity_id, ev in found.items():
        if matches(not_agents, identity_id, names.get(identity_id)):
            continue
        ev = sorted(set(ev), key=lambda e: (-STRENGTH_ORDER[e.strength], e.kind, e.detail))
        # A name is evidence only when nothing better is known; beside it, it is noise.
        result[identity_id] = [e for e in ev if e.strength != "weak"] or ev
    return result
