"""The revoke and restore workflows, as the CLI (or any caller) drives them.

A ``RevokeSession`` holds what one command works with: the inventory (read only: revoke never
writes it except a best-effort status update at the end), the revoke key, the revocation log
in its own file, and the connectors. Its methods hold the policy, and return plans and results
for the caller to show:

- ``plan_revoke``: resolve targets (or load and re-check a reviewed plan file), refuse
  protected identities without ``force`` (logged as refused), require a reason for a real run;
- ``record_dry_run``: log a dry run and optionally write the signed plan file;
- ``execute``: log, act, verify and log again (execute.py), then note the calling principals;
- ``restore_plan``: the reversible steps of an authenticated log entry, with the exact
  documents the restore will write.

The caller confirms between planning and executing: that is the operator's decision, not
policy.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from nhi_cli.config import Config
from nhi_cli.errors import ExitCode, NhiError
from nhi_cli.kit.connector import ScanOptions
from nhi_cli.kit.demo import demo_estate
from nhi_cli.model import iso, utcnow
from nhi_cli.revoke import plan as planning
from nhi_cli.revoke import planfile
from nhi_cli.revoke.context import Connectors
from nhi_cli.revoke.execute import StepResult, run_steps
from nhi_cli.revoke.keys import key_path, load_key, log_path
from nhi_cli.revoke.log import OK_STATUSES, RevocationLog, read_attempts
from nhi_cli.revoke.operator import Operator, caller_principals
from nhi_cli.revoke.record import Recorder
from nhi_cli.revoke.resolve import resolve_targets
from nhi_cli.store import open_store, queries

INVENTORY_BUSY_TIMEOUT = 0.5  # seconds: the status update waits this long for a scan, no more


class NothingToRevoke(NhiError):
    """No target has a step nhi can run; ``notes`` say what is left for a person."""

    def __init__(self, notes: list[str]):
        super().__init__("nothing here that nhi can revoke; nothing was changed", ExitCode.ACTION_FAILED)
        self.notes = notes


@dataclass
class RevokeRequest:
    """What the operator asked for (the CLI's options)."""

    targets: list[str] = field(default_factory=list)
    agent: str | None = None
    plan_file: Path | None = None
    plan_out: Path | None = None
    dry_run: bool = False
    reason: str | None = None
    delete: bool = False
    block_assume: bool = False
    force: bool = False


@dataclass
class RunResult:
    revocation_id: int
    action: str  # revoke or restore
    plan: planning.Plan
    results: list[StepResult]
    api_calls: dict[str, int]
    callers: dict[str, str]  # provider -> principal the calls were made as
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return len(self.results) == len(self.plan.steps) and all(r.outcome.status in OK_STATUSES for r in self.results)


@dataclass
class RestorePlan:
    revocation_id: int
    plan: planning.Plan
    irreversible: list[dict[str, Any]]  # completed steps that cannot be undone


def demo_config(stack: ExitStack, now: datetime, user_config: Config | None = None) -> Config:
    """As `nhi scan --demo`: the fakes run for this command; the demo's config (agents,
    protected), or the user's config with the demo's providers."""
    config = stack.enter_context(demo_estate(now))
    if user_config is None:
        return config
    user_config.providers = config.providers
    return user_config


class RevokeSession:
    def __init__(
        self,
        *,
        config: Config,
        db_path: str | Path,
        demo: bool,
        operator: Operator,
        profile: str | None = None,
        now: datetime | None = None,
    ):
        self.config, self.db_path, self.demo, self.operator = config, db_path, demo, operator
        self.now = now or utcnow()
        self.notes: list[str] = []  # for the operator (interrupted attempts found, inventory busy)
        self._stack = ExitStack()
        try:
            self.store = open_store(self.db_path, create=False)
            self._stack.callback(self.store.close)
            self._refuse_demo_inventory_without_demo()
            self.key = load_key(self.db_path)
            self.log = RevocationLog(log_path(self.db_path), self.key)
            self._stack.callback(self.log.close)
            for rid in self.log.mark_interrupted():
                self.notes.append(
                    f"revocation {rid} was interrupted (its process died); the log now says so and "
                    f"which steps may have acted: `nhi revoke log {rid}`"
                )
            self.connectors = Connectors(
                config=config, now=self.now, salt=self.store.secret_salt, options=ScanOptions(aws_profile=profile)
            )
        except BaseException:
            self._stack.close()
            raise

    def __enter__(self) -> RevokeSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _refuse_demo_inventory_without_demo(self) -> None:
        """The demo's identities exist only in its fakes: without --demo, revoking them would
        send real calls, with whatever credentials the shell has, to the real providers."""
        if self.demo:
            return
        if queries.latest_scan_was_demo(self.store.conn):
            raise NhiError(
                "this inventory was written by `nhi scan --demo`: its identities live in the demo fakes; "
                "add --demo (nothing was changed)",
                ExitCode.USAGE,
            )

    # --- revoke ---------------------------------------------------------------------------
    def plan_revoke(self, request: RevokeRequest) -> tuple[planning.Plan, list[str]]:
        """The plan to run and warnings; raises NhiError (exit 2) for anything refused.
        Raises resolve.TargetError (with candidates) for unknown or ambiguous targets."""
        if request.plan_file and (request.targets or request.agent or request.plan_out):
            raise NhiError(
                "--plan executes a reviewed plan as written: give no TARGET, --agent or --plan-out with it",
                ExitCode.USAGE,
            )
        if not request.plan_file and not request.targets and not request.agent:
            raise NhiError(
                "name at least one TARGET (credential id, identity id or name), --agent NAME or --plan FILE",
                ExitCode.USAGE,
            )
        conn = self.store.conn
        if request.plan_file:
            plan = planfile.read_plan(
                request.plan_file,
                self.key,
                inventory=planfile.inventory_id(conn),
                scan_id=self.store.latest_scan_id(),
                now=self.now,
            )
            if plan.demo != self.demo:
                raise planfile.refusal(
                    request.plan_file,
                    f"it was written {'with' if plan.demo else 'without'} --demo; run it the same way",
                )
            plan = planfile.recheck(request.plan_file, plan, conn, self.config, self.connectors)
            plan.operator, plan.operator_source = self.operator.name, self.operator.source
            plan.reason = request.reason or plan.reason
        else:
            resolved = resolve_targets(conn, self.config, list(request.targets), request.agent)
            given = list(request.targets) + ([f"agent:{request.agent}"] if request.agent else [])
            plan = planning.build_plan(
                conn,
                self.config,
                self.connectors,
                resolved,
                given=given,
                reason=request.reason,
                demo=self.demo,
                options={"delete": request.delete, "block_assume": request.block_assume},
                operator=self.operator.name,
                operator_source=self.operator.source,
                created_at=iso(self.now),
                **planfile.binding(conn, self.now),
            )
        if not (request.dry_run or request.plan_out) and not (plan.reason or "").strip():
            raise NhiError(
                "--reason is required for a real revoke (it goes into the revocation log); nothing was changed",
                ExitCode.USAGE,
            )
        warnings = self._refuse_protected(plan, request.force)
        if not plan.steps:
            raise NothingToRevoke(plan.notes)
        return plan, warnings

    def _refuse_protected(self, plan: planning.Plan, force: bool) -> list[str]:
        hits = [i for i in plan.items if i.protected_by]
        if not hits or force:
            return [f"warning: {i.target.id} is protected ({i.protected_by!r}); --force given" for i in hits]
        revocation_id = Recorder(self.log).start(
            action="revoke", plan=plan, dry_run=False, status="refused", step_status="skipped"
        )
        first = hits[0]
        more = f" and {len(hits) - 1} more" if len(hits) > 1 else ""
        raise NhiError(
            f"{first.target.id}{more} is protected (`protected: {first.protected_by}` in nhi.yaml): "
            f"refusing without --force; nothing was changed (logged as revocation {revocation_id})",
            ExitCode.USAGE,
        )

    def record_dry_run(self, plan: planning.Plan, plan_out: Path | None = None) -> int:
        revocation_id = Recorder(self.log).start(action="revoke", plan=plan, dry_run=True, status="dry_run")
        if plan_out:
            planfile.write_plan(plan, plan_out, self.key)
        return revocation_id

    def execute(
        self,
        plan: planning.Plan,
        *,
        restore_of: int | None = None,
        progress: Callable[[StepResult], None] | None = None,
    ) -> RunResult:
        """Run the plan; the log says how far it got even when interrupted (KeyboardInterrupt
        propagates after the log is closed as ``interrupted``)."""
        recorder = Recorder(self.log)
        action = "restore" if restore_of else "revoke"
        # every plan runs once: a reviewed plan file executed again is refused here, atomically
        revocation_id = recorder.start(action=action, plan=plan, dry_run=False, restores=restore_of, single_use=True)
        try:
            results = run_steps(
                recorder,
                revocation_id,
                list(enumerate(plan.steps, start=1)),
                self.connectors,
                restore=bool(restore_of),
                cancel=self.connectors.cancel,
                progress=progress,
            )
        except KeyboardInterrupt:
            raise NhiError(
                f"interrupted: {action} {revocation_id} is logged as interrupted and some steps may have "
                f"run; see `nhi revoke log {revocation_id}`, then re-run (steps are idempotent)",
                ExitCode.INTERRUPTED,
            ) from None
        callers = caller_principals(self.connectors, sorted({s.provider for s in plan.steps}))
        for provider, principal in callers.items():
            recorder.caller(revocation_id, provider, principal)
        notes = self._update_inventory(recorder.inventory_updates)
        return RunResult(revocation_id, action, plan, results, self.connectors.calls(), callers, notes)

    def _update_inventory(self, updates: list[tuple[str, str, str]]) -> list[str]:
        """Credential statuses the steps read back, written to the inventory if it is free now;
        a scan holding it will record them itself."""
        if not updates:
            return []
        if not isinstance(self.db_path, Path):  # PostgreSQL: the scan that holds the rows records them
            return [
                "the new credential statuses are in the revocation log; the next scan records them in the inventory"
            ]
        try:
            conn = sqlite3.connect(self.db_path, timeout=INVENTORY_BUSY_TIMEOUT, isolation_level=None)
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(
                    "UPDATE credential SET status = ? WHERE id = ? AND provider = ?",
                    [(status, cid, provider) for provider, cid, status in updates],
                )
                conn.execute("COMMIT")
            finally:
                conn.close()
        except sqlite3.OperationalError:
            return [
                "the inventory is busy (a scan is writing it): the new credential statuses are in the "
                "revocation log and the next scan records them in the inventory"
            ]
        return []

    # --- restore --------------------------------------------------------------------------
    def restore_plan(self, revocation_id: int, reason: str | None) -> RestorePlan:
        data = read_attempts(self.log.conn, self.key).get(revocation_id)
        if data is None:
            raise NhiError(f"no revocation {revocation_id}; `nhi revoke log` lists them", ExitCode.USAGE)
        if data["integrity"] != "ok":
            raise NhiError(
                f"refusing to restore revocation {revocation_id}: its log entry does not authenticate "
                f"({data['integrity']}): the log was modified outside nhi; nothing was changed",
                ExitCode.USAGE,
            )
        if data["action"] != "revoke" or data.get("dry_run") or data["status"] == "refused":
            what = "a restore" if data["action"] != "revoke" else ("a dry run" if data.get("dry_run") else "refused")
            raise NhiError(f"revocation {revocation_id} was {what}; there is nothing to restore", ExitCode.USAGE)
        plan, irreversible = planning.restore_plan(
            data,
            reason=reason,
            operator=self.operator.name,
            operator_source=self.operator.source,
            created_at=iso(self.now),
            demo=self.demo,
        )
        return RestorePlan(revocation_id, plan, irreversible)


def read_log(db_path: str | Path) -> dict[int, dict[str, Any]]:
    """Every attempt in the revocation log beside ``db_path`` ({} when nothing was revoked
    yet); closes attempts whose process died as ``interrupted`` first."""
    path = log_path(db_path)
    if not path.exists():
        return {}
    if not key_path(db_path).exists():  # shown, marked unverified; restore refuses such entries
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return read_attempts(conn, None)
        finally:
            conn.close()
    key = load_key(db_path, create=False)
    log = RevocationLog(path, key)
    try:
        log.mark_interrupted()
        return read_attempts(log.conn, key)
    finally:
        log.close()
