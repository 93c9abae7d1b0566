"""The agents section of a report: which identities are AI agents, and how they fare.

Agents come from the agents module (``nhi_cli.agents.scorecard.agent_rows``: classification
with evidence, delegation and the four-property scorecard, stored in the ``agent`` tables at
each scan) when the inventory has those tables. An older inventory without them falls back to
the explicit evidence in the store itself: ``agents:`` patterns in nhi.yaml and identities
tagged as agents. Either way the rows carry the keys in AGENT_COLUMNS (``build_report`` also
accepts any other ``agent_source`` function with the same signature).
"""
from __future__ import annotations

import fnmatch
import json
import sqlite3
from typing import Any

from nhi_cli.reports.model import PRESENT, SEVERITIES, SEVERITY_RANK

AGENT_COLUMNS = ("name", "owner", "acts_for", "source", "providers", "identities", "active_credentials",
                 "findings", "worst_severity", "delegated")
# Tag keys whose truthy value marks an identity as an AI agent.
AGENT_TAG_KEYS = ("agent", "ai-agent", "ai_agent", "nhi:agent", "nhi-agent")
TRUTHY = {"1", "true", "yes", "y", "on"}


def agent_rows(conn: sqlite3.Connection, scan_id: int, config: Any) -> list[dict]:
    """Agent rows from the agents module's tables when present, else from config patterns and tags."""
    has_agents = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'v_agents'").fetchone()
    if has_agents:
        try:
            from nhi_cli.agents.scorecard import agent_rows as scorecard_rows
        except ImportError:
            scorecard_rows = None
        if scorecard_rows is not None:
            return [_from_scorecard(conn, row) for row in scorecard_rows(conn, scan_id)]
    return configured_agent_rows(conn, scan_id, config)


def _from_scorecard(conn: sqlite3.Connection, agent: dict) -> dict:
    card = agent.get("scorecard") or {}
    findings = [f for prop in card.values() for f in prop.get("findings", [])]
    worst = min((f["severity"] for f in findings), key=lambda s: SEVERITY_RANK.get(s, 9), default=None)
    identities = [f"{r[0]}:{r[1]}" for r in conn.execute(
        "SELECT provider, identity_name FROM v_agent_identities WHERE agent_name = ? ORDER BY provider, identity_name",
        (agent["name"],))]
    return {
        "name": agent["name"], "owner": agent.get("owner"), "acts_for": agent.get("acts_for"),
        "source": agent.get("source") or "discovered", "providers": agent.get("providers_list") or [],
        "identities": identities, "active_credentials": int(agent.get("credentials") or 0),
        "findings": len(findings), "worst_severity": worst if worst in SEVERITIES else None,
        "delegated": {"recorded": True, "not_recorded": False}.get(agent.get("delegation")),
        "owner_status": agent.get("owner_status"), "confidence": agent.get("confidence"),
        "scorecard": {prop: bool(card[prop]["pass"]) for prop in card},
        "revoke_command": agent.get("revoke_command"),
    }


def _tagged_agent(tags: dict) -> str | None:
    """The agent name a tag gives (the tag value, or None when the tag only says 'yes')."""
    for key, value in tags.items():
        if str(key).lower() in AGENT_TAG_KEYS and value not in (None, "", False):
            text = str(value).strip()
            return "" if text.lower() in TRUTHY else text
    return None


def configured_agent_rows(conn: sqlite3.Connection, scan_id: int, config: Any) -> list[dict]:
    identities = [dict(r) for r in conn.execute(
        f"SELECT id, provider, name, owner, tags FROM identity i WHERE {PRESENT.format(t='i')}", {"s": scan_id})]
    members: dict[str, dict] = {}
    for agent in getattr(config, "agents", None) or []:
        entry = members.setdefault(agent.name, {"name": agent.name, "owner": agent.owner,
                                                "acts_for": agent.acts_for, "source": "config", "ids": {}})
        for ident in identities:
            if any(fnmatch.fnmatchcase(ident["id"], pat) or fnmatch.fnmatchcase(ident["name"], pat)
                   for pat in agent.identities):
                entry["ids"][ident["id"]] = ident
    for ident in identities:
        try:
            tags = json.loads(ident["tags"] or "{}")
        except ValueError:
            tags = {}
        tagged = _tagged_agent(tags) if isinstance(tags, dict) else None
        if tagged is None:
            continue
        name = tagged or ident["name"]
        if any(ident["id"] in m["ids"] for m in members.values()):
            continue  # already claimed by a configured agent
        entry = members.setdefault(name, {"name": name, "owner": ident["owner"], "acts_for": None,
                                          "source": "tag", "ids": {}})
        entry["ids"][ident["id"]] = ident
    return [_summarise(conn, scan_id, m) for m in sorted(members.values(), key=lambda m: m["name"])]


def _summarise(conn: sqlite3.Connection, scan_id: int, member: dict) -> dict:
    ids = list(member["ids"])
    active = findings = 0
    worst = None
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        marks = ",".join("?" * len(chunk))
        active += conn.execute(
            f"SELECT COUNT(*) FROM credential WHERE identity_id IN ({marks}) AND status = 'active' "
            f"AND first_scan <= ? AND (removed_scan IS NULL OR removed_scan > ?)",
            (*chunk, scan_id, scan_id)).fetchone()[0]
        # findings on the identity itself or on one of its credentials
        for row in conn.execute(
                f"SELECT o.severity FROM finding_occurrence o JOIN finding f ON f.fingerprint = o.fingerprint "
                f"WHERE o.scan_id = ? AND o.suppressed = 0 AND (f.resource_id IN ({marks}) OR f.resource_id IN "
                f"(SELECT id FROM credential WHERE identity_id IN ({marks})))", (scan_id, *chunk, *chunk)):
            findings += 1
            if worst is None or SEVERITY_RANK.get(row[0], 9) < SEVERITY_RANK.get(worst, 9):
                worst = row[0]
    identities = sorted(member["ids"].values(), key=lambda i: (i["provider"], i["name"]))
    return {
        "name": member["name"],
        "owner": member["owner"],
        "acts_for": member["acts_for"],
        "source": member["source"],
        "providers": sorted({i["provider"] for i in identities}),
        "identities": [f"{i['provider']}:{i['name']}" for i in identities],
        "active_credentials": active,
        "findings": findings,
        "worst_severity": worst if worst in SEVERITIES else None,
        "delegated": None,  # unknown until the agents module records who each agent acts for
    }
