"""The revocation plan: what will happen to each target, in order, and what it will break.

Each target's steps come from the connector that owns it (``plan_revoke``: no provider call);
the blast radius comes from the inventory only: when it was last used, what it can do
(v_grants: admin and wildcard flags, services), who can assume it (v_trusts), and what else
uses the same credential (credential locations, and other credentials with the same key id,
hint or salted hash). A target no connector can revoke gets one ``unsupported`` step, recorded
as skipped, so the operator sees that something stays alive.

Plan files (``--plan-out`` / ``--plan``) are written and checked by planfile.py.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from nhi_cli.agents.lookup import agents_of_identity
from nhi_cli.config import Config
from nhi_cli.errors import NhiError
from nhi_cli.kit.connector import RevokeStep
from nhi_cli.revoke.context import Connectors
from nhi_cli.revoke.resolve import Target, expand_sightings
from nhi_cli.store.interface import DbConnection

PLAN_FORMAT = "nhi-revoke-plan/2"
UNSUPPORTED = "unsupported"


@dataclass(frozen=True)
class RevokeTarget:
    """What one plan item acts on, as the plan shows it (the inventory row it was resolved
    from stays in resolve.Target)."""

    type: str  # identity or credential
    id: str
    provider: str
    scope: str
    kind: str | None = None
    name: str | None = None
    given: str | None = None  # what the operator typed ("agent:ops-copilot" for --agent members)

    @classmethod
    def of(cls, target: Target) -> RevokeTarget:
        info = target.for_connector()
        return cls(
            type=info["type"],
            id=info["id"],
            provider=info["provider"],
            scope=info["scope"],
            kind=info["kind"],
            name=info["name"],
            given=target.given,
        )


@dataclass
class PlanItem:
    target: RevokeTarget
    blast: dict[str, Any]
    steps: list[RevokeStep]
    protected_by: str | None = None  # the `protected:` pattern that matched


@dataclass
class Plan:
    created_at: str
    operator: str
    reason: str | None
    targets: list[str]  # as the operator gave them
    options: dict[str, Any]
    items: list[PlanItem] = field(default_factory=list)
    demo: bool = False
    notes: list[str] = field(default_factory=list)  # what nhi leaves for a person
    operator_source: str = ""  # where the operator name came from: --operator, env USER, login
    # what a plan file is bound to (planfile.py): this inventory, the scan it was made from,
    # an expiry, and its id, so it runs once
    plan_id: str = field(default_factory=lambda: secrets.token_hex(12))
    inventory_id: str | None = None
    scan_id: int | None = None
    expires_at: str | None = None

    @property
    def steps(self) -> list[RevokeStep]:
        return [s for item in self.items for s in item.steps]

    def to_dict(self) -> dict[str, Any]:
        return {"format": PLAN_FORMAT, **asdict(self)}


def protected_pattern(config: Config, target: Target) -> str | None:
    """The `protected:` glob matching this target's identity (id or name), or its credential."""
    identity = target.row if target.type == "identity" else (target.identity or {})
    values = [identity.get("id"), identity.get("name"), target.id]
    return next((p for p in config.protected for v in values if v and fnmatchcase(v, p)), None)


def _rows(conn: DbConnection, sql: str, *args: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(sql, args).fetchall()]


def _linked_sightings(conn: DbConnection, credential_id: str) -> list[dict[str, Any]]:
    """Sightings the agents pass linked to this credential (a key found in an MCP config)."""
    return _rows(
        conn,
        "SELECT k.id, k.provider, k.identity_name, k.identity_id FROM credential_link l "
        "JOIN v_credentials k ON k.id = l.sighting_id WHERE l.target_id = ?",
        credential_id,
    )


def blast_radius(conn: DbConnection, config: Config, target: Target) -> dict[str, Any]:
    """What the inventory says this target can reach and who else depends on it."""
    identity_id = target.identity_id
    identity = target.row if target.type == "identity" else (target.identity or {})
    creds = target.credentials if target.type == "identity" else [target.row]
    grants = _rows(
        conn,
        "SELECT action, service, source, is_admin, is_full_wildcard, is_sensitive "
        "FROM v_grants WHERE identity_id = ? AND effect = 'Allow'",
        identity_id,
    )
    trusts = _rows(conn, "SELECT principal_type, principal FROM v_trusts WHERE identity_id = ?", identity_id)
    last_used = max(
        [x for x in [identity.get("last_used_at")] + [c.get("last_used_at") for c in creds] if x], default=None
    )
    shared: list[str] = []
    for cred in creds:
        for loc in _rows(conn, "SELECT location, context FROM credential_location WHERE credential_id = ?", cred["id"]):
            shared.append(
                f"{cred['id']} found in {loc['location']}" + (f" ({loc['context']})" if loc["context"] else "")
            )
        same = _rows(
            conn,
            "SELECT id, provider, identity_name, identity_id FROM v_credentials WHERE id != ? AND ("
            "(key_id IS NOT NULL AND key_id = ?) OR (secret_hash IS NOT NULL AND secret_hash = ?) "
            "OR (hint IS NOT NULL AND hint = ?))",
            cred["id"],
            cred.get("key_id"),
            cred.get("secret_hash"),
            cred.get("hint"),
        )
        same += [r for r in _linked_sightings(conn, cred["id"]) if r["id"] not in {x["id"] for x in same}]
        for s in same:
            places = [
                loc["location"]
                for loc in _rows(
                    conn, "SELECT DISTINCT location FROM credential_location WHERE credential_id = ?", s["id"]
                )
            ]
            shared.append(
                f"{cred['id']} also seen as {s['provider']} credential {s['id']} "
                f"({s['identity_name'] or s['identity_id']})" + (f" in {', '.join(places)}" if places else "")
            )
    return {
        "last_used_at": last_used,
        "active_credentials": sum(1 for c in creds if c.get("status") == "active"),
        "credentials": [c["id"] for c in creds],
        "admin": any(g["is_admin"] or g["is_full_wildcard"] for g in grants),
        "grants": len(grants),
        "services": sorted({g["service"] for g in grants if g["service"]})[:12],
        "sensitive": sorted({g["service"] for g in grants if g["is_sensitive"] and g["service"]})[:12],
        "policies": sorted({g["source"] for g in grants})[:8],
        "trusted_by": [f"{t['principal_type']}:{t['principal']}" for t in trusts][:8],
        "shared": shared[:12],
        "agents": agents_of_identity(conn, config, identity_id, identity.get("name")),
        "owner": identity.get("owner"),
    }


def revocable(connectors: Connectors, provider: str) -> bool:
    """The provider's connector loads and declares at least one revocable kind."""
    try:
        connector, _ = connectors.get(provider)
    except NhiError:
        return True  # planned as an `unsupported` step, so the operator sees the reason
    return bool(getattr(connector, "revoke_kinds", None))


def plan_item(
    conn: DbConnection, config: Config, connectors: Connectors, target: Target, options: dict[str, Any]
) -> PlanItem:
    return PlanItem(
        target=RevokeTarget.of(target),
        blast=blast_radius(conn, config, target),
        steps=_steps(connectors, target, target.for_connector(), options),
        protected_by=protected_pattern(config, target),
    )


def build_plan(
    conn: DbConnection,
    config: Config,
    connectors: Connectors,
    targets: list[Target],
    *,
    given: list[str],
    options: dict[str, Any],
    reason: str | None,
    operator: str,
    created_at: str,
    demo: bool,
    **binding: Any,
) -> Plan:
    targets, notes = expand_sightings(conn, targets, lambda provider: revocable(connectors, provider))
    plan = Plan(
        created_at=created_at,
        operator=operator,
        reason=reason,
        targets=given,
        options=options,
        demo=demo,
        notes=notes,
        **binding,
    )
    plan.items = [plan_item(conn, config, connectors, target, options) for target in targets]
    return plan


def step_from_row(row: dict[str, Any]) -> RevokeStep:
    return RevokeStep(
        provider=row["provider"],
        scope=row["scope"],
        target_type=row["target_type"],
        target_id=row["target_id"],
        action=row["action"],
        description=row.get("description") or "",
        reversible=bool(row["reversible"]),
        params=row.get("params") or {},
        restore_data=row.get("restore_data"),
    )


def restore_plan(
    revocation: dict[str, Any], *, reason: str | None, operator: str, operator_source: str, created_at: str, demo: bool
) -> tuple[Plan, list[dict[str, Any]]]:
    """The plan that undoes a revocation (an attempt read from the log): its completed
    reversible steps, last first. Returns (plan, the completed steps that cannot be undone)."""
    done = [r for r in revocation["steps"] if r["status"] == "done"]
    irreversible = [r for r in done if not r["reversible"]]
    items: dict[tuple[str, str], PlanItem] = {}  # (target type, target id)
    for step in (step_from_row(r) for r in reversed(done) if r["reversible"]):
        key = (step.target_type, step.target_id)
        items.setdefault(
            key,
            PlanItem(
                target=RevokeTarget(type=step.target_type, id=step.target_id, provider=step.provider, scope=step.scope),
                blast={},
                steps=[],
            ),
        )
        items[key].steps.append(step)
    plan = Plan(
        created_at=created_at,
        operator=operator,
        reason=reason,
        targets=[f"revocation:{revocation['id']}"],
        options={"restores": revocation["id"], "not_undone": [f"{r['action']} {r['target_id']}" for r in irreversible]},
        items=list(items.values()),
        demo=demo,
        operator_source=operator_source,
    )
    return plan, irreversible


def _unsupported(target: Target, why: str) -> RevokeStep:
    return RevokeStep(
        provider=target.provider,
        scope=target.row["scope"],
        target_type=target.type,
        target_id=target.id,
        action=UNSUPPORTED,
        description=why,
        reversible=False,
    )


def _steps(connectors: Connectors, target: Target, info: dict[str, Any], options: dict[str, Any]) -> list[RevokeStep]:
    try:
        connector, ctx = connectors.get(target.provider)
    except NhiError as exc:
        return [_unsupported(target, f"nhi cannot revoke this: {exc.message}")]
    kinds = getattr(connector, "revoke_kinds", {}) or {}
    if kinds and info["kind"] not in kinds:
        return [
            _unsupported(
                target,
                f"the {target.provider} connector cannot revoke a {info['kind']} "
                f"(it revokes: {', '.join(sorted(kinds))}); revoke it by hand",
            )
        ]
    try:
        steps = connector.plan_revoke(ctx, info, options)
    except NotImplementedError as exc:
        return [
            _unsupported(
                target, f"{exc or 'the ' + target.provider + ' connector cannot revoke yet'}; revoke it by hand"
            )
        ]
    except NhiError as exc:  # the connector refuses this target (e.g. a GitHub App)
        return [_unsupported(target, f"{exc.message}; revoke it by hand")]
    return steps or [_unsupported(target, "the connector planned no step")]
