"""Evaluate every AWS principal of the inventory and store what it can effectively do in
``effective_permission`` (read by rules through ``v_effective_permissions``).

Runs inside the scan's transaction after loading (and in the rule-test harness after a case's
rows are loaded), over the whole AWS inventory rather than one scope at a time, because role
trusts and assume-role chains cross accounts. Reads the stored grant rows (one per action and
resource of each statement, which evaluate exactly as the statements do), the trusts, and the
permissions-boundary rows (``source_type = 'boundary'``, kept out of ``v_grants``) and the SCP
levels above each member account (``source_type = 'scp'``, connectors/aws/scps.py).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from nhi_cli.store.interface import DbConnection

from .escalation import Evaluator
from .estate import Estate, Role
from .evaluate import PolicySet, Principal
from .policy import Statement, statement_from_grant

COLUMNS = (
    "identity_id",
    "provider",
    "scope",
    "kind",
    "method",
    "family",
    "target",
    "targets",
    "actions",
    "statements",
    "confidence",
    "detail",
)


def _attrs(text: str | None) -> dict[str, Any]:
    return json.loads(text) if text else {}


def _policy_arn(source: str) -> str:
    """``group:ops/arn:aws:iam::1:policy/x`` -> ``arn:aws:iam::1:policy/x``."""
    if source.startswith("group:") and "/" in source:
        return source.split("/", 1)[1]
    return source


def _tuples(conn: DbConnection, sql: str) -> Any:
    """Rows as plain tuples: the grant table is the largest read, and named rows (sqlite3.Row,
    the PostgreSQL store's Row) cost more than the evaluator does with them."""
    cursor = conn.cursor()
    cursor.row_factory = None
    return cursor.execute(sql)


def load_estate(conn: DbConnection) -> Estate:
    estate = Estate()
    identities = conn.execute(
        "SELECT id, scope, kind, is_platform, attrs FROM identity "
        "WHERE provider = 'aws' AND removed_at IS NULL AND kind IN ('iam_user', 'iam_role')"
    ).fetchall()
    statements: dict[str, list[Statement]] = {i[0]: [] for i in identities}
    boundaries: dict[str, list[Statement]] = {}
    shared: dict[tuple[Any, ...], Statement | None] = {}  # one object per distinct row: holders of a policy share them
    scp_levels: dict[str, dict[int, list[Statement]]] = {}  # account -> level -> statements
    for identity_id, scope, effect, action, resource, condition, source, source_type, flagged in _tuples(
        conn,
        "SELECT identity_id, scope, effect, action, resource, condition, source, source_type, "
        "(is_admin = 1 OR is_full_wildcard = 1) FROM \"grant\" WHERE provider = 'aws'",
    ):
        if identity_id not in statements and source_type != "scp":
            continue
        key = (effect, action, resource, condition, source)
        if key not in shared:
            shared[key] = statement_from_grant(effect, action, resource, condition, source)
        st = shared[key]
        if st is None:
            continue
        if source_type == "scp":  # identity_id 'scp:<level>:<target>' (connectors/aws/scps.py)
            level = int(identity_id.split(":")[1])
            scp_levels.setdefault(scope, {}).setdefault(level, []).append(st)
            continue
        if source_type == "boundary":
            boundaries.setdefault(identity_id, []).append(st)
            continue
        statements[identity_id].append(st)
        if flagged and effect == "Allow":
            estate.admin_flagged.add(identity_id)
        arn = _policy_arn(source)
        if arn.startswith("arn:") and ":policy/" in arn and ":iam::aws:policy/" not in arn:
            estate.customer_policies.setdefault(arn.split(":")[4], set()).add(arn)
    # one list of SCP levels per account, root first, shared by its principals
    scps = {account: [PolicySet(levels[level]) for level in sorted(levels)] for account, levels in scp_levels.items()}
    sets: dict[tuple[int | str, ...], PolicySet] = {}  # statement ids; a boundary's start with "boundary"
    for identity_id, scope, kind, platform, attrs_text in identities:
        attrs = _attrs(attrs_text)
        own = statements[identity_id]
        signature = tuple(id(s) for s in own)
        policy_set = sets.get(signature)
        if policy_set is None:  # principals holding the same policies share one index
            policy_set = sets[signature] = PolicySet(own)
        boundary = None
        if identity_id in boundaries:
            bound = tuple(id(s) for s in boundaries[identity_id])
            boundary = sets.get(("boundary", *bound))
            if boundary is None:
                boundary = sets[("boundary", *bound)] = PolicySet(boundaries[identity_id])
        # SCPs do not restrict service-linked roles (nor the management account: it has no rows)
        caps = [] if platform else scps.get(scope, [])
        estate.principals[identity_id] = Principal(identity_id, scope, policy_set, boundary, caps)
        if kind == "iam_user":
            estate.users.setdefault(scope, []).append(identity_id)
            for group in attrs.get("groups") or []:
                estate.groups.setdefault(scope, set()).add(f"arn:aws:iam::{scope}:group/{group}")
        else:
            estate.roles[identity_id] = Role(
                identity_id, scope, platform=bool(platform), instance_profile=bool(attrs.get("instance_profiles"))
            )
    for role_id, principal_type, principal, action, conditions, account in conn.execute(
        "SELECT identity_id, principal_type, principal, action, conditions, principal_account "
        "FROM trust WHERE provider = 'aws'"
    ):
        role = estate.roles.get(role_id)
        if role is None:
            continue
        if principal_type == "service":
            role.services.add(principal)
        elif principal_type in ("any", "account", "principal"):
            role.trusts.append(
                {
                    "principal_type": principal_type,
                    "principal": principal,
                    "action": action,
                    "conditions": json.loads(conditions) if conditions else None,
                    "principal_account": account,
                }
            )
    return estate


def _now(conn: DbConnection) -> datetime:
    text = conn.execute("SELECT now FROM v_clock").fetchone()[0]
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def refresh(conn: DbConnection, now: datetime | None = None) -> int:
    """Recompute every AWS principal's effective permissions; returns the rows written."""
    estate = load_estate(conn)
    evaluator = Evaluator(estate, now or _now(conn))
    rows = []
    for arn in sorted(estate.principals):
        for r in evaluator.evaluate(arn):
            rows.append(
                (
                    r.identity_id,
                    "aws",
                    r.scope,
                    r.kind,
                    r.method,
                    r.family,
                    r.target,
                    r.targets,
                    r.actions,
                    r.statements,
                    r.confidence,
                    r.detail,
                )
            )
    conn.execute("DELETE FROM effective_permission WHERE provider = 'aws'")
    conn.executemany(
        f"INSERT INTO effective_permission ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})", rows
    )
    return len(rows)
