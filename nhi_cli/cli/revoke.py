"""`nhi revoke TARGET...`, `nhi revoke log` and `nhi restore ID`: the emergency kill switch.

`nhi revoke` is a group whose default command takes the targets, so `nhi revoke log` lists the
log while `nhi revoke AKIA... --yes` revokes (a target literally named "log" can be given as
`nhi revoke run log`). Plans and results are data (stdout); questions and notes go to stderr.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Annotated

import typer
from typer import _click as click  # Typer >= 0.29 vendors click: its types are these
from typer.core import TyperCommand, TyperGroup

from nhi_cli.cli.common import CliContext, cli_context
from nhi_cli.cli.output import Format, print_json, render_rows
from nhi_cli.cli.revoke_view import print_plan, print_restore_plan
from nhi_cli.errors import ExitCode, NhiError
from nhi_cli.model import utcnow
from nhi_cli.revoke.execute import StepResult
from nhi_cli.revoke.log import list_attempts
from nhi_cli.revoke.operator import current_operator
from nhi_cli.revoke.plan import Plan
from nhi_cli.revoke.resolve import TargetError
from nhi_cli.revoke.workflow import NothingToRevoke, RevokeRequest, RevokeSession, demo_config, read_log
from nhi_cli.text import visible

DEFAULT_COMMAND = "run"


class _RevokeGroup(TyperGroup):
    """Anything that is not a subcommand name goes to the default command (the targets)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or args[0] not in self.commands:
            args = [DEFAULT_COMMAND, *args]
        return super().parse_args(ctx, args)


class _TargetsCommand(TyperCommand):
    def format_usage(
        self, ctx: click.Context, formatter: click.HelpFormatter
    ) -> None:  # "nhi revoke [OPTIONS] ...", not "nhi revoke run"
        formatter.write_usage(
            ctx.parent.command_path if ctx.parent else ctx.command_path, " ".join(self.collect_usage_pieces(ctx))
        )


revoke_app = typer.Typer(
    cls=_RevokeGroup, help="Revoke credentials and identities now; `nhi revoke log` lists attempts."
)

FormatOption = Annotated[Format, typer.Option("--format", "-f", help="table or json.")]
ProfileOption = Annotated[str | None, typer.Option("--profile", help="AWS profile from the standard boto3 chain.")]
DemoOption = Annotated[
    bool, typer.Option("--demo", help="Act on the demo estate's fakes (in memory: each run starts fresh).")
]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (automation).")]
OperatorOption = Annotated[
    str | None,
    typer.Option(
        "--operator", help="Who is acting, for the log (default: $NHI_OPERATOR, a CI actor, $USER, the login name)."
    ),
]
ReasonOption = Annotated[str | None, typer.Option("--reason", help="Why: recorded in the revocation log.")]


# Built from one literal per line: Typer keeps the line breaks of a docstring's later paragraphs.
REVOKE_HELP = (
    "Revoke credentials and identities now: plan, confirm, act, verify, record.\n\n"
    "Reversible steps run first (keys Inactive, deny policies); irreversible ones are marked in the plan. "
    "Every attempt, dry runs included, goes to the revocation log (`nhi revoke log`); "
    "`nhi restore ID` undoes the reversible steps. A real revoke needs --reason. "
    "A reviewed plan (--plan-out, then --plan) runs once, within an hour, against the inventory and scan "
    "it was made from. Exit 0 only when every step succeeded, 5 otherwise, "
    "2 for an unknown/ambiguous/protected target or a refused plan.\n\n"
    'Example: nhi revoke --agent ops-copilot --reason "leaked key" --yes'
)


@revoke_app.command(DEFAULT_COMMAND, cls=_TargetsCommand, hidden=True, help=REVOKE_HELP)
def revoke(
    ctx: typer.Context,
    targets: Annotated[
        list[str] | None,
        typer.Argument(
            help="Credential id (AKIA...), identity id (ARN, SA email) or identity name.", show_default=False
        ),
    ] = None,
    agent: Annotated[str | None, typer.Option("--agent", help="Every identity and credential of this agent.")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print and record the plan; call no mutating API.")
    ] = False,
    yes: YesOption = False,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why: recorded in the revocation log; required to act.")
    ] = None,
    plan_out: Annotated[
        Path | None, typer.Option("--plan-out", help="Write the plan (JSON) for review; change nothing.")
    ] = None,
    plan_file: Annotated[Path | None, typer.Option("--plan", help="Execute exactly this reviewed plan file.")] = None,
    delete: Annotated[bool, typer.Option("--delete", help="Also delete keys and secrets (cannot be undone).")] = False,
    block_assume: Annotated[
        bool, typer.Option("--block-assume", help="Roles: also replace the trust policy so no new session starts.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Allow revoking identities listed under `protected:`.")
    ] = False,
    operator: OperatorOption = None,
    demo: DemoOption = False,
    profile: ProfileOption = None,
    format: FormatOption = Format.table,
) -> None:
    """Revoke now; the help text is REVOKE_HELP."""
    st = cli_context(ctx)
    if format is Format.csv:
        raise NhiError("--format must be table or json", ExitCode.USAGE)
    request = RevokeRequest(
        targets=list(targets or []),
        agent=agent,
        plan_file=plan_file,
        plan_out=plan_out,
        dry_run=dry_run,
        reason=reason,
        delete=delete,
        block_assume=block_assume,
        force=force,
    )
    with _session(st, demo, st.config_path, profile, operator) as session:
        try:
            plan, warnings = session.plan_revoke(request)
        except TargetError as exc:
            _print_candidates(st, exc)
            raise
        except NothingToRevoke as exc:  # say what nhi left for a person
            for note in exc.notes:
                st.say(f"nhi: {note}")
            raise
        for warning in warnings:
            st.say(f"nhi: {warning}", "yellow")
        if format is Format.table:
            print_plan(st, plan)
        if plan_out or dry_run:
            revocation_id = session.record_dry_run(plan, plan_out)
            if plan_out:
                st.say(f"nhi: plan written to {plan_out}; review it, then: nhi revoke --plan {plan_out}")
            st.say(f"nhi: dry run recorded as revocation {revocation_id}; nothing was changed")
            if format is Format.json:
                print_json(st.out, {"revocation_id": revocation_id, "status": "dry_run", "plan": plan.to_dict()})
            raise typer.Exit(ExitCode.OK)
        _confirm(yes, f"Revoke {len(plan.items)} target(s) now ({len(plan.steps)} steps)?")
        code = _execute(st, session, plan, restore_of=None, fmt=format)
    raise typer.Exit(code)


@contextmanager
def _session(
    st: CliContext, demo: bool, config: Path | None, profile: str | None, operator: str | None
) -> Iterator[RevokeSession]:
    """The library session for this command, with the demo's fakes running when --demo."""
    now = utcnow()
    with ExitStack() as stack:
        if demo:
            st.use_config(demo_config(stack, now, st.config if config is not None else None))
        session = stack.enter_context(
            RevokeSession(
                config=st.config,
                db_path=st.db_path(),
                demo=demo,
                operator=current_operator(operator),
                profile=profile,
                now=now,
            )
        )
        for note in session.notes:
            st.say(f"nhi: {note}", "yellow")
        yield session


def _print_candidates(st: CliContext, exc: TargetError) -> None:
    for kind, text, found in exc.problems:
        st.err.print(
            visible(f"nhi: {kind} target {text!r}" + ("; candidates:" if found else "; no candidates")),
            highlight=False,
            markup=False,
        )
        for line in found:  # names from the inventory: control characters made visible
            st.err.print(visible(f"  {line}"), highlight=False, markup=False)


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _confirm(yes: bool, question: str) -> None:
    if yes:
        return
    if not _stdin_is_terminal():
        raise NhiError(
            "refusing to act without confirmation: stdin is not a terminal; review the plan and "
            "re-run with --yes (or use --dry-run / --plan-out FILE); nothing was changed",
            ExitCode.USAGE,
        )
    if not typer.confirm(question, default=False, err=True):
        # A refusal, not an interruption (130): the operator read the plan and said no.
        raise NhiError("not confirmed: declined at the prompt; nothing was changed", ExitCode.DECLINED)


def _execute(st: CliContext, session: RevokeSession, plan: Plan, *, restore_of: int | None, fmt: Format) -> int:
    def progress(result: StepResult) -> None:
        if st.verbose:
            st.say(f"  {result.seq}. {result.step.action} {result.step.target_id}: {result.outcome.status}")

    run = session.execute(plan, restore_of=restore_of, progress=progress)
    rows = [
        {
            "seq": r.seq,
            "provider": r.step.provider,
            "scope": r.step.scope,
            "target": r.step.target_id,
            "action": r.step.action,
            "reversible": r.step.reversible,
            "status": r.outcome.status,
            "detail": r.outcome.error or "",
        }
        for r in run.results
    ]
    action, rid = run.action, run.revocation_id
    if fmt is Format.json:
        print_json(
            st.out,
            {
                "revocation_id": rid,
                "action": action,
                "status": "succeeded" if run.ok else "failed",
                "steps": rows,
                "api_calls": run.api_calls,
                "callers": run.callers,
                "plan": plan.to_dict(),
            },
        )
    else:
        render_rows(
            st.out,
            rows,
            ("seq", "provider", "target", "action", "status", "detail"),
            Format.table,
            title=f"{action.capitalize()} {rid}",
        )
    for note in run.notes:
        st.say(f"nhi: {note}", "yellow")
    if run.ok:
        st.say(
            f"nhi: {action} {rid}: every step succeeded"
            + ("; `nhi restore " + str(rid) + "` undoes the reversible steps" if not restore_of else "")
        )
        return ExitCode.OK
    failed = sum(1 for r in run.results if r.outcome.status not in ("done", "already_done"))
    st.say(f"nhi: {action} {rid}: {failed} step(s) did not succeed; see `nhi revoke log {rid}`", "red")
    return ExitCode.ACTION_FAILED


# --- nhi revoke log --------------------------------------------------------------------------
@revoke_app.command("log")
def revoke_log(
    ctx: typer.Context,
    revocation_id: Annotated[
        int | None, typer.Argument(help="Show the steps of this attempt.", show_default=False)
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Most recent attempts to list.")] = 50,
    format: Annotated[Format, typer.Option("--format", "-f", help="table, json or csv.")] = Format.table,
) -> None:
    """List revoke and restore attempts (dry runs included), or the steps of one.

    Example: nhi revoke log   (then: nhi revoke log 3 --format json)
    """
    st = cli_context(ctx)
    st.open_store(create=False).close()  # a missing or foreign inventory is said as for every command
    attempts = read_log(st.db_path())
    if revocation_id is None:
        rows = list_attempts(attempts, limit)
        for row in rows:
            row["targets"] = ", ".join(row["targets"] or []) if format is not Format.json else row["targets"]
        render_rows(
            st.out,
            rows,
            (
                "id",
                "action",
                "started_at",
                "operator",
                "status",
                "targets",
                "reason",
                "steps",
                "steps_ok",
                "steps_failed",
                "restores",
                "integrity",
            ),
            format,
            title="Revocation log",
        )
        return
    data = attempts.get(revocation_id)
    if data is None:
        raise NhiError(f"no revocation {revocation_id}; `nhi revoke log` lists them", ExitCode.USAGE)
    if format is Format.json:
        print_json(st.out, data)
        return
    callers = ", ".join(f"{p}: {who}" for p, who in sorted((data.get("callers") or {}).items()))
    st.say(
        f"revocation {data['id']}: {data['action']} by {data['operator']} ({data.get('operator_source') or '?'})"
        + (f" as {callers}" if callers else "")
        + f" at {data['started_at']}, status {data['status']}"
        + (f", reason: {data['reason']}" if data.get("reason") else "")
        + f"; integrity: {data['integrity']}"
    )
    if data.get("interrupted"):
        st.say(f"interrupted: {data['interrupted'].get('note')}", "yellow")
    render_rows(
        st.out,
        data["steps"],
        ("seq", "provider", "target_id", "action", "reversible", "status", "error", "executed_at"),
        format,
        title=f"Revocation {data['id']} steps",
    )


# --- nhi restore -------------------------------------------------------------------------------
def restore(
    ctx: typer.Context,
    revocation_id: Annotated[int, typer.Argument(help="The revocation to undo (see `nhi revoke log`).")],
    yes: YesOption = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would be restored; change nothing.")] = False,
    reason: ReasonOption = None,
    operator: OperatorOption = None,
    demo: DemoOption = False,
    profile: ProfileOption = None,
    format: FormatOption = Format.table,
) -> None:
    """Undo the reversible steps of a revocation (reactivate keys, remove deny policies, put the old
    trust policy back) and record that. Irreversible steps are listed, not undone. The plan shows
    each document restore will write; an entry whose log MAC fails is refused.

    Example: nhi restore 3 --reason "false alarm" --yes
    """
    st = cli_context(ctx)
    if format is Format.csv:
        raise NhiError("--format must be table or json", ExitCode.USAGE)
    with _session(st, demo, st.config_path, profile, operator) as session:
        restoring = session.restore_plan(revocation_id, reason)
        plan, steps = restoring.plan, restoring.plan.steps
        for r in restoring.irreversible:
            st.say(f"nhi: cannot be undone: {r['action']} on {r['target_id']}", "yellow")
        if not steps:
            st.say(f"nhi: revocation {revocation_id} has no completed reversible step; nothing to restore")
            raise typer.Exit(ExitCode.OK)
        if format is Format.table:
            print_restore_plan(st, revocation_id, steps)
        if dry_run:
            if format is Format.json:
                print_json(st.out, {"restores": revocation_id, "plan": plan.to_dict()})
            st.say("nhi: dry run; nothing was changed")
            raise typer.Exit(ExitCode.OK)
        _confirm(yes, f"Restore {len(steps)} step(s) of revocation {revocation_id}?")
        code = _execute(st, session, plan, restore_of=revocation_id, fmt=format)
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.add_typer(revoke_app, name="revoke")
    app.command("restore")(restore)
