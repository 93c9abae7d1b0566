"""The `nhi` command: a Typer app with one module per command group.

Each module in COMMAND_MODULES exposes ``register(app)``. Modules import only what their
help needs; provider SDKs load when a command actually talks to a provider.
"""
from __future__ import annotations

import importlib
import os
import sys
import traceback
from typing import Annotated, Optional

import typer
from typer.exceptions import TyperException  # Typer >= 0.29 vendors click; its errors derive from this

from nhi_cli import __version__
from nhi_cli.cli.common import ConfigOption, DbOption, QuietOption, VerboseOption, reset_state, state
from nhi_cli.errors import ExitCode, NhiError
from nhi_cli.reports.text import visible  # error lines quote names: control characters made visible

COMMAND_MODULES = (
    "init", "scan", "inventory", "query", "rules", "findings", "report", "diff", "revoke", "agents", "config",
)

HELP = """Govern non-human identities and the AI agents that use them.

Every agent identity must be scoped, delegated, auditable and revocable. nhi inventories service accounts, keys, apps and tokens across providers into a local SQLite file, flags what fails those four properties, reports it, and revokes it in an emergency.

Example: nhi scan --demo && nhi report --format html --output report.html
"""


INTERRUPTED = "nhi: interrupted; the inventory is as it was before this run"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"nhi {__version__}")
        raise typer.Exit(0)


def build_app() -> typer.Typer:
    app = typer.Typer(name="nhi", help=HELP, no_args_is_help=True, add_completion=True,
                      pretty_exceptions_enable=False, context_settings={"help_option_names": ["-h", "--help"]})

    @app.callback()
    def main_options(
        db: DbOption = None,
        config: ConfigOption = None,
        quiet: QuietOption = False,
        verbose: VerboseOption = False,
        version: Annotated[Optional[bool], typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit.")] = None,
    ) -> None:
        state().update(db=db, config=config, quiet=quiet, verbose=verbose)

    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"nhi_cli.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"nhi_cli.cli.{name}":
                continue  # command group not built yet
            raise
        module.register(app)
    return app


def _flags_as_flags(command) -> None:
    """A boolean flag takes no value, so its help shows no type: Typer 0.29 prints `<bool>`
    next to every flag (`--demo <bool>`), which reads as if it wanted `--demo true`."""
    for param in command.params:
        if getattr(param, "is_flag", False) and getattr(param, "metavar", None) is None:
            param.metavar = ""
    make_help_option = command.get_help_option  # --help is made per invocation, not a param

    def get_help_option(ctx):
        option = make_help_option(ctx)
        if option is not None:
            option.metavar = ""
        return option

    command.get_help_option = get_help_option
    for sub in getattr(command, "commands", {}).values():
        _flags_as_flags(sub)


def build_command(app: typer.Typer):
    """The click command Typer builds from ``app``, with flags shown as flags."""
    command = typer.main.get_command(app)
    _flags_as_flags(command)
    return command


def _silence_library_logs() -> None:
    """SDKs (azure-identity, google-auth, botocore) log warnings; with no handler configured,
    Python prints them on stderr (logging.lastResort), so a missing Azure credential came out
    as a dozen lines before nhi's own one-line error. nhi reports failures itself; the library
    logs show only with NHI_DEBUG=1."""
    import logging

    root = logging.getLogger()
    if not root.handlers and not os.environ.get("NHI_DEBUG"):
        root.addHandler(logging.NullHandler())


def run(argv: list[str] | None = None) -> int:
    """Run nhi with ``argv``; returns the exit code. Expected errors print one line."""
    _silence_library_logs()
    st = reset_state()
    app = build_app()
    try:
        result = build_command(app)(args=argv, prog_name="nhi", standalone_mode=False)
        code = int(result) if isinstance(result, int) else 0
        if code == ExitCode.INTERRUPTED:  # Typer turns Ctrl-C into an exit code of 130
            st.err.print(INTERRUPTED, highlight=False, soft_wrap=True)
        return code
    except typer.Exit as exc:
        if exc.exit_code == ExitCode.INTERRUPTED:  # Typer turns Ctrl-C into Exit(130)
            st.err.print(INTERRUPTED, highlight=False, soft_wrap=True)
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        st.err.print(INTERRUPTED, highlight=False, soft_wrap=True)
        return ExitCode.INTERRUPTED
    except TyperException as exc:  # usage errors: bad option, missing argument
        exc.show()
        return int(exc.exit_code)
    except NhiError as exc:
        st.err.print(visible(f"nhi: error: {exc.message}"), highlight=False, markup=False, soft_wrap=True)
        return int(exc.code)
    except Exception as exc:
        from nhi_cli.errors import expected_error

        expected = expected_error(exc)
        if expected is not None and not os.environ.get("NHI_DEBUG"):
            st.err.print(visible(f"nhi: error: {expected.message}"), highlight=False, markup=False, soft_wrap=True)
            return int(expected.code)
        # A bug: one line, the traceback only on request. The exception's text is not printed:
        # it can carry a provider's raw response body (or worse); NHI_DEBUG=1 shows everything.
        if os.environ.get("NHI_DEBUG"):
            traceback.print_exc()
        st.err.print(visible(f"nhi: internal error: {type(exc).__name__} at {_where(exc)} "
                             f"(set NHI_DEBUG=1 for the details and the traceback)"),
                     highlight=False, markup=False, soft_wrap=True)
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
