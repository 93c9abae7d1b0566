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
from collections.abc import Sized
from dataclasses import asdict, dataclass
from fnmatch import fnmatchcase
from typing import Any

from nhi_cli.store.interface import DbConnection

AGENT_TAG_KEYS = {"nhi:agent", "agent", "ai-agent", "nhi-agent", "ai_agent", "nhi_agent"}
AGENT_PLATFORM_SERVICES = {
    "bedrock.amazonaws.com": "Amazon Bedrock agents",
    "bedrock-agentcore.amazonaws.com": "Amazon Bedrock AgentCore",
}
VERTEX_SERVICE_AGENT = re.compile(r"@gcp-sa-(aiplatform|aiplatform-re|vertex|discoveryengine)[.-]", re.I)
AGENT_KINDS = {
    "mcp_server": "MCP server entry",
    "agent_identity": "Entra Agent ID object",
    "entra_agent": "Entra Agent ID object",
}
AI_PROVIDERS = {"openai": "OpenAI", "anthropic": "Anthropic"}
CLOUD_AI_KEYS = {
    "bedrock_api_key": "Bedrock long-term API key",
    "gcp_api_key": "Google API key that can call Gemini",
    "azure_ai_account_key": "Azure AI account key",
}
AGENTISH_NAME = re.compile(
    r"(?<![a-z])(agent|bot|copilot|assistant|gpt|llm|claude|mcp|langchain|autogen|crew)(?![a-z])", re.I
)
STRENGTH_ORDER = {"strong": 3, "medium": 2, "weak": 1}
CONFIDENCE = {"strong": "high", "medium": "medium", "weak": "low"}


@dataclass(frozen=True)
class Evidence:
    # config, tag, platform_registered, platform_trust, execution_role, mcp_server, agent_object,
    # ai_provider, linked_credential, name
    kind: str
    detail: str
    strength: str  # strong, medium, weak

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _marks(values: Sized) -> str:
    """``?,?,?``: one bind parameter per value, for an IN (...) list."""
    return ",".join("?" * len(values))


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


# Set-based prefilters: SQLite's LIKE and lower() fold ASCII only, so a value with any other
# character goes to Python too (Python's re.I and str.lower() fold more: 'ſ' is 's').
NON_ASCII = "length(CAST({0} AS BLOB)) > length({0})"
AGENTISH_WORDS = ("agent", "bot", "copilot", "assistant", "gpt", "llm", "claude", "mcp", "langchain", "autogen", "crew")


def _tag_value(value: Any, json_type: str) -> Any:
    """A json_each value as json.loads would give it (the detail prints its str())."""
    if json_type == "true":
        return True
    if json_type == "false":
        return False
    if json_type in ("object", "array"):
        return json.loads(value)
    return value


def _tag_evidence(key: str, value: object) -> Evidence | None:
    if key.lower() in AGENT_TAG_KEYS and str(value).lower() not in ("false", "no", "0"):
        return Evidence("tag", f"tag {key}={value}", "strong")
    return None


def identity_evidence(conn: DbConnection, not_agents: list[str]) -> dict[str, list[Evidence]]:
    """Evidence per identity from the inventory alone (config agents are applied by the builder).

    Each kind of evidence is one set-based query; Python sees only the identities it selects."""
    found: dict[str, list[Evidence]] = {}
    names: dict[str, str] = {}

    def add(identity_id: str, name: str, evidence: Evidence) -> None:
        names[identity_id] = name
        found.setdefault(identity_id, []).append(evidence)

    # Tags: json_each over objects that mention an agent key; tags with JSON escapes (a key could
    # be spelt \u0061gent) are decoded by Python instead.
    for identity_id, name, key, value, json_type in conn.execute(
        """SELECT i.id, i.name, t.key, t.value, t.type FROM identity i, json_each(i.tags) t
               WHERE i.removed_at IS NULL AND i.tags LIKE '%agent%' AND i.tags NOT LIKE '%\\%'
                 AND json_type(i.tags) = 'object' AND t.key LIKE '%agent'"""
    ):
        ev = _tag_evidence(key, _tag_value(value, json_type))
        if ev:
            add(identity_id, name, ev)
    for identity_id, name, tags in conn.execute(
        "SELECT id, name, tags FROM identity WHERE removed_at IS NULL AND tags LIKE '%\\%' "
        "AND (tags LIKE '%agent%' OR tags LIKE '%\\u%')"
    ):
        tags = json.loads(tags or "{}")
        for key, value in tags.items() if isinstance(tags, dict) else ():
            ev = _tag_evidence(key, value)
            if ev:
                add(identity_id, name, ev)
    # Agent kinds (MCP servers, Entra Agent ID objects) and Agent ID markers in attrs.
    for identity_id, name, kind, attrs in conn.execute(
        f"SELECT id, name, kind, attrs FROM identity WHERE removed_at IS NULL "
        f"AND (kind IN ({_marks(AGENT_KINDS)}) OR attrs LIKE '%agent_id%' OR attrs LIKE '%\\u%')",
        tuple(AGENT_KINDS),
    ):
        attrs = json.loads(attrs or "{}")
        if kind in AGENT_KINDS:
            client = attrs.get("client") if isinstance(attrs, dict) else None
            detail = AGENT_KINDS[kind] + (f" in the {client} config" if client else "")
            add(identity_id, name, Evidence("mcp_server" if kind == "mcp_server" else "agent_object", detail, "strong"))
        elif isinstance(attrs, dict) and (attrs.get("agent_identity") or attrs.get("entra_agent_id")):
            add(identity_id, name, Evidence("agent_object", "Entra Agent ID object", "strong"))
    # Agents the AI platforms keep in their own registries (Bedrock Agents, AgentCore, Vertex AI
    # Agent Engine, Foundry): the most direct evidence there is.
    for identity_id, name, attrs in conn.execute(
        "SELECT id, name, attrs FROM identity WHERE removed_at IS NULL AND attrs LIKE '%registered_by_platform%'"
    ):
        attrs = json.loads(attrs or "{}")
        if isinstance(attrs, dict) and attrs.get("registered_by_platform") is True:
            platform = attrs.get("platform") or "its platform"
            add(
                identity_id, name, Evidence("platform_registered", f"registered by the platform ({platform})", "strong")
            )
    # Long-term AI keys held inside a cloud (a Bedrock API key of an IAM user): as an AI-provider key.
    for identity_id, name, kind in conn.execute(
        f"SELECT DISTINCT i.id, i.name, k.kind FROM credential k JOIN identity i ON i.id = k.identity_id "
        f"AND i.removed_at IS NULL WHERE k.removed_at IS NULL AND k.kind IN ({_marks(CLOUD_AI_KEYS)}) "
        "AND (k.kind <> 'gcp_api_key' OR k.attrs LIKE '%\"ai_credential\": true%')",
        tuple(CLOUD_AI_KEYS),
    ):
        add(identity_id, name, Evidence("ai_provider", f"holds a {CLOUD_AI_KEYS[kind]}", "medium"))
    for identity_id, name in conn.execute(
        "SELECT id, name FROM identity WHERE removed_at IS NULL AND provider = 'gcp' "
        f"AND (id LIKE '%@gcp-sa-%' OR {NON_ASCII.format('id')})"
    ):
        if VERTEX_SERVICE_AGENT.search(identity_id):
            add(identity_id, name, Evidence("platform_identity", "Vertex AI service agent", "strong"))
    for identity_id, name, provider, kind in conn.execute(
        f"SELECT id, name, provider, kind FROM identity WHERE removed_at IS NULL "
        f"AND provider IN ({_marks(AI_PROVIDERS)})",
        tuple(AI_PROVIDERS),
    ):
        add(identity_id, name, Evidence("ai_provider", f"{AI_PROVIDERS[provider]} {kind}", "medium"))
    # Names and descriptions (weak): a LIKE per word selects the few rows the regex then judges.
    words = " OR ".join(f"name LIKE '%{w}%' OR description LIKE '%{w}%'" for w in AGENTISH_WORDS)
    for identity_id, name, description in conn.execute(
        f"SELECT id, name, description FROM identity WHERE removed_at IS NULL AND is_platform = 0 "
        f"AND ({words} OR {NON_ASCII.format('name')} OR {NON_ASCII.format('description')})"
    ):
        hit = AGENTISH_NAME.search(f"{name} {description or ''}")
        if hit:
            where = "name" if AGENTISH_NAME.search(name) else "description"
            add(identity_id, name, Evidence("name", f"{where} contains '{hit.group(0)}' (weak evidence)", "weak"))

    for identity_id, name, principal in conn.execute(
        "SELECT t.identity_id, i.name, t.principal FROM trust t JOIN identity i ON i.id = t.identity_id "
        f"AND i.removed_at IS NULL WHERE t.principal_type = 'service' "
        f"AND t.principal IN ({_marks(AGENT_PLATFORM_SERVICES)})",
        tuple(AGENT_PLATFORM_SERVICES),
    ):
        add(
            identity_id,
            name,
            Evidence("platform_trust", f"trusted by {principal} ({AGENT_PLATFORM_SERVICES[principal]})", "strong"),
        )

    # A key of this identity sits in an agent's MCP config: something agent-like uses it.
    for identity_id, name, location in conn.execute(
        """SELECT DISTINCT t.identity_id, i.name, s.identity_id FROM credential_link l
               JOIN credential t ON t.id = l.target_id JOIN credential s ON s.id = l.sighting_id
               JOIN identity i ON i.id = t.identity_id AND i.removed_at IS NULL"""
    ).fetchall():
        add(identity_id, name, Evidence("linked_credential", f"its credential is embedded in {location}", "medium"))

    result = {}
    for identity_id, evidence in found.items():
        if matches(not_agents, identity_id, names.get(identity_id)):
            continue
        ordered = sorted(set(evidence), key=lambda e: (-STRENGTH_ORDER[e.strength], e.kind, e.detail))
        # A name is evidence only when nothing better is known; beside it, it is noise.
        result[identity_id] = [e for e in ordered if e.strength != "weak"] or ordered
    return result


def _like(pattern: str) -> str:
    """An fnmatch pattern without classes as a LIKE pattern (ESCAPE '\\'): LIKE folds ASCII case."""
    out = []
    for ch in pattern:
        out.append({"*": "%", "?": "_", "%": "\\%", "_": "\\_", "\\": "\\\\"}.get(ch, ch))
    return "".join(out)


def glob_candidates(conn: DbConnection, sql: str, columns: tuple[str, ...], patterns: list[str]) -> list[Any]:
    """Rows of ``sql`` (a SELECT ending in a WHERE clause) that may match any of ``patterns`` on
    any of ``columns``, in table order; callers still decide with ``matches``. A pattern with a
    character class (fnmatch's [!x] is no SQL pattern) makes every row a candidate."""
    if not patterns:
        return []
    if any("[" in p for p in patterns):
        return conn.execute(sql + " 1 ORDER BY rowid").fetchall()
    likes = sorted({_like(p.lower()) for p in patterns})
    terms = [f"{c} LIKE :p{n} ESCAPE '\\'" for n in range(len(likes)) for c in columns]
    # LIKE folds ASCII only; a value with other characters is left to Python's folding.
    terms += [f"length(CAST({c} AS BLOB)) > length({c})" for c in columns]
    params = {f"p{n}": like for n, like in enumerate(likes)}
    return conn.execute(sql + " (" + " OR ".join(terms) + ") ORDER BY rowid", params).fetchall()


def platform_links(conn: DbConnection) -> list[tuple[str, str]]:
    """(platform agent, identity it runs as): a Bedrock agent's or AgentCore runtime's execution
    role and its workload identity, a Vertex engine's service account, a Foundry agent's managed
    identity, from the attrs the connectors record."""
    links = []
    for identity_id, attrs in conn.execute(
        "SELECT id, attrs FROM identity WHERE removed_at IS NULL AND attrs LIKE '%registered_by_platform%' "
        "ORDER BY rowid"
    ):
        attrs = json.loads(attrs or "{}")
        if not isinstance(attrs, dict) or attrs.get("registered_by_platform") is not True:
            continue
        for key in ("execution_role", "workload_identity", "service_account", "managed_identity"):
            if isinstance(attrs.get(key), str) and attrs[key]:
                links.append((identity_id, attrs[key]))
    return links
