"""Running a plan (or a restore): targets concurrently with a bound, each target's steps in order.

Steps of one target run in plan order (reversible first) and every step is attempted even if
an earlier one failed: under pressure, more of the kill is better than less. One target's
failure never stops another's. A connector that raises instead of returning an outcome is
recorded as ``failed`` with the exception, never a traceback. Ctrl-C stops starting new steps;
the attempt is then recorded as ``interrupted``. Each step is logged just before it acts and
again with its outcome (record.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from nhi_cli.kit.connector import RevokeStep, StepOutcome
from nhi_cli.kit.secrets import unexpected_error
from nhi_cli.pool import bounded_map
from nhi_cli.revoke.context import Connectors
from nhi_cli.revoke.plan import UNSUPPORTED
from nhi_cli.revoke.record import Recorder, attempt_status

DEFAULT_WORKERS = 4


@dataclass
class StepResult:
    seq: int
    step: RevokeStep
    outcome: StepOutcome


def _call(connectors: Connectors, step: RevokeStep, restore: bool) -> StepOutcome:
    if step.action == UNSUPPORTED:
        return StepOutcome("skipped", error=step.description)
    if restore and not step.reversible:
        return StepOutcome("skipped", error="cannot be undone")
    try:
        connector, ctx = connectors.get(step.provider)
        fn = connector.restore_step if restore else connector.execute_step
        outcome = fn(ctx, step)
    except Exception as exc:  # a connector bug or an unexpected SDK error: recorded, not raised
        return StepOutcome("failed", error=unexpected_error(exc))
    if not isinstance(outcome, StepOutcome):
        return StepOutcome("failed", error=f"connector returned {type(outcome).__name__}, not a StepOutcome")
    return outcome


def run_steps(
    recorder: Recorder,
    revocation_id: int,
    steps: list[tuple[int, RevokeStep]],
    connectors: Connectors,
    *,
    restore: bool = False,
    workers: int = DEFAULT_WORKERS,
    cancel: threading.Event | None = None,
    progress: Callable[[StepResult], None] | None = None,
) -> list[StepResult]:
    """Execute (or restore) ``steps`` given as (seq, step); returns results in seq order and
    records each step and the attempt's final status."""
    cancel = cancel or connectors.cancel
    groups: dict[tuple[str, str, str], list[tuple[int, RevokeStep]]] = {}
    for seq, step in steps:
        groups.setdefault((step.provider, step.target_type, step.target_id), []).append((seq, step))

    def run_target(group: list[tuple[int, RevokeStep]]) -> list[StepResult]:
        results = []
        for seq, step in group:
            if cancel.is_set():
                break
            recorder.started(revocation_id, seq)  # before it acts: a crash now leaves "may have acted"
            outcome = _call(connectors, step, restore)
            recorder.step(revocation_id, seq, step, outcome)
            result = StepResult(seq, step, outcome)
            if progress:
                progress(result)
            results.append(result)
        return results

    final = "interrupted"
    try:
        per_target = bounded_map(run_target, list(groups.values()), workers, cancel)
        results: list[StepResult] = []
        for part in per_target:
            if isinstance(part, BaseException):  # bounded_map hands exceptions back
                raise part
            results.extend(part)
        results.sort(key=lambda r: r.seq)
        final = attempt_status([r.outcome.status for r in results] + ["failed"] * (len(steps) - len(results)), False)
        return results
    except BaseException:  # Ctrl-C: workers start no further step; the log says "interrupted"
        cancel.set()
        raise
    finally:
        recorder.finish(revocation_id, final)
