"""The "fix first" list: identities and agents ranked by the risk that fixing them removes.

Computed once in the report model (``Report.fix_first``) so every format shows the same order.
An item is an agent (every finding on any identity or credential it holds) or an identity that
belongs to no agent (every finding on it and on its credentials). Its score is the sum of four
parts, each from named factors with fixed points (``POINTS``; the README explains them):

- gain: what an attacker holding it gets. Administrator access (an ``admin`` row of the policy
  evaluator or an admin finding), else a privilege escalation path; broad reach (other
  over-privilege findings); blast radius: the roles it can assume, the principals that can
  assume it, and the files its credentials were copied into.
- exposure: how easy it is to get. Long-lived static credentials, credentials a year (or 90
  days) old, secrets in local configs, trust to ``*`` or to broad outside principals.
- delegation (agents): acting for a person without a recorded chain, or for no person at all.
- findings: the severity of its findings (critical 8, high 4, medium 2, low 1), capped.

Ties are broken by gain, exposure, worst severity, number of findings, agents before
identities, then the item's key, so the order is the same on every run. Each item carries its
reasons, its findings and the one command or change that removes the most risk.

Public API (used by the Jira export and every renderer)::

    from nhi_cli.reports.ranking import fix_first, FixItem
    items = fix_first(report)            # list[FixItem], rank 1 first
    items[0].key                         # "agent:ops-copilot" or "identity:<identity id>"
    items[0].as_dict()                   # the JSON report's fix_first entry
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from nhi_cli.reports.ranking_facts import Facts, identity_names, load_facts
from nhi_cli.severity import worst_first
from nhi_cli.store.interface import DbConnection

# Points per factor. Changing one changes the ranking: keep the README table in step.
POINTS = {
    "admin": 40,  # administrator access (gain)
    "escalation": 30,  # can make itself administrator (gain; only without admin)
    "reach_high": 15,  # another high/critical over-privilege finding (gain)
    "reach_medium": 8,  # a medium one
    "assumes_each": 3,  # per role it can assume (gain, blast radius; cap below)
    "assumed_by_each": 3,  # per principal that can assume or impersonate it (gain, blast radius)
    "data": 10,  # can read a data store: buckets, tables, secrets, keys, mail, files, code (gain)
    "copies_each": 5,  # per file its credentials were seen in (gain, blast radius)
    "blast_cap": 15,  # cap of each blast-radius factor
    "static_each": 5,  # per active credential that never expires or lives > 1 year (exposure)
    "static_cap": 20,
    "old_year": 10,  # an active credential at least 365 days old (exposure)
    "old_90": 5,  # ... at least 90 days old
    "local_config": 15,  # a secret of it sits in a local or repository config (exposure)
    "trust_any": 25,  # trusts '*' / anyone (exposure)
    "trust_broad": 10,  # OIDC without subject, outside account without ExternalId, whole domain
    "no_person": 10,  # agent acting for no person at all (delegation)
    "person_not_recorded": 5,  # agent acting for a person, chain not recorded (delegation)
    "delegation_unknown": 5,
    "findings_cap": 20,
}
SEVERITY_POINTS = {"critical": 8, "high": 4, "medium": 2, "low": 1, "info": 0}
ADMIN_RULES = {"admin_grant", "azure_app_permission_tenant_takeover", "gcp_default_sa_primitive_role"}
ESCALATION_RULES = {"privilege_escalation", "aws_role_chain_to_admin"}
TRUST_RULES = {
    "oidc_trust_without_subject",
    "trust_external_account_without_external_id",
    "gcp_sa_impersonable_by_broad_principal",
}
LOCAL_CONFIG_RULES = {
    "credential_in_local_config",
    "mcp_plaintext_secret_in_user_config",
    "mcp_secret_in_repository_config",
    "credential_shared_across_locations",
}
PARTS = ("gain", "exposure", "delegation", "findings")
UNUSED_DAYS = 90  # a credential unused this long is revoked, not rotated


@dataclass
class FixItem:
    """One entry of the fix-first list."""

    rank: int
    key: str  # "agent:<name>" or "identity:<identity id>": stable across scans
    kind: str  # agent | identity
    name: str
    providers: list[str]
    score: int
    parts: dict[str, int]  # gain, exposure, delegation, findings (they sum to score)
    reasons: list[str]  # why, most important first
    findings: list[dict[str, Any]] = field(repr=False)  # the report's finding dicts, worst first
    worst_severity: str | None = None
    action: dict[str, Any] = field(default_factory=dict)  # kind (revoke|rotate|change), text, command

    def as_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "key": self.key,
            "kind": self.kind,
            "name": self.name,
            "providers": self.providers,
            "score": self.score,
            "parts": self.parts,
            "reasons": self.reasons,
            "worst_severity": self.worst_severity,
            "action": self.action,
            # worst first, named by fingerprint, rule and severity: the report's findings array
            # has each one in full (repeating reasons here doubled the JSON report at 100k)
            "findings": [{k: f[k] for k in ("fingerprint", "rule_id", "severity")} for f in self.findings],
        }


def finding_ranks(items: Sequence[FixItem]) -> dict[str, int]:
    """fingerprint -> rank of the (first) item that lists the finding: how the per-finding
    formats (CSV, SARIF) carry the ranking."""
    ranks: dict[str, int] = {}
    for item in items:
        for f in item.findings:
            ranks.setdefault(f["fingerprint"], item.rank)
    return ranks


class Ranked(Protocol):
    """What holds a ranking: the report model (model.py imports this module, not the reverse)."""

    @property
    def fix_first(self) -> list[FixItem]: ...


def fix_first(report: Ranked) -> list[FixItem]:
    """The report's ranked list (computed once by build_report)."""
    return report.fix_first


def _subjects(f: dict[str, Any], facts: Facts) -> tuple[list[str], str | None]:
    """The agents a finding belongs to, or else the identity it is about."""
    credential_id = None
    if f["resource_type"] == "credential":
        credential_id = f["resource_id"]
    elif isinstance(f.get("evidence"), dict) and f["evidence"].get("credential_id"):
        credential_id = str(f["evidence"]["credential_id"])
    identity_id = f["resource_id"] if f["resource_type"] == "identity" else None
    if credential_id is not None:
        if credential_id in facts.agent_credentials:
            return facts.agent_credentials[credential_id], None
        cred = facts.credentials.get(credential_id)
        identity_id = cred["identity_id"] if cred else identity_id
    if identity_id is None and isinstance(f.get("evidence"), dict):
        identity_id = f["evidence"].get("identity_id")
    if identity_id is not None and identity_id in facts.agent_identities:
        return facts.agent_identities[identity_id], None
    return [], identity_id or f["resource_id"]


class _Score:
    def __init__(self) -> None:
        self.parts = dict.fromkeys(PARTS, 0)
        self.reasons: list[tuple[int, str]] = []

    def add(self, part: str, points: int, reason: str) -> None:
        if points > 0:
            self.parts[part] += points
            self.reasons.append((points, reason))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _score(
    identities: list[str],
    credentials: list[dict[str, Any]],
    findings: list[dict[str, Any]],
    facts: Facts,
    agent: dict[str, Any] | None,
) -> _Score:
    s = _Score()
    rules = {f["rule_id"] for f in findings}
    # the evaluator's rows count unless a suppression accepted that finding on that identity
    admin_ids = [i for i in identities if i in facts.admin and ("admin_grant", i) not in facts.accepted]
    admin_findings = [f for f in findings if f["rule_id"] in ADMIN_RULES]
    if admin_ids or admin_findings:
        where = sorted({f["provider"] for f in admin_findings} | ({"aws"} if admin_ids else set()))
        s.add("gain", POINTS["admin"], f"administrator access ({', '.join(where)})")
    else:
        methods = sum(
            facts.escalations.get(i, 0)
            for i in identities
            if not {("privilege_escalation", i), ("admin_grant", i)} & facts.accepted
        )
        if methods:
            s.add("gain", POINTS["escalation"], f"can escalate to administrator ({_plural(methods, 'method')})")
        elif rules & ESCALATION_RULES:
            s.add("gain", POINTS["escalation"], "reaches administrator access through a role chain")
    reach = [f for f in findings if f["property"] == "scoped" and f["rule_id"] not in ADMIN_RULES | ESCALATION_RULES]
    reach = [f for f in reach if f["rule_id"] not in TRUST_RULES and f["severity"] in ("critical", "high", "medium")]
    if reach:
        top = min(reach, key=lambda f: (worst_first(f["severity"]), f["rule_id"]))
        points = POINTS["reach_high"] if top["severity"] in ("critical", "high") else POINTS["reach_medium"]
        s.add("gain", points, f"broad access ({top['rule_id']})")
    if not (admin_ids or admin_findings):  # administrator access reaches every store already
        stores = sorted({name for i in identities for name in facts.data.get(i, ())})
        if stores:
            shown = ", ".join(stores[:3]) + (f" and {len(stores) - 3} more" if len(stores) > 3 else "")
            s.add("gain", POINTS["data"], f"reaches data ({shown})")
    cap = POINTS["blast_cap"]
    assumes = sum(facts.assumes.get(i, 0) for i in identities)
    s.add("gain", min(cap, assumes * POINTS["assumes_each"]), f"can assume {_plural(assumes, 'role')}")
    # the evaluator's count where it has one (AWS), else the principals the trust policy names
    assumed = sum(max(facts.assumed_by.get(i, 0), facts.trusted_by.get(i, 0)) for i in identities)
    s.add("gain", min(cap, assumed * POINTS["assumed_by_each"]), f"{_plural(assumed, 'principal')} can assume it")
    files = sorted({file for c in credentials for file in facts.copies.get(c["id"], ())})
    s.add("gain", min(cap, len(files) * POINTS["copies_each"]), f"credentials seen in {_plural(len(files), 'file')}")
    active = [c for c in credentials if c["active"] and c["kind"] != "embedded_secret"]
    static = [c for c in active if c["long_lived"]]
    s.add(
        "exposure",
        min(POINTS["static_cap"], len(static) * POINTS["static_each"]),
        f"{_plural(len(static), 'long-lived static credential')}",
    )
    oldest = max((c["age_days"] or 0 for c in active), default=0)
    if oldest >= 365:
        s.add("exposure", POINTS["old_year"], f"a credential {oldest} days old")
    elif oldest >= 90:
        s.add("exposure", POINTS["old_90"], f"a credential {oldest} days old")
    embedded = any(c["kind"] == "embedded_secret" for c in credentials)
    if files or embedded or rules & LOCAL_CONFIG_RULES:
        s.add("exposure", POINTS["local_config"], "secret in a local or repository config")
    if any(i in facts.trust_any for i in identities):
        s.add("exposure", POINTS["trust_any"], "trusts any principal (*)")
    elif rules & TRUST_RULES:
        s.add("exposure", POINTS["trust_broad"], f"broad trust ({sorted(rules & TRUST_RULES)[0]})")
    if agent is not None:
        kind = agent.get("delegation_kind") or "unknown"
        if kind == "no_person":
            s.add("delegation", POINTS["no_person"], "agent acts for no person")
        elif kind == "person_not_recorded":
            s.add(
                "delegation",
                POINTS["person_not_recorded"],
                f"agent acts for {agent.get('acts_for')} but the delegation is not recorded",
            )
        elif kind == "unknown":
            s.add("delegation", POINTS["delegation_unknown"], "whom the agent acts for is unknown")
    weight = sum(SEVERITY_POINTS.get(f["severity"], 0) for f in findings)
    s.add("findings", min(POINTS["findings_cap"], weight), _plural(len(findings), "finding"))
    return s


def _demo_flag(demo: bool) -> str:
    return "--demo " if demo else ""


def _id(row: dict[str, Any]) -> str:
    value: str = row["id"]
    return value


def _action(
    kind: str,
    name: str,
    score: _Score,
    credentials: list[dict[str, Any]],
    findings: list[dict[str, Any]],
    agent: dict[str, Any] | None,
    rules: dict[str, dict[str, Any]],
    demo: bool,
) -> dict[str, Any]:
    """The one command or change that removes the most risk."""
    active = [c for c in credentials if c["active"] and c["kind"] != "embedded_secret"]
    if kind == "agent" and agent is not None:
        # revoking every credential is the fix when there is something to take (gain) or an easy
        # way in (exposure); an agent that only lacks a delegation record or an owner is fixed
        # by recording them, not by a kill switch
        if (score.parts["gain"] or score.parts["exposure"]) and (active or findings):
            return {
                "kind": "revoke",
                "text": f"Revoke every credential of agent {name}, then reissue scoped, short-lived ones "
                "with a recorded delegation.",
                "command": agent.get("revoke_command") or f"nhi revoke {_demo_flag(demo)}--agent {shlex.quote(name)}",
            }
        if agent.get("delegation_kind") in ("no_person", "person_not_recorded", "unknown"):
            return {
                "kind": "change",
                "text": "Record whom it acts for: sessions that carry the person (sts:SourceIdentity, delegated "
                "permissions, impersonation by the person).",
                "command": None,
            }
    risky = [c for c in active if c["long_lived"] or (c["age_days"] or 0) >= 90]
    if risky:
        unused = all((c["unused_days"] or 0) >= UNUSED_DAYS for c in risky)
        command = f"nhi revoke {_demo_flag(demo)}" + " ".join(shlex.quote(c["id"]) for c in sorted(risky, key=_id))
        what = f"{len(risky)} credentials" if len(risky) > 1 else f"credential {risky[0]['id']}"
        if unused:
            return {
                "kind": "revoke",
                "text": f"Revoke the unused {what} of {name}.",
                "command": command,
            }
        return {
            "kind": "rotate",
            "text": f"Rotate the long-lived {what} of {name}: issue a short-lived or new one, move its users "
            "to it, then revoke the old.",
            "command": command,
        }
    if not findings:
        return {}
    top = findings[0]
    remediation = (rules.get(top["rule_id"]) or {}).get("remediation") or top["reason"]
    first = remediation.strip().split("\n\n")[0].replace("\n", " ")
    return {"kind": "change", "text": first, "command": None}


def _item(
    kind: str,
    name: str,
    subject: str,
    providers: list[str],
    score: _Score,
    findings: list[dict[str, Any]],
    creds: list[dict[str, Any]],
    agent: dict[str, Any] | None,
    rules: dict[str, dict[str, Any]],
    demo: bool,
) -> FixItem:
    findings = sorted(findings, key=lambda f: (worst_first(f["severity"]), f["rule_id"], f["resource_id"]))
    return FixItem(
        rank=0,
        key=f"{kind}:{subject}",
        kind=kind,
        name=name,
        providers=list(providers),
        score=sum(score.parts.values()),
        parts=score.parts,
        reasons=[r for _, r in sorted(score.reasons, key=lambda pr: -pr[0])],  # stable: ties keep their order
        findings=findings,
        worst_severity=findings[0]["severity"] if findings else None,
        action=_action(kind, name, score, creds, findings, agent, rules, demo),
    )


def rank(
    conn: DbConnection,
    scan: dict[str, Any],
    findings: list[dict[str, Any]],
    agents: list[dict[str, Any]],
    rules: dict[str, dict[str, Any]],
    suppressed: Sequence[dict[str, Any]] = (),
) -> list[FixItem]:
    """The ranked fix-first list for one scan's open findings and its agents (``suppressed``:
    the scan's suppressed findings, whose risks the evaluator's rows must not bring back)."""
    facts = load_facts(conn, scan["id"], scan["started_at"])
    facts.accepted = {(f["rule_id"], f["resource_id"]) for f in suppressed}
    by_agent: dict[str, list[dict[str, Any]]] = {}
    by_identity: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        agent_names, identity_id = _subjects(f, facts)
        for name in agent_names:
            by_agent.setdefault(name, []).append(f)
        if not agent_names and identity_id is not None:
            by_identity.setdefault(identity_id, []).append(f)
    names = identity_names(conn, by_identity)
    agent_rows = {a["name"]: a for a in agents}
    demo = bool(scan.get("demo"))
    items = []
    for name in sorted(set(by_agent) | set(agent_rows)):
        agent = agent_rows.get(name) or {"name": name}
        member = facts.members.get(name, {"identity": [], "credential": []})
        creds = [c for i in member["identity"] for c in facts.by_identity.get(i, ())]
        creds += [facts.credentials[c] for c in member["credential"] if c in facts.credentials]
        item_findings = by_agent.get(name, [])
        score = _score(member["identity"], creds, item_findings, facts, agent)
        if item_findings or sum(score.parts.values()):
            providers = agent.get("providers") or sorted({f["provider"] for f in item_findings})
            items.append(_item("agent", name, name, providers, score, item_findings, creds, agent, rules, demo))
    for identity_id, item_findings in by_identity.items():
        creds = facts.by_identity.get(identity_id, [])
        score = _score([identity_id], creds, item_findings, facts, None)
        first = item_findings[0]
        name, provider = names.get(identity_id, (first["resource_name"] or identity_id, first["provider"]))
        items.append(_item("identity", name, identity_id, [provider], score, item_findings, creds, None, rules, demo))
    ranked = items
    ranked.sort(
        key=lambda it: (
            -it.score,
            -it.parts["gain"],
            -it.parts["exposure"],
            worst_first(it.worst_severity),
            -len(it.findings),
            0 if it.kind == "agent" else 1,
            it.key,
        )
    )
    for i, item in enumerate(ranked, 1):
        item.rank = i
    return ranked
