"""Writing an attempt to the revocation log (log.py): before, during and after it acts.

An attempt is appended before anything runs (each step ``planned``), each step again just
before it calls the provider (``started``) and when it returns (its outcome and restore data),
then the final status. A step that is ``started`` without an outcome is one that may have
acted: that is what the next run reports when the process died in between.

What a step reports about a credential (``StepOutcome.inventory``: "this key is now inactive")
is collected here and written to the inventory by the workflow afterwards, briefly and only if
the inventory is free: the next scan records it anyway, and the kill never waits for a scan.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from nhi_cli.kit.connector import RevokeStep, StepOutcome
from nhi_cli.revoke.log import RevocationLog, attempt_status
from nhi_cli.revoke.plan import Plan

__all__ = ["Recorder", "attempt_status"]


def step_row(seq: int, step: RevokeStep, status: str, name: str | None) -> dict[str, Any]:
    return {**asdict(step), "seq": seq, "status": status, "target_name": name}


class Recorder:
    def __init__(self, log: RevocationLog):
        self.log = log
        self.inventory_updates: list[tuple[str, str, str]] = []  # (provider, credential id, status)

    def start(
        self,
        *,
        action: str,
        plan: Plan,
        dry_run: bool,
        status: str = "running",
        step_status: str = "planned",
        restores: int | None = None,
        single_use: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> int:
        names = {(i.target.type, i.target.id): i.target.name for i in plan.items}
        body = {
            "action": action,
            "operator": plan.operator,
            "operator_source": plan.operator_source,
            "reason": plan.reason,
            "dry_run": dry_run,
            "demo": plan.demo,
            "targets": plan.targets,
            "status": status,
            "restores": restores,
            "plan_id": plan.plan_id,
            "plan": plan.to_dict(),
            "steps": [
                step_row(seq, s, step_status, names.get((s.target_type, s.target_id)))
                for seq, s in enumerate(plan.steps, start=1)
            ],
            **(extra or {}),
        }
        return self.log.start(body, single_use=plan.plan_id if single_use else None)

    def started(self, revocation_id: int, seq: int) -> None:
        self.log.append(revocation_id, "step_started", {"seq": seq})

    def step(self, revocation_id: int, seq: int, step: RevokeStep, outcome: StepOutcome) -> None:
        self.log.append(
            revocation_id,
            "step_finished",
            {"seq": seq, "status": outcome.status, "error": outcome.error, "restore_data": outcome.restore_data},
        )
        for credential_id, status in (outcome.inventory or {}).items():
            self.inventory_updates.append((step.provider, credential_id, status))

    def caller(self, revocation_id: int, provider: str, principal: str) -> None:
        self.log.append(revocation_id, "caller", {"provider": provider, "principal": principal})

    def finish(self, revocation_id: int, status: str) -> None:
        self.log.append(revocation_id, "finished", {"status": status})
