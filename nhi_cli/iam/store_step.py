"""Evaluate every AWS principal of the inventory and store what it can effectively do in
``effective_permission`` (read by rules through ``v_effective_permissions``).

Runs inside the scan's transaction after loading (and in the rule-test harness after a case's
rows are loaded), over the whole AWS inventory rather than one scope at a time, because role
trusts and assume-role chains cross accounts. Reads the stored grants (one row per action and
resource of each statement, which evaluate exactly as the statements do): the policy documents
each principal holds (``policy_attachment`` -> ``policy_grant``, each document's statements built
once and shared by its holders) and per-principal ``grant`` rows; the trusts; and the
permissions boundaries (``source_type = 'boundary'``, kept out of ``v_grants``) and the SCP
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


class _Holdings:
    """Who holds which statements, as load_estate reads them: identity policies per principal,
    permissions boundaries per principal, SCP levels per account."""

    def __init__(self, estate: Estate, principals: list[str]):
        self.estate = estate
        self.statements: dict[str, list[Statement]] = {p: [] for p in principals}
        self.boundaries: dict[str, list[Statement]] = {}
        self.scp_levels: dict[str, dict[int, list[Statement]]] = {}  # account -> level -> statements

    def hold(
        self, identity_id: str, scope: str, source: str, source_type: str, held: list[tuple[Statement, bool]]
    ) -> None:
        """``identity_id`` holds ``held`` (statement, is an admin-flagged Allow) from ``source``."""
        if not held:
            return
        if source_type == "scp":  # identity_id 'scp:<level>:<target>' (connectors/aws/scps.py)
            level = int(identity_id.split(":")[1])
            self.scp_levels.setdefault(scope, {}).setdefault(level, []).extend(st for st, _ in held)
            return
        if identity_id not in self.statements:
            return
        if source_type == "boundary":
            self.boundaries.setdefault(identity_id, []).extend(st for st, _ in held)
            return
        self.statements[identity_id].extend(st for st, _ in held)
        if any(flagged for _, flagged in held):
            self.estate.admin_flagged.add(identity_id)
        arn = _policy_arn(source)
        if arn.startswith("arn:") and ":policy/" in arn and ":iam::aws:policy/" not in arn:
            self.estate.customer_policies.setdefault(arn.split(":")[4], set()).add(arn)


def _read_grants(conn: DbConnection, holdings: _Holdings) -> None:
    """Per-principal grant rows ("grant": rule test cases, inventories written before policy
    documents), then policy documents through their attachments: a document's statements are
    built once per source and shared by every holder (their PolicySets then share one index)."""
    shared: dict[tuple[Any, ...], Statement | None] = {}  # one object per distinct row

    def statement(effect: str, action: str, resource: str, condition: Any, source: str) -> Statement | None:
        key = (effect, action, resource, condition, source)
        if key not in shared:
            shared[key] = statement_from_grant(effect, action, resource, condition, source)
        return shared[key]

    for identity_id, scope, effect, action, resource, condition, source, source_type, flagged in _tuples(
        conn,
        "SELECT identity_id, scope, effect, action, resource, condition, source, source_type, "
        "(is_admin = 1 OR is_full_wildcard = 1) FROM \"grant\" WHERE provider = 'aws' ORDER BY id",
    ):
        st = statement(effect, action, resource, condition, source)
        if st is not None:
            holdings.hold(identity_id, scope, source, source_type, [(st, bool(flagged) and effect == "Allow")])
    rows: dict[tuple[str, str], list[tuple[Any, ...]]] = {}  # (scope, document) -> its grant rows
    for scope, document, effect, action, resource, condition, flagged in _tuples(
        conn,
        "SELECT scope, document_id, effect, action, resource, condition, (is_admin = 1 OR is_full_wildcard = 1) "
        "FROM policy_grant WHERE provider = 'aws' ORDER BY id",
    ):
        rows.setdefault((scope, document), []).append((effect, action, resource, condition, flagged))
    built: dict[tuple[str, str, str], list[tuple[Statement, bool]]] = {}
    for identity_id, scope, document, source, source_type in _tuples(
        conn,
        "SELECT identity_id, scope, document_id, source, source_type FROM policy_attachment "
        "WHERE provider = 'aws' ORDER BY id",
    ):
        key = (scope, document, source)
        held = built.get(key)
        if held is None:
            held = built[key] = [
                (st, bool(flagged) and effect == "Allow")
                for effect, action, resource, condition, flagged in rows.get((scope, document), [])
                if (st := statement(effect, action, resource, condition, source)) is not None
            ]
        holdings.hold(identity_id, scope, source, source_type, held)


def load_estate(conn: DbConnection) -> Estate:
    estate = Estate()
    identities = conn.execute(
        "SELECT id, scope, kind, is_platform, attrs FROM identity "
        "WHERE provider = 'aws' AND removed_at IS NULL AND kind IN ('iam_user', 'iam_role')"
    ).fetchall()
    holdings = _Holdings(estate, [i[0] for i in identities])
    _read_grants(conn, holdings)
    statements, boundaries, scp_levels = holdings.statements, holdings.boundaries, holdings.scp_levels
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
