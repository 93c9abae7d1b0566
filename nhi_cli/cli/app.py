"""The `nhi` command: a Typer app with one module per command group.

Each command module exposes ``register(app)``. The root group loads a command's module only
when that command runs (or shows its own help): `nhi --help` lists the summaries in COMMANDS
without importing any command, and `nhi query` does not pay for the scan's imports. Below this
boundary every module imports at its top; provider SDKs load inside connectors.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import traceback
from collections.abc import Iterator, Mapping
from typing import Annotated, Any

import typer
from rich.console import Console
from typer import _click as click  # Typer >= 0.29 vendors click: its types are these
from typer.core import TyperCommand, TyperGroup

from nhi_cli import __version__
from nhi_cli.cli.common import (
    CliContext,
    ConfigOption,
    DbOption,
    QuietOption,
    VerboseOption,
    share_global_options,
)
from nhi_cli.errors import ExitCode, NhiError, expected_error
from nhi_cli.text import visible  # error lines quote names: control characters made visible

# command -> (module under nhi_cli/cli/ that registers it, the summary `nhi --help` lists).
# tests/core/test_cli.py checks each summary against the command's own help.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("init", "Write a commented nhi.yaml for the providers whose credentials are found here."),
    "scan": ("scan", "Scan providers into the inventory."),
    "inventory": ("inventory", "List and show identities and credentials in the inventory."),
    "query": ("query", "Run a read-only SQL query against the inventory."),
    "rules": ("rules", "The rules nhi evaluates: list, show, and test them."),
    "evaluate": ("scan", "Evaluate agents, rules and findings once over the whole inventory (after shard scans)."),
    "findings": ("findings", "Findings from the rules: list them, write a CI baseline."),
    "report": (
        "report",
        "Render a scan from the inventory, never from a live scan, so any past scan can be reported again.",
    ),
    "diff": (
        "diff",
        "Compare two scans: identities and credentials that appeared, disappeared or changed "
        "(and which attributes), and findings new and resolved.",
    ),
    "revoke": ("revoke", "Revoke credentials and identities now; `nhi revoke log` lists attempts."),
    "restore": (
        "revoke",
        "Undo the reversible steps of a revocation (reactivate keys, remove deny policies, "
        "put the old trust policy back) and record that. Irreversible steps are listed, not undone. "
        "The plan shows each document restore will write; an entry whose log MAC fails is refused.",
    ),
    "notify": ("notify", "Post a summary of a scan's new and resolved findings to Slack and Microsoft Teams."),
    "export": ("export", "Send findings to AWS Security Hub (ASFF) or Jira (one issue per fix-first item)."),
    "agents": ("agents", "AI agents found in the inventory: identities, credentials, delegation, scorecard."),
    "config": ("config", "Check the configuration file (nhi.yaml)."),
    "mcp": ("mcp", "MCP agent configs: write the allow-list (lock file) of a repository's servers."),
    "fix": ("fix", "Fix agent configs in place: move plaintext secrets in MCP configs into the clients' references."),
}

# One line per paragraph: Typer keeps the line breaks of help text.
HELP = (
    "Govern non-human identities and the AI agents that use them.\n\n"
    "Every agent identity must be scoped, delegated, auditable and revocable. nhi inventories service accounts, "
    "keys, apps and tokens across providers into a local SQLite file, flags what fails those four properties, "
    "reports it, and revokes it in an emergency.\n\n"
    "Example: nhi scan --demo && nhi report --format html --output report.html\n"
)


INTERRUPTED = "nhi: interrupted; the inventory is as it was before this run"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"nhi {__version__}")
        raise typer.Exit(0)


def load_command(name: str, shared: list[click.Parameter]) -> click.Command:
    """Import the module of command ``name`` and build its click command, with the root's
    global options ``shared`` (cli/common.py)."""
    module = importlib.import_module(f"nhi_cli.cli.{COMMANDS[name][0]}")
    holder = typer.Typer()
    holder.callback()(lambda: None)  # a group even when the module registers a single command
    module.register(holder)
    holder_group = typer.main.get_command(holder)
    assert isinstance(holder_group, TyperGroup)
    command = holder_group.commands[name]
    share_global_options(shared, command)
    _flags_as_flags(command)
    return command


class _LazyCommands(Mapping[str, click.Command]):
    """The root's commands by name, each built on first access."""

    def __init__(self, shared: list[click.Parameter]):
        self._shared = shared
        self._loaded: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in COMMANDS:
            raise KeyError(name)
        if name not in self._loaded:
            self._loaded[name] = load_command(name, self._shared)
        return self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS)


class LazyGroup(TyperGroup):
    """The root group: commands load when resolved; its help lists COMMANDS' summaries."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.commands = _LazyCommands(self.params)  # type: ignore[assignment]
        self._listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        if self._listing:
            return TyperCommand(cmd_name, short_help=COMMANDS[cmd_name][1])
        return self.commands[cmd_name]

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="nhi",
        cls=LazyGroup,
        help=HELP,
        no_args_is_help=True,
        add_completion=True,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @app.callback()
    def main_options(
        ctx: typer.Context,
        db: DbOption = None,
        config: ConfigOption = None,
        quiet: QuietOption = False,
        verbose: VerboseOption = False,
        version: Annotated[
            bool | None, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
        ] = None,
    ) -> None:
        ctx.obj = CliContext(db=db, config_path=config, quiet=quiet, verbose=verbose)

    return app


def _flags_as_flags(command: click.Command, *, recurse: bool = True) -> None:
    """A boolean flag takes no value, so its help shows no type: Typer 0.29 prints `<bool>`
    next to every flag (`--demo <bool>`), which reads as if it wanted `--demo true`."""
    for param in command.params:
        if getattr(param, "is_flag", False) and getattr(param, "metavar", None) is None:
            param.metavar = ""
    make_help_option = command.get_help_option  # --help is made per invocation, not a param

    def get_help_option(ctx: click.Context) -> Any:
        option = make_help_option(ctx)
        if option is not None:
            option.metavar = ""
        return option

    command.get_help_option = get_help_option  # type: ignore[method-assign]
    if recurse:
        for sub in getattr(command, "commands", {}).values():
            _flags_as_flags(sub)


def build_command() -> LazyGroup:
    """The click command `nhi` runs (each command gets its flags shown as flags as it loads)."""
    command = typer.main.get_command(build_app())
    assert isinstance(command, LazyGroup)
    _flags_as_flags(command, recurse=False)
    return command


def _silence_library_logs() -> None:
    """SDKs (azure-identity, google-auth, botocore) log warnings; with no handler configured,
    Python prints them on stderr (logging.lastResort), so a missing Azure credential came out
    as a dozen lines before nhi's own one-line error. nhi reports failures itself; the library
    logs show only with NHI_DEBUG=1."""
    root = logging.getLogger()
    if not root.handlers and not os.environ.get("NHI_DEBUG"):
        root.addHandler(logging.NullHandler())


def run(argv: list[str] | None = None) -> int:
    """Run nhi with ``argv``; returns the exit code. Expected errors print one line."""
    _silence_library_logs()
    err = Console(stderr=True)  # errors print whatever state the run got to
    command = build_command()
    try:
        result = command.main(args=argv, prog_name="nhi", standalone_mode=False)
        code = int(result) if isinstance(result, int) else 0
        if code == ExitCode.INTERRUPTED:  # Typer turns Ctrl-C into an exit code of 130
            err.print(INTERRUPTED, highlight=False, soft_wrap=True)
        return code
    except typer.Exit as exc:
        if exc.exit_code == ExitCode.INTERRUPTED:  # Typer turns Ctrl-C into Exit(130)
            err.print(INTERRUPTED, highlight=False, soft_wrap=True)
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        err.print(INTERRUPTED, highlight=False, soft_wrap=True)
        return ExitCode.INTERRUPTED
    except click.ClickException as exc:  # usage errors: bad option, missing argument
        exc.show()
        return int(exc.exit_code)
    except NhiError as exc:
        err.print(visible(f"nhi: error: {exc.message}"), highlight=False, markup=False, soft_wrap=True)
        return int(exc.code)
    except Exception as exc:
        expected = expected_error(exc)
        if expected is not None and not os.environ.get("NHI_DEBUG"):
            err.print(visible(f"nhi: error: {expected.message}"), highlight=False, markup=False, soft_wrap=True)
            return int(expected.code)
        # A bug: one line, the traceback only on request. The exception's text is not printed:
        # it can carry a provider's raw response body (or worse); NHI_DEBUG=1 shows everything.
        if os.environ.get("NHI_DEBUG"):
            traceback.print_exc()
        err.print(
            visible(
                f"nhi: internal error: {type(exc).__name__} at {_where(exc)} "
                f"(set NHI_DEBUG=1 for the details and the traceback)"
            ),
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        return ExitCode.CANNOT_RUN


def _where(exc: BaseException) -> str:
    """module:line of the innermost frame of nhi's own code: enough for a bug report."""
    where = "?"
    for frame, line in traceback.walk_tb(exc.__traceback__):
        module = frame.f_globals.get("__name__", "")
        if module.startswith(("nhi_cli", "nhi_connectors")):
            where = f"{module}:{line}"
    return where


def main() -> None:
    code = run(sys.argv[1:])
    sys.stdout.flush()
    sys.exit(code)
