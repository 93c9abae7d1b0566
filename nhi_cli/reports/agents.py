"""The agents section of a report: which identities are AI agents, and how they fare.

Agents come from the agents module (``nhi_cli.agents.scorecard.agent_rows``: classification
with evidence, delegation and the four-property scorecard, stored in the ``agent`` tables at
each scan; migration 0010 gives every inventory those tables). This module only lays each
agent out as a report row.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from nhi_cli.agents.delegation import delegation_kind
from nhi_cli.agents.scorecard import agent_rows as scorecard_rows
from nhi_cli.severity import SEVERITIES, worst_first
from nhi_cli.store.interface import DbConnection


def agent_rows(conn: DbConnection, scan_id: int) -> list[dict[str, Any]]:
    """One report row per agent, with its scorecard reduced to pass/fail per property."""
    identities: dict[str, list[str]] = defaultdict(list)
    for name, provider, identity_name in conn.execute(
        "SELECT agent_name, provider, identity_name FROM v_agent_identities "
        "ORDER BY agent_name, provider, identity_name"
    ):
        identities[name].append(f"{provider}:{identity_name}")
    return [_report_row(agent, identities[agent["name"]]) for agent in scorecard_rows(conn, scan_id)]


def _report_row(agent: dict[str, Any], identities: list[str]) -> dict[str, Any]:
    card = agent.get("scorecard") or {}
    findings = [f for prop in card.values() for f in prop.get("findings", [])]
    worst = min((f["severity"] for f in findings), key=worst_first, default=None)
    delegated = {"recorded": True, "not_recorded": False}.get(agent.get("delegation") or "")  # None: unknown
    return {
        "name": agent["name"],
        "owner": agent.get("owner"),
        "acts_for": agent.get("acts_for"),
        "source": agent.get("source") or "discovered",
        "providers": agent.get("providers_list") or [],
        "identities": identities,
        "active_credentials": int(agent.get("credentials") or 0),
        "findings": len(findings),
        "worst_severity": worst if worst in SEVERITIES else None,
        "delegated": delegated,
        # recorded (pass), person_not_recorded or no_person (fail), unknown
        "delegation_kind": agent.get("delegation_kind")
        or delegation_kind(agent.get("delegation"), agent.get("acts_for")),
        "owner_status": agent.get("owner_status"),
        "confidence": agent.get("confidence"),
        "scorecard": {prop: bool(card[prop]["pass"]) for prop in card},
        "revoke_command": agent.get("revoke_command"),
    }
