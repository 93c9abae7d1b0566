"""The four-property scorecard of an agent, and everything `nhi agents` shows.

Each property passes or fails with the reasons behind it:
- scoped: no open finding about over-broad access on anything the agent holds;
- delegated: every identity records the person it acts for (see delegation.py), no open
  delegation finding;
- auditable: the agent has an owner who is still here, no open auditability finding;
- revocable: nhi can kill every credential the agent holds in one `nhi revoke --agent` run
  (each has a connector that can revoke it; every secret found in a config resolves to one),
  no open finding about long-lived or unrevocable credentials.
"""

from __future__ import annotations

import json
import shlex
from functools import cache
from typing import Any

from nhi_cli.agents.delegation import delegation_kind
from nhi_cli.agents.runtime import chains as runtime_chains
from nhi_cli.agents.timing import step
from nhi_cli.errors import NhiError
from nhi_cli.kit import registry
from nhi_cli.severity import sql_rank
from nhi_cli.store.interface import DbConnection

PROPERTIES = ("scoped", "delegated", "auditable", "revocable")


@cache
def revoke_kinds(provider: str) -> frozenset[str]:
    """The identity and credential kinds the provider's connector can revoke."""
    try:
        return frozenset(registry.load(provider).revoke_kinds)
    except NhiError:
        return frozenset()


def latest_scan(conn: DbConnection) -> int | None:
    latest: int | None = conn.execute("SELECT MAX(id) FROM scan_run").fetchone()[0]
    return latest


def findings_by_agent(
    conn: DbConnection, scan_id: int | None, name: str | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Open, unsuppressed findings of the scan about each agent's identities and credentials
    (a finding on a member, or whose evidence names a member identity), worst first; one
    statement for every agent (or just ``name``)."""
    if scan_id is None:
        return {}
    rows = conn.execute(
        # Each finding names up to two ids (its resource, its evidence's identity_id); they are
        # looked up in agent_member's index (directly, or through the credential's identity), so
        # the cost grows with the findings, not with findings x members.
        f"""WITH open AS (SELECT o.fingerprint, o.severity, o.reason, o.evidence FROM finding_occurrence o
                    WHERE o.scan_id = :s AND o.suppressed = 0),
           keys AS (
               SELECT o.fingerprint, f.resource_id AS id FROM open o JOIN finding f ON f.fingerprint = o.fingerprint
               UNION SELECT o.fingerprint, json_extract(o.evidence, '$.identity_id') FROM open o),
           hits AS (
               SELECT am.agent_name, x.fingerprint FROM keys x JOIN agent_member am ON am.member_id = x.id
               WHERE (:a IS NULL OR am.agent_name = :a) AND (
                     (am.member_type = 'identity'
                      AND EXISTS (SELECT 1 FROM identity i WHERE i.id = x.id AND i.removed_at IS NULL))
                  OR (am.member_type = 'credential'
                      AND EXISTS (SELECT 1 FROM credential k WHERE k.id = x.id AND k.removed_at IS NULL)))
               UNION SELECT am.agent_name, x.fingerprint FROM keys x
               JOIN credential k ON k.id = x.id AND k.removed_at IS NULL
               JOIN agent_member am ON am.member_id = k.identity_id AND am.member_type = 'identity'
               WHERE (:a IS NULL OR am.agent_name = :a))
           SELECT h.agent_name, f.rule_id, f.resource_id, f.resource_type, f.resource_name, f.property,
                  o.severity, o.reason
           FROM hits h JOIN open o ON o.fingerprint = h.fingerprint JOIN finding f ON f.fingerprint = h.fingerprint
           ORDER BY h.agent_name, {sql_rank("o.severity")} DESC, f.rule_id, f.resource_id""",
        {"a": name, "s": scan_id},
    ).fetchall()
    found: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        found.setdefault(r["agent_name"], []).append({k: r[k] for k in r.keys() if k != "agent_name"})
    return found


def revocability_gaps_by_agent(conn: DbConnection, name: str | None = None) -> dict[str, list[str]]:
    """Why each agent (or just ``name``) is not revocable in one run: three statements for all
    agents, each ordered as the former per-agent statements returned their rows."""
    one = "AND {} = :a" if name is not None else ""
    gaps: dict[str, list[str]] = {}
    # v_agent_credentials is a UNION (rows come sorted by every column); the agent filter is not
    # pushed into it, so it is read once for every agent rather than once per agent.
    for row in conn.execute(
        "SELECT c.agent_name, c.credential_id, c.provider, c.kind FROM v_agent_credentials c "
        f"WHERE c.status = 'active' AND c.kind <> 'embedded_secret' {one.format('c.agent_name')} "
        "ORDER BY c.agent_name, c.credential_id, c.identity_id, c.provider, c.kind, c.status, c.via",
        {"a": name},
    ):
        if row["kind"] not in revoke_kinds(row["provider"]):
            gaps.setdefault(row["agent_name"], []).append(
                f"nhi cannot revoke {row['provider']} {row['kind']} {row['credential_id']}"
            )
    for row in conn.execute(
        f"""SELECT m.agent_name, s.attrs FROM v_agent_identities m JOIN credential s ON s.identity_id = m.identity_id
               WHERE s.kind = 'embedded_secret' AND s.removed_at IS NULL {one.format("m.agent_name")}
                 AND NOT EXISTS (SELECT 1 FROM credential_link l WHERE l.sighting_id = s.id)
               ORDER BY m.agent_name, m.identity_id, s.rowid""",
        {"a": name},
    ):
        secret_type = json.loads(row["attrs"] or "{}").get("secret_type", "secret")
        gaps.setdefault(row["agent_name"], []).append(
            f"{secret_type} in a config resolves to no inventory credential: revoke it at its issuer"
        )
    # Identities that act without a key of their own (roles, service principals) must be
    # revocable as identities.
    for row in conn.execute(
        f"""SELECT m.agent_name, m.identity_id, m.provider, m.identity_kind FROM v_agent_identities m
               WHERE m.identity_kind <> 'mcp_server' {one.format("m.agent_name")}
                 AND NOT EXISTS (SELECT 1 FROM credential k WHERE k.identity_id = m.identity_id
                                 AND k.status = 'active' AND k.removed_at IS NULL)
               ORDER BY m.agent_name, m.identity_id""",
        {"a": name},
    ):
        if row["identity_kind"] not in revoke_kinds(row["provider"]):
            gaps.setdefault(row["agent_name"], []).append(
                f"nhi cannot revoke {row['provider']} {row['identity_kind']} {row['identity_id']}"
            )
    return gaps


def revocability_gaps(conn: DbConnection, name: str) -> list[str]:
    return revocability_gaps_by_agent(conn, name).get(name, [])


def scorecard(
    conn: DbConnection, agent: dict[str, Any], findings: list[dict[str, Any]], gaps: list[str] | None = None
) -> dict[str, dict[str, Any]]:
    """Pass or fail per property, with reasons, from the agent's row and its open findings
    (``gaps``: its revocability gaps when the caller read them for every agent at once)."""
    card: dict[str, dict[str, Any]] = {
        p: {"pass": True, "reasons": [], "findings": [f for f in findings if f["property"] == p]} for p in PROPERTIES
    }
    for prop in PROPERTIES:
        for f in card[prop]["findings"]:
            card[prop]["reasons"].append(f"{f['rule_id']}: {f['reason']}")
    if agent["delegation"] != "recorded":
        for statement in json.loads(agent["delegation_detail"] or "[]"):
            if statement["status"] != "recorded":
                card["delegated"]["reasons"].append(f"{statement['subject']}: {statement['detail']}")
        if agent["delegation"] == "unknown" and not card["delegated"]["reasons"]:
            card["delegated"]["reasons"].append("who it acts for cannot be determined")
    if agent["owner_status"] in ("none", "left", "not_in_directory"):
        card["auditable"]["reasons"].append(
            {
                "none": "no owner recorded",
                "left": f"owner {agent['owner']} has left",
                "not_in_directory": f"owner {agent['owner']} is not in the people directory",
            }[agent["owner_status"]]
        )
    card["revocable"]["reasons"].extend(revocability_gaps(conn, agent["name"]) if gaps is None else gaps)
    for prop in PROPERTIES:
        card[prop]["pass"] = not card[prop]["reasons"]
    return card


def owner_confidence(source: str | None) -> str | None:
    """How much to trust an owner: declared (config, a tag) beats inferred (who created a key)
    beats a convention in free text."""
    if not source:
        return None
    if source == "config" or source.startswith("tag:") or source.startswith("label:"):
        return "high"
    if source in ("description", "name"):
        return "low"
    return "medium"  # app_owner, key_owner, key_creator, added_by, github_user, ...


EVIDENCE_ORDER = ("config", "platform_registered", "agent_object", "mcp_server", "tag", "platform_trust")


def best_evidence(conn: DbConnection) -> dict[str, str]:
    """Each agent's most telling piece of evidence, for the list: nhi.yaml, then what the AI
    platform registered ("registered by the platform (Amazon Bedrock Agents)"), then the rest."""
    best: dict[str, tuple[int, str]] = {}
    for name, evidence in conn.execute("SELECT agent_name, evidence FROM agent_member ORDER BY agent_name, member_id"):
        for e in json.loads(evidence or "[]"):
            kind = e.get("kind")
            rank = EVIDENCE_ORDER.index(kind) if kind in EVIDENCE_ORDER else len(EVIDENCE_ORDER)
            rank = rank * 3 + {"strong": 0, "medium": 1}.get(e.get("strength"), 2)
            if name not in best or rank < best[name][0]:
                best[name] = (rank, e.get("detail", ""))
    return {name: detail for name, (_, detail) in best.items()}


def revoke_command(name: str, demo: bool = False) -> str:
    # a demo inventory's agents live in the demo fakes: only `--demo` reaches them
    return f"nhi revoke {'--demo ' if demo else ''}--agent {shlex.quote(name)}"


def _is_demo(conn: DbConnection, scan_id: int | None) -> bool:
    row = conn.execute("SELECT demo FROM scan_run WHERE id = ?", (scan_id,)).fetchone() if scan_id else None
    return bool(row and row[0])


def agent_rows(
    conn: DbConnection, scan_id: int | None = None, timings: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Every agent with its scorecard: the data behind `nhi agents list` and the HTML report."""
    with step(timings, "agents"):
        agents = [dict(r) for r in conn.execute("SELECT * FROM v_agents ORDER BY source, name")]
        scan_id = scan_id if scan_id is not None else latest_scan(conn)
        demo = _is_demo(conn, scan_id)
        providers: dict[str, list[str]] = {}
        for name, provider in conn.execute(
            "SELECT DISTINCT agent_name, provider FROM agent_member ORDER BY agent_name, provider"
        ):
            providers.setdefault(name, []).append(provider)
        credentials = dict(
            conn.execute(
                "SELECT agent_name, COUNT(*) FROM v_agent_credentials "
                "WHERE kind <> 'embedded_secret' GROUP BY agent_name"
            ).fetchall()
        )
        evidence = best_evidence(conn)
    with step(timings, "findings"):
        findings = findings_by_agent(conn, scan_id)
    with step(timings, "revocability"):
        gaps = revocability_gaps_by_agent(conn)
    with step(timings, "scorecards"):
        for agent in agents:
            agent["providers_list"] = providers.get(agent["name"], [])
            agent["credentials"] = credentials.get(agent["name"], 0)
            agent["evidence"] = evidence.get(agent["name"])
            agent["owner_confidence"] = owner_confidence(agent["owner_source"])
            agent["delegation_kind"] = delegation_kind(agent["delegation"], agent["acts_for"])
            agent["scorecard"] = scorecard(conn, agent, findings.get(agent["name"], []), gaps.get(agent["name"], []))
            agent["revoke_command"] = revoke_command(agent["name"], demo)
    return agents


def agent_detail(conn: DbConnection, name: str, scan_id: int | None = None) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM v_agents WHERE name = ?", (name,)).fetchone()
    if row is None:
        return None
    agent = dict(row)
    scan_id = scan_id if scan_id is not None else latest_scan(conn)
    agent["delegation_detail"] = json.loads(agent["delegation_detail"] or "[]")
    agent["owner_confidence"] = owner_confidence(agent["owner_source"])
    agent["delegation_kind"] = delegation_kind(agent["delegation"], agent["acts_for"])
    # What the agent can call, as its platform registered it (action groups, gateway targets).
    agent["reach"] = [
        item
        for (attrs,) in conn.execute(
            "SELECT i.attrs FROM agent_member m JOIN identity i ON i.id = m.member_id "
            "WHERE m.agent_name = ? AND m.member_type = 'identity' ORDER BY i.id",
            (name,),
        )
        for item in (json.loads(attrs or "{}") or {}).get("reach", [])
    ]
    agent["identities"] = [
        {**dict(r), "evidence": json.loads(r["evidence"])}
        for r in conn.execute(
            "SELECT identity_id, provider, identity_kind, identity_name, confidence, evidence "
            "FROM v_agent_identities WHERE agent_name = ? ORDER BY provider, identity_id",
            (name,),
        )
    ]
    credentials = []
    for r in conn.execute(
        "SELECT c.credential_id, c.identity_id, c.provider, c.kind, c.status, c.via, "
        "v.age_days, v.days_since_used, v.hint FROM v_agent_credentials c "
        "LEFT JOIN v_credentials v ON v.id = c.credential_id WHERE c.agent_name = ? "
        "ORDER BY c.provider, c.credential_id",
        (name,),
    ):
        cred = dict(r)
        cred["locations"] = [
            dict(loc)
            for loc in conn.execute(
                """SELECT l.location, l.context, link.method FROM credential_link link
               JOIN credential_location l ON l.credential_id = link.sighting_id
               WHERE link.target_id = ?
               UNION SELECT location, context, NULL FROM credential_location WHERE credential_id = ?""",
                (cred["credential_id"], cred["credential_id"]),
            )
        ]
        credentials.append(cred)
    agent["credentials"] = credentials
    # pod -> service account -> cloud role: what the agent runs as, hop by hop
    names = {i["identity_id"]: i for i in agent["identities"]}
    agent["chains"] = [
        [
            {
                **hop,
                "provider": names[hop["id"]]["provider"],
                "kind": names[hop["id"]]["identity_kind"],
                "name": names[hop["id"]]["identity_name"],
            }
            for hop in chain
        ]
        for chain in runtime_chains(conn, set(names))
    ]
    agent["findings"] = findings_by_agent(conn, scan_id, name).get(name, [])
    admins = {f["resource_id"] for f in agent["findings"] if f["rule_id"] == "admin_grant"}
    for chain in agent["chains"]:
        for hop in chain:
            hop["admin"] = hop["id"] in admins
    agent["scorecard"] = scorecard(conn, dict(row), agent["findings"])
    agent["revoke_command"] = revoke_command(name, _is_demo(conn, scan_id))
    return agent
