"""The invocation context every command reads: inventory and config paths, output consoles.

The root callback builds one ``CliContext`` per run into Typer's ``ctx.obj``; a command takes
``ctx: typer.Context`` and reads it with ``cli_context(ctx)``. There is no module-level state.

The global options (--db, --config, --quiet, --verbose) are declared once, on the root
callback (cli/app.py). ``share_global_options`` gives every command a copy of those
declarations, so ``nhi scan --db x`` and ``nhi --db x scan`` mean the same; the copies read no
environment variable, so NHI_DB and NHI_CONFIG are read once, by the root.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from nhi_cli.store import PostgresStore, Store, open_store
from nhi_cli.store.interface import DbConnection
from nhi_cli.text import visible

if TYPE_CHECKING:  # pydantic and yaml load when a command reads nhi.yaml, not for `nhi --help`
    from nhi_cli.config import Config

# A str, not a Path: a PostgreSQL URL (postgresql://...) must reach the store intact.
DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="NHI_DB",
        show_default=False,
        help="Inventory: a SQLite file (default ./nhi.db, or `db:` in nhi.yaml) or postgresql://user@host/db.",
    ),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        envvar="NHI_CONFIG",
        help="nhi.yaml to use, trusted (default: ~/.config/nhi/nhi.yaml, then ./nhi.yaml with only its safe "
        "settings; see 'Trust model' in the README).",
        show_default=False,
    ),
]
QuietOption = Annotated[
    bool,
    typer.Option(
        "--quiet", "-q", help="No progress or messages on stderr; errors and the reason a scope failed still show."
    ),
]
VerboseOption = Annotated[bool, typer.Option("--verbose", "-v", help="More detail, such as API calls per scope.")]

# root callback parameter name -> CliContext field
GLOBAL_OPTIONS = {"db": "db", "config": "config_path", "quiet": "quiet", "verbose": "verbose"}
DEFAULT_DB = Path("nhi.db")


@dataclass
class CliContext:
    """What one `nhi` invocation was asked for, and where it writes."""

    db: str | None = None  # --db or NHI_DB: a SQLite file or a postgresql:// URL
    config_path: Path | None = None  # --config or NHI_CONFIG
    quiet: bool = False
    verbose: bool = False
    out: Console = field(default_factory=lambda: Console(soft_wrap=True))
    err: Console = field(default_factory=lambda: Console(stderr=True))
    _config: Config | None = field(default=None, repr=False)

    def merge(self, name: str, value: Any) -> None:
        """A global option given after the command: a path replaces, a flag adds."""
        if name in ("quiet", "verbose"):
            setattr(self, name, getattr(self, name) or bool(value))
        elif value is not None:
            setattr(self, name, value)
            if name == "config_path":
                self._config = None

    @property
    def config(self) -> Config:
        if self._config is None:
            # lazy: pydantic and yaml load when a command reads nhi.yaml, not for `nhi --help`
            from nhi_cli.config import load_config

            self._config = load_config(self.config_path)
            if self._config.held_back:
                self.say(
                    f"nhi: note: {self._config.source} was found in the working directory and is not trusted; "
                    f"not applied: {', '.join(self._config.held_back)} (pass --config "
                    f"{self._config.source} to use it; see 'Trust model' in the README)"
                )
        return self._config

    def use_config(self, config: Config) -> None:
        self._config = config

    def db_path(self) -> str | Path:
        """--db (or NHI_DB), else `db:` in nhi.yaml, else ./nhi.db: a Path to a SQLite file, or a
        postgresql:// URL as given."""
        target = self.db if self.db is not None else self.config.db
        if target is None:
            return DEFAULT_DB
        if target.startswith(("postgresql://", "postgres://")):
            return target
        return Path(target)

    def open_store(self, create: bool = False) -> Store | PostgresStore:
        return open_store(self.db_path(), create=create)

    @contextmanager
    def reading(self) -> Iterator[DbConnection]:
        """The inventory for reading only (``readonly()``: no writes, no secrets) during the
        block; the connection and the store are closed after it."""
        store = self.open_store()
        try:
            conn = store.readonly()
            try:
                yield conn
            finally:
                conn.close()
        finally:
            store.close()

    def say(self, message: str, style: str | None = None) -> None:
        """A message for people: stderr, silent with --quiet. Never parsed as markup, and
        control characters shown as escapes: messages quote names from the inventory."""
        if not self.quiet:
            self.err.print(visible(message, oneline=False), style=style, highlight=False, markup=False, soft_wrap=True)

    @property
    def interactive(self) -> bool:
        return self.err.is_terminal and not self.quiet


def cli_context(ctx: typer.Context) -> CliContext:
    """The invocation's context, built by the root callback."""
    found = ctx.find_object(CliContext)
    if found is None:  # a command invoked without the root app (a bug, not a user error)
        raise RuntimeError("nhi command run without the root callback's context")
    return found


def _merge_global(ctx: Any, param: Any, value: Any) -> Any:
    if not ctx.resilient_parsing:
        found = ctx.find_object(CliContext)
        if found is not None:
            found.merge(GLOBAL_OPTIONS[param.name], value)
    return value


def share_global_options(root_params: list[Any], command: Any) -> None:
    """Give ``command`` (every command, if it is a group) a copy of the root's global options."""
    shared = [p for p in root_params if p.name in GLOBAL_OPTIONS]
    stack = [command]
    while stack:
        command = stack.pop()
        sub = getattr(command, "commands", None)
        if sub is not None:
            stack.extend(sub.values())
            continue
        for param in shared:
            twin = copy.copy(param)
            twin.envvar = None  # read once, by the root
            twin.expose_value = False
            twin.callback = _merge_global
            twin.rich_help_panel = "Global options"
            command.params.append(twin)
