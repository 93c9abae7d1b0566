"""Agent lookup: which identities and credentials belong to an agent.

``agent_members(conn, config, name)`` is THE way to ask "what is agent X made of": revoke uses
it for ``nhi revoke --agent``. Today members come from ``agents:`` in nhi.yaml (``identities``
globs match an identity's id or name, ``credentials`` globs a credential's id or key id); the
agents engineer adds discovered agents (tags, trust to agent platforms, MCP configs) by adding
a source to ``_SOURCES`` below, so every caller sees them without changing.

Members are read from the v_* views, so removed identities and credentials never come back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nhi_cli.agents.classify import matches
from nhi_cli.config import Config
from nhi_cli.store.interface import DbConnection


@dataclass
class AgentMembers:
    name: str
    owner: str | None = None
    sources: list[str] = field(default_factory=list)  # "config", later "discovered:<evidence>"
    identities: list[dict[str, Any]] = field(default_factory=list)  # v_identities rows
    credentials: list[dict[str, Any]] = field(default_factory=list)  # v_credentials rows

    def add_identity(self, row: dict[str, Any]) -> None:
        if all(i["id"] != row["id"] for i in self.identities):
            self.identities.append(row)

    def add_credential(self, row: dict[str, Any]) -> None:
        if all(c["id"] != row["id"] for c in self.credentials):
            self.credentials.append(row)


def _matches(patterns: list[str], *values: str | None) -> bool:
    # The same (case-insensitive) matching the scan used to build agent_member, so `nhi agents
    # show` and `nhi revoke --agent` agree on what an agent is made of.
    return matches(patterns, *values) is not None


def _config_source(conn: DbConnection, config: Config, name: str) -> AgentMembers | None:
    agent = next((a for a in config.agents if a.name == name), None)
    if agent is None:
        return None
    members = AgentMembers(name=agent.name, owner=agent.owner, sources=["config"])
    if agent.identities:
        for row in conn.execute("SELECT * FROM v_identities ORDER BY provider, scope, id"):
            row = dict(row)
            if _matches(agent.identities, row["id"], row["name"]) and not _matches(
                agent.reject, row["id"], row["name"]
            ):
                members.add_identity(row)
    ids = {i["id"] for i in members.identities}
    for row in conn.execute("SELECT * FROM v_credentials ORDER BY provider, scope, id"):
        row = dict(row)
        explicit = agent.credentials and _matches(agent.credentials, row["id"], row["key_id"], row["name"])
        if explicit or row["identity_id"] in ids:
            members.add_credential(row)
    return members


def _stored_source(conn: DbConnection, config: Config, name: str) -> AgentMembers | None:
    """Members the last scan derived (agent_member, migration 0010): discovered agents, and
    single credentials of other identities linked to a configured agent (a person's API key
    found in the agent's MCP config)."""
    rows = conn.execute("SELECT member_type, member_id FROM agent_member WHERE agent_name = ?", (name,)).fetchall()
    owner_row = conn.execute("SELECT owner, source FROM agent WHERE name = ?", (name,)).fetchone()
    if not rows and owner_row is None:
        return None
    members = AgentMembers(
        name=name, owner=owner_row[0] if owner_row else None, sources=[owner_row[1] if owner_row else "discovered"]
    )
    for member_type, member_id in rows:
        view = "v_identities" if member_type == "identity" else "v_credentials"
        row = conn.execute(f"SELECT * FROM {view} WHERE id = ?", (member_id,)).fetchone()
        if row is None:
            continue
        if member_type == "identity":
            members.add_identity(dict(row))
            for cred in conn.execute("SELECT * FROM v_credentials WHERE identity_id = ?", (member_id,)):
                members.add_credential(dict(cred))
        else:
            members.add_credential(dict(row))
    return members


# Each source answers for one agent name, or None when it does not know the agent.
_SOURCES: list[Callable[[DbConnection, Any, str], AgentMembers | None]] = [_config_source, _stored_source]


def agent_members(conn: DbConnection, config: Config, name: str) -> AgentMembers | None:
    """Every identity and credential linked to agent ``name`` (None: no such agent).

    Credentials include those of member identities as well as explicitly named ones."""
    found: AgentMembers | None = None
    for source in _SOURCES:
        part = source(conn, config, name)
        if part is None:
            continue
        if found is None:
            found = part
            continue
        found.owner = found.owner or part.owner
        found.sources += [s for s in part.sources if s not in found.sources]
        for row in part.identities:
            found.add_identity(row)
        for row in part.credentials:
            found.add_credential(row)
    agent = next((a for a in config.agents if a.name == name), None)
    if found is not None and agent is not None and agent.reject:  # the config's word wins over a derivation
        found.identities = [i for i in found.identities if not _matches(agent.reject, i["id"], i["name"])]
        kept = {i["id"] for i in found.identities}
        found.credentials = [
            c
            for c in found.credentials
            if not _matches(agent.reject, c["id"], c.get("identity_name"))
            and (c["identity_id"] in kept or not _matches(agent.reject, c["identity_id"]))
        ]
    return found


def agent_names(conn: DbConnection, config: Config) -> list[str]:
    """Names of every known agent (for listing candidates when a name is unknown)."""
    names = {a.name for a in config.agents} | {r[0] for r in conn.execute("SELECT name FROM agent")}
    return sorted(names)


def agents_of_identity(conn: DbConnection, config: Config, identity_id: str, identity_name: str | None) -> list[str]:
    """Agents this identity belongs to, configured or discovered (for a blast radius)."""
    configured = {
        a.name
        for a in config.agents
        if _matches(a.identities, identity_id, identity_name) and not _matches(a.reject, identity_id, identity_name)
    }
    stored = {
        r[0]
        for r in conn.execute(
            "SELECT agent_name FROM agent_member WHERE member_type = 'identity' AND member_id = ?", (identity_id,)
        )
    }
    return sorted(configured | stored)
