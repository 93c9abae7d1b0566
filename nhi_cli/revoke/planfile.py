"""Reviewed plan files (`nhi revoke --plan-out FILE`, then `nhi revoke --plan FILE`).

A plan file is trusted for nothing it says about the inventory. What it may carry is the
operator's decision (which targets, which options, the reason) and its signature proves only
that nhi wrote it with this inventory's revoke key (keys.py, a file no SQL can read). Before
anything runs, ``--plan``:

- refuses a plan written for another inventory, from an older scan than the latest one, past
  its expiry (``PLAN_TTL`` after it was written), or already executed (the log is checked in
  the same transaction that records the new attempt: a plan runs once);
- re-resolves every target by its id in the current inventory, re-checks ``protected:`` from
  the current nhi.yaml (never the plan's word), and plans each target again: every step, its
  parameters and the description the reviewer read must equal what nhi plans now.

Each refusal is one line and exit 2; nothing is changed.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from nhi_cli.config import Config
from nhi_cli.errors import ExitCode, NhiError
from nhi_cli.files import write_private  # owner-only, like the inventory
from nhi_cli.kit.connector import RevokeStep
from nhi_cli.model import iso
from nhi_cli.revoke.context import Connectors
from nhi_cli.revoke.keys import mac, same
from nhi_cli.revoke.plan import PLAN_FORMAT, UNSUPPORTED, Plan, PlanItem, RevokeTarget, plan_item
from nhi_cli.revoke.resolve import target_by_id
from nhi_cli.store.interface import DbConnection

PLAN_TTL = timedelta(hours=1)


def inventory_id(conn: DbConnection) -> str:
    """A stable id for this inventory without storing one: its salt (secret, random per
    inventory) and the moment it was created, hashed; neither can be recovered from it."""
    salt = conn.execute("SELECT value FROM meta WHERE key = 'secret_salt'").fetchone()
    created = conn.execute("SELECT applied_at FROM schema_migration ORDER BY version LIMIT 1").fetchone()
    text = f"nhi-inventory\0{salt[0] if salt else ''}\0{created[0] if created else ''}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _parse_time(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else None


def _canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode()


def sign(data: dict[str, Any], key: bytes) -> str:
    return mac(key, _canonical(data))


def write_plan(plan: Plan, path: Path, key: bytes) -> None:
    data = plan.to_dict()
    document = {"plan": data, "signature": sign(data, key)}
    try:
        write_private(Path(path), json.dumps(document, indent=2, default=str) + "\n")
    except OSError as exc:
        raise NhiError(f"cannot write the plan to {path}: {exc.strerror}", ExitCode.USAGE) from exc


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _StepModel(_Strict):
    provider: str
    scope: str
    target_type: str
    target_id: str
    action: str
    description: str
    reversible: bool
    params: dict[str, Any]
    restore_data: None = None  # a plan never carries restore data: only the log does


class _TargetModel(_Strict):
    type: str
    id: str
    provider: str
    scope: str
    kind: str | None = None
    name: str | None = None
    given: str | None = None


class _ItemModel(_Strict):
    target: _TargetModel
    blast: dict[str, Any]
    steps: list[_StepModel]
    protected_by: str | None = None


class _OptionsModel(_Strict):
    delete: bool = False
    block_assume: bool = False


class _PlanModel(_Strict):
    format: str
    created_at: str
    operator: str
    operator_source: str = ""
    reason: str | None
    targets: list[str]
    options: _OptionsModel
    items: list[_ItemModel]
    demo: bool = False
    notes: list[str] = []
    plan_id: str
    inventory_id: str
    scan_id: int | None
    expires_at: str


def refusal(path: Path, why: str) -> NhiError:
    return NhiError(f"refusing plan {path}: {why}; nothing was changed", ExitCode.USAGE)


def read_plan(path: Path, key: bytes, *, inventory: str, scan_id: int | None, now: datetime) -> Plan:
    """The plan in ``path`` if nhi signed it with ``key`` for this inventory and scan and it has
    not expired; refuses (exit 2) otherwise. Targets are checked by ``recheck``."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise refusal(path, "the file does not exist") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise refusal(path, f"not a JSON plan file ({type(exc).__name__})") from None
    if (
        not isinstance(document, dict)
        or set(document) != {"plan", "signature"}
        or not isinstance(document["plan"], dict)
    ):
        raise refusal(path, "not an nhi plan file (expected {plan, signature})")
    data, signature = document["plan"], document["signature"]
    if data.get("format") != PLAN_FORMAT:
        raise refusal(path, f"unknown plan format {data.get('format')!r} (this nhi writes {PLAN_FORMAT})")
    # Said before the signature check (which fails too) because it tells the operator why.
    if data.get("inventory_id") != inventory:
        raise refusal(
            path, f"it was written for another inventory ({data.get('inventory_id')}, this one is {inventory})"
        )
    if not same(signature, sign(data, key)):
        raise refusal(
            path,
            "its signature does not match: it was modified after it was written, or written with another revoke key",
        )
    try:
        model = _PlanModel.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise refusal(path, f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None
    expires = _parse_time(model.expires_at)
    if expires is None or now >= expires:
        raise refusal(
            path,
            f"it expired at {model.expires_at} (a plan is valid for "
            f"{int(PLAN_TTL.total_seconds() // 60)} minutes); make a new one",
        )
    if model.scan_id != scan_id:
        raise refusal(
            path,
            f"it was made from scan {model.scan_id} and the inventory has changed since "
            f"(latest scan {scan_id}); make a new one",
        )
    items = [
        PlanItem(
            target=RevokeTarget(**i.target.model_dump()),
            blast=i.blast,
            steps=[RevokeStep(**s.model_dump()) for s in i.steps],
            protected_by=i.protected_by,
        )
        for i in model.items
    ]
    return Plan(
        created_at=model.created_at,
        operator=model.operator,
        operator_source=model.operator_source,
        reason=model.reason,
        targets=model.targets,
        options=model.options.model_dump(),
        items=items,
        demo=model.demo,
        notes=model.notes,
        plan_id=model.plan_id,
        inventory_id=model.inventory_id,
        scan_id=model.scan_id,
        expires_at=model.expires_at,
    )


def binding(conn: DbConnection, now: datetime) -> dict[str, Any]:
    """What a new plan is bound to (Plan fields)."""
    scan = conn.execute("SELECT MAX(id) FROM scan_run").fetchone()[0]
    return {"inventory_id": inventory_id(conn), "scan_id": scan, "expires_at": iso(now + PLAN_TTL)}


def _step_key(step: RevokeStep) -> bytes:
    return _canonical(
        [
            step.provider,
            step.scope,
            step.target_type,
            step.target_id,
            step.action,
            step.description,
            step.reversible,
            step.params,
        ]
    )


def recheck(path: Path, plan: Plan, conn: DbConnection, config: Config, connectors: Connectors) -> Plan:
    """The plan with each item re-resolved, re-protected and re-planned from the current
    inventory and config; refuses when a step differs from what nhi plans now."""
    items = []
    for n, item in enumerate(plan.items, start=1):
        t = item.target
        for step in item.steps:
            if step.action == UNSUPPORTED:
                continue
            connector, _ = connectors.get(step.provider)
            declared = {a for actions in (getattr(connector, "revoke_kinds", {}) or {}).values() for a in actions}
            if declared and step.action not in declared:
                raise refusal(path, f"step {step.action!r} is not an action the {step.provider} connector declares")
            if (step.provider, step.target_type, step.target_id) != (t.provider, t.type, t.id):
                raise refusal(
                    path, f"item {n}: step {step.action!r} acts on {step.target_id}, not on the item's target {t.id}"
                )
        current = target_by_id(conn, t.type, t.id, t.given or t.id)
        if current is None or current.provider != t.provider:
            raise refusal(path, f"target {t.id} is no longer in the inventory")
        fresh = plan_item(conn, config, connectors, current, plan.options)
        if (fresh.target.kind, fresh.target.scope, fresh.target.name) != (t.kind, t.scope, t.name):
            raise refusal(path, f"target {t.id} is not what the plan says it is")
        if [_step_key(s) for s in item.steps] != [_step_key(s) for s in fresh.steps]:
            raise refusal(
                path, f"the steps for {t.id} are not what nhi plans for it now (target, action or parameters differ)"
            )
        items.append(PlanItem(target=t, blast=fresh.blast, steps=item.steps, protected_by=fresh.protected_by))
    plan.items = items
    return plan
