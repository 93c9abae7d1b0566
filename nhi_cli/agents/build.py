"""Build the agents from evidence, links and nhi.yaml, inside the scan's transaction.

1. Link sightings (secrets in MCP configs) to the provider credentials they are.
2. Seed agents: every ``agents:`` entry of nhi.yaml claims the identities and credentials its
   globs match; every other identity with evidence is a candidate.
3. Group: MCP servers of one client config are one agent runtime; a config that holds a key of
   an agent identity belongs to that agent; the keys it holds of other identities join the
   agent as single credentials (the owner's other keys do not).
4. Record for each agent who owns it, who it acts for and whether that is recorded per action.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from nhi_cli.agents.classify import (
    Evidence,
    confidence_of,
    glob_candidates,
    identity_evidence,
    matches,
    platform_links,
)
from nhi_cli.agents.delegation import agent_delegation, credential_statement, load_facts, statement_for
from nhi_cli.agents.link import write_links
from nhi_cli.agents.runtime import follow, runtime_edges
from nhi_cli.agents.timing import step
from nhi_cli.config import Config
from nhi_cli.store.interface import DbConnection


@dataclass
class Draft:
    name: str
    source: str  # config, discovered
    owner: str | None = None
    owner_source: str | None = None
    acts_for: str | None = None
    acts_for_source: str | None = None
    description: str | None = None
    identities: dict[str, list[Evidence]] = field(default_factory=dict)
    credentials: dict[str, list[Evidence]] = field(default_factory=dict)


class UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _identities(conn: DbConnection, ids: Collection[str]) -> dict[str, sqlite3.Row]:
    """The live identities among ``ids`` (only agents' members are ever read whole)."""
    return {
        r["id"]: r
        for r in conn.execute(
            "SELECT id, provider, kind, name, owner, owner_source, tags, attrs FROM identity "
            "WHERE id IN (SELECT value FROM json_each(?)) AND removed_at IS NULL ORDER BY rowid",
            (json.dumps(sorted(set(ids))),),
        )
    }


def _seed_config_agents(conn: DbConnection, config: Config) -> tuple[dict[str, Draft], dict[str, str]]:
    drafts: dict[str, Draft] = {}
    owner_of: dict[str, str] = {}  # identity id -> config agent name
    # One scan per table selects the rows any agent's globs may match (SQL LIKE); ``matches``
    # (fnmatch with Unicode case folding) decides, agent by agent, as before.
    identity_rows = glob_candidates(
        conn,
        "SELECT id, name FROM identity WHERE removed_at IS NULL AND",
        ("id", "name"),
        [p for agent in config.agents for p in agent.identities],
    )
    credential_rows = glob_candidates(
        conn,
        "SELECT id, key_id, name FROM credential WHERE removed_at IS NULL AND",
        ("id", "key_id", "name"),
        [p for agent in config.agents for p in agent.credentials],
    )
    for agent in config.agents:
        draft = drafts.setdefault(
            agent.name,
            Draft(
                agent.name,
                "config",
                agent.owner,
                "config" if agent.owner else None,
                agent.acts_for,
                "config" if agent.acts_for else None,
                agent.description,
            ),
        )
        for identity_id, name in identity_rows if agent.identities else ():
            pattern = matches(agent.identities, identity_id, name)
            if pattern and not matches(agent.reject, identity_id, name) and identity_id not in owner_of:
                draft.identities[identity_id] = [
                    Evidence("config", f"nhi.yaml agent {agent.name}: pattern {pattern}", "strong")
                ]
                owner_of[identity_id] = agent.name
        for cred_id, key_id, name in credential_rows if agent.credentials else ():
            pattern = matches(agent.credentials, cred_id, key_id, name)
            if pattern and not matches(agent.reject, cred_id):
                draft.credentials[cred_id] = [
                    Evidence("config", f"nhi.yaml agent {agent.name}: pattern {pattern}", "strong")
                ]
    return drafts, owner_of


def _group(
    conn: DbConnection,
    identities: dict[str, sqlite3.Row],
    evidence: dict[str, list[Evidence]],
    owner_of: dict[str, str],
) -> tuple[UnionFind, dict[str, list[tuple[str, str, str]]]]:
    """Union identities that are one agent; return the sightings each holder resolves."""
    uf = UnionFind()
    # Only identities that are agents in their own right pull a config that holds their key into
    # their agent; a person's OpenAI user or a shared workspace lends single credentials instead.
    agentish = {i for i, ev in evidence.items() if any(e.strength == "strong" for e in ev)} | set(owner_of)
    # The servers of one MCP client config are one agent runtime; identities tagged with the
    # same agent name are one agent.
    groups: dict[str, list[str]] = defaultdict(list)
    for identity_id, attrs in conn.execute(
        "SELECT id, attrs FROM identity WHERE kind = 'mcp_server' AND removed_at IS NULL ORDER BY rowid"
    ):
        attrs = json.loads(attrs or "{}")
        groups["file:" + (attrs.get("config_file") or identity_id.split("#", 1)[0])].append(identity_id)
    declared: set[str] = set()
    for identity_id, ev in evidence.items():
        for e in ev:
            if e.kind == "tag" and "=" in e.detail:
                value = e.detail.split("=", 1)[1].strip().lower()
                if value not in ("true", "yes", "1", ""):
                    groups["tag:" + value].append(identity_id)
                    declared.add(value)
    # An agent declared by tag also claims other agent-like identities named exactly like it
    # (its OpenAI service account, its GitHub App), wherever they live.
    for identity_id in evidence:
        name = (identities[identity_id]["name"] or "").lower()
        if name in declared and identity_id not in groups["tag:" + name]:
            groups["tag:" + name].append(identity_id)
            evidence[identity_id].append(
                Evidence("declared_name", f"named like the agent {name} declared by tag", "medium")
            )
    # A platform agent and the execution role / workload identity it runs as are one agent.
    for identity_id, role_id in platform_links(conn):
        if identity_id in evidence and role_id in identities:
            groups["runs-as:" + identity_id] += [identity_id, role_id]
    for members in groups.values():
        for other in members[1:]:
            uf.union(members[0], other)
    held: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for holder, target_cred, target_identity, method, live in conn.execute(
        """SELECT s.identity_id, t.id, t.identity_id, l.method, h.id IS NOT NULL FROM credential_link l
               JOIN credential s ON s.id = l.sighting_id JOIN credential t ON t.id = l.target_id
               LEFT JOIN identity h ON h.id = s.identity_id AND h.removed_at IS NULL"""
    ):
        held[holder].append((target_cred, target_identity, method))
        if target_identity in agentish and live:
            uf.union(holder, target_identity)
    return uf, held


def build_agents(conn: DbConnection, config: Config, scan_id: int, timings: dict[str, Any] | None = None) -> list[str]:
    """Recompute the agent tables; returns the agent names (``timings``: per-step seconds)."""
    with step(timings, "link"):
        write_links(conn)
    with step(timings, "evidence"):
        evidence = identity_evidence(conn, config.not_agents)
    with step(timings, "config agents"):
        drafts, owner_of = _seed_config_agents(conn, config)
    with step(timings, "identities"):
        for identity_id, target in platform_links(conn):
            if identity_id in evidence:  # the role it runs as joins it, with that as evidence
                evidence.setdefault(target, []).append(
                    Evidence("execution_role", f"the identity platform agent {identity_id} runs as", "strong")
                )
        identities = _identities(conn, set(evidence) | set(owner_of))
        evidence = {i: ev for i, ev in evidence.items() if i in identities or i in owner_of}
    with step(timings, "group"):
        uf, held = _group(conn, identities, evidence, owner_of)

    with step(timings, "components"):
        # Sorted, so two discovered agents with one name get the same suffixes at every scan
        # (set order changes with the process's hash seed); a component's root is its least id.
        components: dict[str, list[str]] = defaultdict(list)
        for identity_id in sorted(set(evidence) | set(owner_of)):
            components[uf.find(identity_id)].append(identity_id)
        for _, members in sorted(components.items()):
            configured = sorted({owner_of[m] for m in members if m in owner_of})
            if configured:
                draft = drafts[configured[0]]
            else:
                draft = _discovered_draft(members, identities, evidence, drafts)
            for member in members:
                if member in owner_of and owner_of[member] != draft.name:
                    continue  # claimed by another configured agent
                draft.identities.setdefault(member, []).extend(evidence.get(member, []))
        # Keys held in an agent's configs join it as single credentials.
        for draft in drafts.values():
            for holder in list(draft.identities):
                for target_cred, target_identity, method in held.get(holder, []):
                    if target_identity not in draft.identities:
                        draft.credentials.setdefault(target_cred, []).append(
                            Evidence("linked_credential", f"embedded in {holder} ({method})", "strong")
                        )
    with step(timings, "runtime chains"):
        # What members run as and become (pod -> service account -> cloud role) joins the agent.
        edges = runtime_edges(conn)
        if edges:
            for draft in drafts.values():
                for identity_id, ev in follow(sorted(draft.identities), edges).items():
                    draft.identities.setdefault(identity_id, []).append(ev)
            identities.update(
                _identities(conn, [i for d in drafts.values() for i in d.identities if i not in identities])
            )
            for draft in drafts.values():  # a chain may name an identity that is gone
                for identity_id in [i for i in draft.identities if i not in identities]:
                    del draft.identities[identity_id]
    with step(timings, "write"):
        _write(conn, drafts, identities, scan_id)
    return sorted(drafts)


def _discovered_draft(
    members: list[str],
    identities: dict[str, sqlite3.Row],
    evidence: dict[str, list[Evidence]],
    drafts: dict[str, Draft],
) -> Draft:
    def rank(identity_id: str) -> tuple[int, int, int, str]:
        ev = evidence.get(identity_id, [])
        tag = next((e for e in ev if e.kind == "tag"), None)
        mcp = identities[identity_id]["kind"] == "mcp_server"
        return (0 if tag else 1, 1 if mcp else 0, -max((len(e.strength) for e in ev), default=0), identity_id)

    lead = sorted(members, key=rank)[0]
    tag = next((e for e in evidence.get(lead, []) if e.kind == "tag"), None)
    name = (
        tag.detail.split("=", 1)[1]
        if tag and "=" in tag.detail and tag.detail.split("=", 1)[1].lower() not in ("true", "yes", "1")
        else identities[lead]["name"]
    )
    base, n = name, 2
    while name in drafts:
        name, n = f"{base}-{n}", n + 1
    drafts[name] = Draft(name, "discovered")
    return drafts[name]


def _owner(draft: Draft, identities: dict[str, sqlite3.Row]) -> tuple[str | None, str | None]:
    if draft.owner:
        return draft.owner, draft.owner_source
    for identity_id in sorted(draft.identities):
        row = identities.get(identity_id)
        if row is not None and row["owner"]:
            return row["owner"], row["owner_source"] or "identity"
    return None, None


def _owner_status(conn: DbConnection, owner: str | None, have_people: bool, memo: dict[str, str]) -> str:
    if not owner:
        return "none"
    if not have_people:  # no people directory: nothing to check an owner against
        return "unknown"
    if owner not in memo:  # many agents share an owner; each lookup scans the directory
        row = conn.execute(
            "SELECT active FROM person WHERE id = lower(?) OR lower(email) = lower(?)", (owner, owner)
        ).fetchone()
        memo[owner] = "not_in_directory" if row is None else ("active" if row[0] else "left")
    return memo[owner]


def _write(conn: DbConnection, drafts: dict[str, Draft], identities: dict[str, sqlite3.Row], scan_id: int) -> None:
    conn.execute("DELETE FROM agent_member")
    conn.execute("DELETE FROM agent")
    have_people = conn.execute("SELECT 1 FROM person LIMIT 1").fetchone() is not None
    wanted = sorted({c for draft in drafts.values() for c in draft.credentials})
    credential_provider = dict(
        conn.execute(
            "SELECT id, provider FROM credential WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(wanted),)
        )
    )
    # One query per kind of delegation fact for every member at once.
    facts = load_facts(conn, [i for draft in drafts.values() for i in draft.identities], wanted)
    owners: dict[str, str] = {}
    for draft in drafts.values():
        all_evidence = [e for ev in draft.identities.values() for e in ev] + [
            e for ev in draft.credentials.values() for e in ev
        ]
        confidence = "high" if draft.source == "config" else confidence_of(all_evidence)
        owner, owner_source = _owner(draft, identities)
        statements = [statement_for(identities[i], facts) for i in sorted(draft.identities)]
        statements += [credential_statement(c, facts) for c in sorted(draft.credentials)]
        status, acts_for, acts_for_source = agent_delegation(statements)
        if draft.acts_for:
            acts_for, acts_for_source = draft.acts_for, draft.acts_for_source
        conn.execute(
            "INSERT INTO agent (name, source, confidence, owner, owner_source, owner_status, acts_for, "
            "acts_for_source, delegation, delegation_detail, description, scan_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                draft.name,
                draft.source,
                confidence,
                owner,
                owner_source,
                _owner_status(conn, owner, have_people, owners),
                acts_for,
                acts_for_source,
                status,
                json.dumps([s.as_dict() for s in statements]),
                draft.description,
                scan_id,
            ),
        )
        members = []
        for identity_id, ev in draft.identities.items():
            ev = [e for e in ev if e.strength != "weak"] or ev  # a name says nothing beside evidence
            members.append(
                (
                    draft.name,
                    identity_id,
                    identities[identity_id]["provider"],
                    "high" if draft.source == "config" else confidence_of(ev),
                    json.dumps([e.as_dict() for e in ev]),
                )
            )
        conn.executemany("INSERT INTO agent_member VALUES (?, 'identity', ?, ?, ?, ?)", members)
        conn.executemany(
            "INSERT OR IGNORE INTO agent_member VALUES (?, 'credential', ?, ?, ?, ?)",
            [
                (
                    draft.name,
                    credential_id,
                    credential_provider.get(credential_id, "unknown"),
                    confidence_of(ev),
                    json.dumps([e.as_dict() for e in ev]),
                )
                for credential_id, ev in draft.credentials.items()
            ],
        )
