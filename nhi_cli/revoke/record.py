"""The revocation log in the inventory: every revoke and restore attempt, dry runs included.

An attempt is written before anything runs (status ``running``, steps ``planned``), each step
as soon as it finishes, and the final status last, so a crash or Ctrl-C mid-revoke leaves a
log that says how far it got (``interrupted``). Writes come from several worker threads, so
they are serialised by a lock, each in its own short transaction.

When a step reports what the provider now says about a credential (``StepOutcome.inventory``)
the credential's status in the inventory is updated at once; the next scan confirms it (and
records the change in the credential's history).
"""
from __future__ import annotations

import json
import threading
from typing import Any

from nhi_cli.kit.connector import RevokeStep, StepOutcome
from nhi_cli.model import iso, utcnow

OK_STATUSES = ("done", "already_done")


def attempt_status(statuses: list[str], dry_run: bool) -> str:
    if dry_run:
        return "dry_run"
    if statuses and all(s in OK_STATUSES for s in statuses):
        return "succeeded"
    if any(s in OK_STATUSES for s in statuses):
        return "partial"
    return "failed"


class Recorder:
    def __init__(self, store):
        self.store = store
        self._lock = threading.Lock()

    def start(self, *, action: str, plan, dry_run: bool, status: str = "running", restores: int | None = None,
              step_status: str = "planned") -> int:
        now = iso(utcnow())
        with self._lock, self.store.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO revocation (action, started_at, operator, reason, dry_run, targets, status, restores, "
                "plan, demo) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (action, now, plan.operator, plan.reason, int(dry_run), json.dumps(plan.targets), status, restores,
                 json.dumps(plan.to_dict(), default=str), int(plan.demo)))
            revocation_id = cursor.lastrowid
            names = {(i.target["type"], i.target["id"]): i.target.get("name") for i in plan.items}
            conn.executemany(
                "INSERT INTO revocation_step (revocation_id, seq, provider, scope, target_type, target_id, action, "
                "reversible, status, restore_data, target_name, description, params) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(revocation_id, seq, s.provider, s.scope, s.target_type, s.target_id, s.action, int(s.reversible),
                  step_status, json.dumps(s.restore_data) if s.restore_data is not None else None,
                  names.get((s.target_type, s.target_id)), s.description, json.dumps(s.params, default=str))
                 for seq, s in enumerate(plan.steps, start=1)])
        return revocation_id

    def step(self, revocation_id: int, seq: int, step: RevokeStep, outcome: StepOutcome) -> None:
        with self._lock, self.store.transaction() as conn:
            conn.execute(
                "UPDATE revocation_step SET status = ?, error = ?, restore_data = ?, executed_at = ? "
                "WHERE revocation_id = ? AND seq = ?",
                (outcome.status, outcome.error,
                 json.dumps(outcome.restore_data, default=str) if outcome.restore_data is not None else None,
                 iso(utcnow()), revocation_id, seq))
            for credential_id, status in (outcome.inventory or {}).items():
                conn.execute("UPDATE credential SET status = ? WHERE id = ? AND provider = ?",
                             (status, credential_id, step.provider))

    def finish(self, revocation_id: int, status: str) -> None:
        with self._lock, self.store.transaction() as conn:
            conn.execute("UPDATE revocation SET status = ?, finished_at = ? WHERE id = ?",
                         (status, iso(utcnow()), revocation_id))


# --- reading the log ---------------------------------------------------------------------------
def list_attempts(conn, limit: int = 50) -> list[dict[str, Any]]:
    rows = conn.execute(
        """SELECT r.id, r.action, r.started_at, r.finished_at, r.operator, r.reason, r.dry_run, r.demo,
                  r.targets, r.status, r.restores,
                  (SELECT COUNT(*) FROM revocation_step s WHERE s.revocation_id = r.id) AS steps,
                  (SELECT COUNT(*) FROM revocation_step s WHERE s.revocation_id = r.id
                    AND s.status IN ('done', 'already_done')) AS steps_ok,
                  (SELECT COUNT(*) FROM revocation_step s WHERE s.revocation_id = r.id
                    AND s.status = 'failed') AS steps_failed
           FROM revocation r ORDER BY r.id DESC LIMIT ?""", (limit,)).fetchall()
    out = []
    for r in rows:
        row = dict(r)
        row["targets"] = json.loads(row["targets"])
        row["dry_run"] = bool(row["dry_run"])
        row["demo"] = bool(row["demo"])
        out.append(row)
    return out


def attempt(conn, revocation_id: int) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM revocation WHERE id = ?", (revocation_id,)).fetchone()
    if row is None:
        return None
    data = dict(row)
    data["targets"] = json.loads(data["targets"])
    data["plan"] = json.loads(data["plan"]) if data.get("plan") else None
    data["steps"] = steps_of(conn, revocation_id)
    return data


def steps_of(conn, revocation_id: int) -> list[dict[str, Any]]:
    out = []
    for r in conn.execute("SELECT * FROM revocation_step WHERE revocation_id = ? ORDER BY seq", (revocation_id,)):
        row = dict(r)
        row["restore_data"] = json.loads(row["restore_data"]) if row["restore_data"] else None
        row["params"] = json.loads(row["params"]) if row.get("params") else {}
        row["reversible"] = bool(row["reversible"])
        out.append(row)
    return out


def step_from_row(row: dict[str, Any]) -> RevokeStep:
    return RevokeStep(provider=row["provider"], scope=row["scope"], target_type=row["target_type"],
                      target_id=row["target_id"], action=row["action"], description=row.get("description") or "",
                      reversible=row["reversible"], params=row.get("params") or {}, restore_data=row["restore_data"])
