"""`nhi revoke TARGET...`, `nhi revoke log` and `nhi restore ID`: the emergency kill switch.

`nhi revoke` is a group whose default command takes the targets, so `nhi revoke log` lists the
log while `nhi revoke AKIA... --yes` revokes (a target literally named "log" can be given as
`nhi revoke run log`). Plans and results are data (stdout); questions and notes go to stderr.
"""
from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperCommand, TyperGroup

from nhi_cli.cli.common import cli_context
from nhi_cli.cli.output import Format, print_json, render_rows
from nhi_cli.errors import ExitCode, NhiError
from nhi_cli.store import queries

DEFAULT_COMMAND = "run"


class _RevokeGroup(TyperGroup):
    """Anything that is not a subcommand name goes to the default command (the targets)."""

    def parse_args(self, ctx, args):
        if not args or args[0] not in self.commands:
            args = [DEFAULT_COMMAND, *args]
        return super().parse_args(ctx, args)


class _TargetsCommand(TyperCommand):
    def format_usage(self, ctx, formatter) -> None:  # "nhi revoke [OPTIONS] ...", not "nhi revoke run"
        formatter.write_usage(ctx.parent.command_path if ctx.parent else ctx.command_path,
                              " ".join(self.collect_usage_pieces(ctx)))


revoke_app = typer.Typer(cls=_RevokeGroup, help="Revoke credentials and identities now; `nhi revoke log` lists attempts.")

FormatOption = Annotated[Format, typer.Option("--format", "-f", help="table or json.")]
ProfileOption = Annotated[Optional[str], typer.Option("--profile", help="AWS profile from the standard boto3 chain.")]
DemoOption = Annotated[bool, typer.Option("--demo", help="Act on the demo estate's fakes (in memory: each run starts fresh).")]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (automation).")]
ReasonOption = Annotated[Optional[str], typer.Option("--reason", help="Why: recorded in the revocation log.")]


@revoke_app.command(DEFAULT_COMMAND, cls=_TargetsCommand, hidden=True)
def revoke(
    ctx: typer.Context,
    targets: Annotated[Optional[list[str]], typer.Argument(
        help="Credential id (AKIA...), identity id (ARN, SA email) or identity name.", show_default=False)] = None,
    agent: Annotated[Optional[str], typer.Option("--agent", help="Every identity and credential of this agent.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print and record the plan; call no mutating API.")] = False,
    yes: YesOption = False,
    reason: ReasonOption = None,
    plan_out: Annotated[Optional[Path], typer.Option("--plan-out", help="Write the plan (JSON) for review; change nothing.")] = None,
    plan_file: Annotated[Optional[Path], typer.Option("--plan", help="Execute exactly this reviewed plan file.")] = None,
    delete: Annotated[bool, typer.Option("--delete", help="Also delete keys and secrets (cannot be undone).")] = False,
    block_assume: Annotated[bool, typer.Option("--block-assume", help="Roles: also replace the trust policy so no new session starts.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Allow revoking identities listed under `protected:`.")] = False,
    demo: DemoOption = False,
    profile: ProfileOption = None,
    format: FormatOption = Format.table,
) -> None:
    """Revoke credentials and identities now: plan, confirm, act, verify, record.

    Reversible steps run first (keys Inactive, deny policies); irreversible ones are marked in the plan. Every attempt, dry runs included, goes to the revocation log (`nhi revoke log`); `nhi restore ID` undoes the reversible steps. Exit 0 only when every step succeeded, 5 otherwise, 2 for an unknown/ambiguous/protected target or a refused plan.

    Example: nhi revoke --agent ops-copilot --reason "leaked key" --yes
    """
    from nhi_cli.kit.connector import ScanOptions
    from nhi_cli.model import iso, utcnow
    from nhi_cli.revoke import plan as planning
    from nhi_cli.revoke.context import Connectors
    from nhi_cli.revoke.resolve import TargetError, resolve_targets
    from nhi_cli.scan import operator_name

    st = cli_context(ctx)
    if plan_file and (targets or agent or plan_out):
        raise NhiError("--plan executes a reviewed plan as written: give no TARGET, --agent or --plan-out with it",
                       ExitCode.USAGE)
    if not plan_file and not targets and not agent:
        raise NhiError("name at least one TARGET (credential id, identity id or name), --agent NAME or --plan FILE",
                       ExitCode.USAGE)
    if format is Format.csv:
        raise NhiError("--format must be table or json", ExitCode.USAGE)
    now = utcnow()
    with ExitStack() as stack:
        _use_demo(st, stack, demo, now)
        store = st.open_store(create=False)
        stack.callback(store.close)
        _refuse_demo_inventory_without_demo(store, demo)
        connectors = Connectors(config=st.config, now=now, salt=store.secret_salt, options=ScanOptions(aws_profile=profile))
        if plan_file:
            plan = planning.read_plan(plan_file, store.secret_salt, connectors)
            if plan.demo != demo:
                raise NhiError(f"refusing plan {plan_file}: it was written {'with' if plan.demo else 'without'} --demo; "
                               f"run it the same way; nothing was changed", ExitCode.USAGE)
            plan.operator, plan.reason = operator_name(), reason or plan.reason
        else:
            try:
                resolved = resolve_targets(store.conn, st.config, list(targets or []), agent)
            except TargetError as exc:
                from nhi_cli.text import visible

                for kind, text, found in exc.problems:
                    st.err.print(visible(f"nhi: {kind} target {text!r}" + ("; candidates:" if found else "; no candidates")),
                                 highlight=False, markup=False)
                    for line in found:  # names from the inventory: control characters made visible
                        st.err.print(visible(f"  {line}"), highlight=False, markup=False)
                raise
            given = list(targets or []) + ([f"agent:{agent}"] if agent else [])
            plan = planning.build_plan(store.conn, st.config, connectors, resolved, given=given, reason=reason,
                                       options={"delete": delete, "block_assume": block_assume}, demo=demo,
                                       operator=operator_name(), created_at=iso(now))
        _refuse_protected(st, store, plan, force)
        if not plan.steps:
            for note in plan.notes:
                st.say(f"nhi: {note}")
            raise NhiError("nothing here that nhi can revoke; nothing was changed", ExitCode.ACTION_FAILED)
        if format is Format.table:
            from nhi_cli.cli.revoke_view import print_plan

            print_plan(st, plan)
        if plan_out or dry_run:
            revocation_id = _record_dry_run(store, plan)
            if plan_out:
                planning.write_plan(plan, plan_out, store.secret_salt)
                st.say(f"nhi: plan written to {plan_out}; review it, then: nhi revoke --plan {plan_out}")
            st.say(f"nhi: dry run recorded as revocation {revocation_id}; nothing was changed")
            if format is Format.json:
                print_json(st.out, {"revocation_id": revocation_id, "status": "dry_run", "plan": plan.to_dict()})
            raise typer.Exit(ExitCode.OK)
        _confirm(st, yes, f"Revoke {len(plan.items)} target(s) now ({len(plan.steps)} steps)?")
        code = _execute(st, store, plan, connectors, restore_of=None, fmt=format)
    raise typer.Exit(code)


def _refuse_demo_inventory_without_demo(store, demo: bool) -> None:
    """The demo's identities exist only in its fakes: without --demo, revoking them would send
    real revoke calls, with whatever credentials the shell has, to the real providers."""
    if demo:
        return
    if queries.latest_scan_was_demo(store.conn):
        raise NhiError("this inventory was written by `nhi scan --demo`: its identities live in the demo fakes; "
                       "add --demo (nothing was changed)", ExitCode.USAGE)


def _use_demo(st, stack: ExitStack, demo: bool, now) -> None:
    """As `nhi scan --demo`: start the fakes for this command; the demo config (agents,
    protected) unless the user gave one, which then gets the demo's providers."""
    if not demo:
        return
    from nhi_cli.kit.demo import demo_estate

    demo_config = stack.enter_context(demo_estate(now))
    if st.config_path is None:
        st.use_config(demo_config)
    else:
        st.config.providers = demo_config.providers


def _refuse_protected(st, store, plan, force: bool) -> None:
    hits = [i for i in plan.items if i.protected_by]
    if not hits or force:
        for item in hits:
            st.say(f"nhi: warning: {item.target['id']} is protected ({item.protected_by!r}); --force given", "yellow")
        return
    from nhi_cli.revoke.record import Recorder

    revocation_id = Recorder(store).start(action="revoke", plan=plan, dry_run=False, status="refused",
                                          step_status="skipped")
    first = hits[0]
    more = f" and {len(hits) - 1} more" if len(hits) > 1 else ""
    raise NhiError(f"{first.target['id']}{more} is protected (`protected: {first.protected_by}` in nhi.yaml): "
                   f"refusing without --force; nothing was changed (logged as revocation {revocation_id})",
                   ExitCode.USAGE)


def _record_dry_run(store, plan) -> int:
    from nhi_cli.revoke.record import Recorder

    return Recorder(store).start(action="revoke", plan=plan, dry_run=True, status="dry_run")


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _confirm(st, yes: bool, question: str) -> None:
    if yes:
        return
    if not _stdin_is_terminal():
        raise NhiError("refusing to act without confirmation: stdin is not a terminal; review the plan and "
                       "re-run with --yes (or use --dry-run / --plan-out FILE); nothing was changed", ExitCode.USAGE)
    if not typer.confirm(question, default=False, err=True):
        # A refusal, not an interruption (130): the operator read the plan and said no.
        raise NhiError("not confirmed: declined at the prompt; nothing was changed", ExitCode.DECLINED)


def _execute(st, store, plan, connectors, *, restore_of: int | None, fmt: Format) -> int:
    from nhi_cli.revoke.execute import run_steps
    from nhi_cli.revoke.record import Recorder

    recorder = Recorder(store)
    action = "restore" if restore_of else "revoke"
    revocation_id = recorder.start(action=action, plan=plan, dry_run=False, restores=restore_of)

    def progress(result) -> None:
        if st.verbose:
            st.say(f"  {result.seq}. {result.step.action} {result.step.target_id}: {result.outcome.status}")

    try:
        results = run_steps(recorder, revocation_id, list(enumerate(plan.steps, start=1)), connectors,
                            restore=bool(restore_of), cancel=connectors.cancel, progress=progress)
    except KeyboardInterrupt:  # unlike a scan, steps may already have acted: say so
        raise NhiError(f"interrupted: {action} {revocation_id} is logged as interrupted and some steps may have "
                       f"run; see `nhi revoke log {revocation_id}`, then re-run (steps are idempotent)",
                       ExitCode.INTERRUPTED) from None
    rows = [{"seq": r.seq, "provider": r.step.provider, "scope": r.step.scope, "target": r.step.target_id,
             "action": r.step.action, "reversible": r.step.reversible, "status": r.outcome.status,
             "detail": r.outcome.error or ""} for r in results]
    ok = len(results) == len(plan.steps) and all(r.outcome.status in ("done", "already_done") for r in results)
    if fmt is Format.json:
        print_json(st.out, {"revocation_id": revocation_id, "action": action, "status": "succeeded" if ok else "failed",
                    "steps": rows, "api_calls": connectors.calls(), "plan": plan.to_dict()})
    else:
        render_rows(st.out, rows, ("seq", "provider", "target", "action", "status", "detail"), Format.table,
                    title=f"{action.capitalize()} {revocation_id}")
    if ok:
        st.say(f"nhi: {action} {revocation_id}: every step succeeded"
               + ("; `nhi restore " + str(revocation_id) + "` undoes the reversible steps" if not restore_of else ""))
        return ExitCode.OK
    failed = sum(1 for r in results if r.outcome.status not in ("done", "already_done"))
    st.say(f"nhi: {action} {revocation_id}: {failed} step(s) did not succeed; see `nhi revoke log {revocation_id}`",
           "red")
    return ExitCode.ACTION_FAILED


# --- nhi revoke log --------------------------------------------------------------------------
@revoke_app.command("log")
def revoke_log(
    ctx: typer.Context,
    revocation_id: Annotated[Optional[int], typer.Argument(help="Show the steps of this attempt.", show_default=False)] = None,
    limit: Annotated[int, typer.Option("--limit", help="Most recent attempts to list.")] = 50,
    format: Annotated[Format, typer.Option("--format", "-f", help="table, json or csv.")] = Format.table,
) -> None:
    """List revoke and restore attempts (dry runs included), or the steps of one.

    Example: nhi revoke log   (then: nhi revoke log 3 --format json)
    """
    from nhi_cli.revoke.record import attempt, list_attempts

    st = cli_context(ctx)
    store = st.open_store(create=False)
    try:
        if revocation_id is None:
            rows = list_attempts(store.conn, limit)
            for row in rows:
                row["targets"] = ", ".join(row["targets"]) if format is not Format.json else row["targets"]
            render_rows(st.out, rows, ("id", "action", "started_at", "operator", "status", "targets", "reason", "steps",
                               "steps_ok", "steps_failed", "restores"), format, title="Revocation log")
            return
        data = attempt(store.conn, revocation_id)
    finally:
        store.close()
    if data is None:
        raise NhiError(f"no revocation {revocation_id}; `nhi revoke log` lists them", ExitCode.USAGE)
    if format is Format.json:
        print_json(st.out, data)
        return
    st.say(f"revocation {data['id']}: {data['action']} by {data['operator']} at {data['started_at']}, "
           f"status {data['status']}" + (f", reason: {data['reason']}" if data.get("reason") else ""))
    render_rows(st.out, data["steps"], ("seq", "provider", "target_id", "action", "reversible", "status", "error",
                                "executed_at"), format, title=f"Revocation {data['id']} steps")


# --- nhi restore -------------------------------------------------------------------------------
def restore(
    ctx: typer.Context,
    revocation_id: Annotated[int, typer.Argument(help="The revocation to undo (see `nhi revoke log`).")],
    yes: YesOption = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would be restored; change nothing.")] = False,
    reason: ReasonOption = None,
    demo: DemoOption = False,
    profile: ProfileOption = None,
    format: FormatOption = Format.table,
) -> None:
    """Undo the reversible steps of a revocation (reactivate keys, remove deny policies, put the old trust policy back) and record that. Irreversible steps are listed, not undone.

    Example: nhi restore 3 --reason "false alarm" --yes
    """
    from nhi_cli.kit.connector import ScanOptions
    from nhi_cli.model import iso, utcnow
    from nhi_cli.revoke import plan as planning
    from nhi_cli.revoke.context import Connectors
    from nhi_cli.revoke.record import attempt
    from nhi_cli.scan import operator_name

    st = cli_context(ctx)
    if format is Format.csv:
        raise NhiError("--format must be table or json", ExitCode.USAGE)
    now = utcnow()
    with ExitStack() as stack:
        _use_demo(st, stack, demo, now)
        store = st.open_store(create=False)
        stack.callback(store.close)
        _refuse_demo_inventory_without_demo(store, demo)  # as revoke: no real calls for the demo's ids
        data = attempt(store.conn, revocation_id)
        if data is None:
            raise NhiError(f"no revocation {revocation_id}; `nhi revoke log` lists them", ExitCode.USAGE)
        if data["action"] != "revoke" or data["dry_run"] or data["status"] == "refused":
            what = "a restore" if data["action"] != "revoke" else ("a dry run" if data["dry_run"] else "refused")
            raise NhiError(f"revocation {revocation_id} was {what}; there is nothing to restore", ExitCode.USAGE)
        plan, irreversible = planning.restore_plan(data, reason=reason, operator=operator_name(),
                                                   created_at=iso(now), demo=demo)
        steps = plan.steps
        for r in irreversible:
            st.say(f"nhi: cannot be undone: {r['action']} on {r['target_id']}", "yellow")
        if not steps:
            st.say(f"nhi: revocation {revocation_id} has no completed reversible step; nothing to restore")
            raise typer.Exit(ExitCode.OK)
        if format is Format.table:
            from nhi_cli.cli.revoke_view import print_restore_plan

            print_restore_plan(st, revocation_id, steps)
        if dry_run:
            if format is Format.json:
                print_json(st.out, {"restores": revocation_id, "plan": plan.to_dict()})
            st.say("nhi: dry run; nothing was changed")
            raise typer.Exit(ExitCode.OK)
        _confirm(st, yes, f"Restore {len(steps)} step(s) of revocation {revocation_id}?")
        connectors = Connectors(config=st.config, now=now, salt=store.secret_salt, options=ScanOptions(aws_profile=profile))
        code = _execute(st, store, plan, connectors, restore_of=revocation_id, fmt=format)
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.add_typer(revoke_app, name="revoke")
    app.command("restore")(restore)
