"""Options and state shared by every command: where the inventory and config are, output."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console

if TYPE_CHECKING:  # pydantic and yaml load when a command reads nhi.yaml, not for `nhi --help`
    from nhi_cli.config import Config

# A str, not a Path: a PostgreSQL URL (postgresql://...) must reach the store intact.
DbOption = Annotated[Optional[str], typer.Option(
    "--db", envvar="NHI_DB", show_default=False,
    help="Inventory: a SQLite file (default ./nhi.db, or `db:` in nhi.yaml) or postgresql://user@host/db.")]
ConfigOption = Annotated[Optional[Path], typer.Option(
    "--config", "-c", envvar="NHI_CONFIG", help="nhi.yaml to use, trusted (default: ~/.config/nhi/nhi.yaml, then ./nhi.yaml with "
    "only its safe settings; see 'Trust model' in the README).", show_default=False)]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress or messages on stderr; errors and the reason a scope failed still show.")]
VerboseOption = Annotated[bool, typer.Option("--verbose", "-v", help="More detail, such as API calls per scope.")]


@dataclass
class State:
    db: str | Path | None = None
    config_path: Path | None = None
    quiet: bool = False
    verbose: bool = False
    _config: Config | None = field(default=None, repr=False)
    out: Console = field(default_factory=lambda: Console(soft_wrap=True))
    err: Console = field(default_factory=lambda: Console(stderr=True))

    def update(self, *, db: str | Path | None = None, config: Path | None = None, quiet: bool = False,
               verbose: bool = False) -> "State":
        if db is not None:
            self.db = db
        if config is not None:
            self.config_path = config
            self._config = None
        self.quiet = self.quiet or quiet
        self.verbose = self.verbose or verbose
        return self

    @property
    def config(self) -> Config:
        if self._config is None:
            from nhi_cli.config import load_config

            self._config = load_config(self.config_path)
            if self._config.held_back:
                self.say(f"nhi: note: {self._config.source} was found in the working directory and is not trusted; "
                         f"not applied: {', '.join(self._config.held_back)} (pass --config "
                         f"{self._config.source} to use it; see 'Trust model' in the README)")
        return self._config

    def use_config(self, config: Config) -> None:
        self._config = config

    def db_path(self) -> str | Path:
        """The inventory: a Path to a SQLite file, or a postgresql:// URL as given."""
        target = self.db if self.db is not None else self.config.db
        if target is None:
            target = os.environ.get("NHI_DB") or "nhi.db"
        if isinstance(target, str) and target.startswith(("postgresql://", "postgres://")):
            return target
        return Path(target)

    def open_store(self, create: bool = False):
        from nhi_cli.store import open_store

        return open_store(self.db_path(), create=create)

    def say(self, message: str, style: str | None = None) -> None:
        """A message for people: stderr, silent with --quiet. Never parsed as markup, and
        control characters shown as escapes: messages quote names from the inventory."""
        if not self.quiet:
            from nhi_cli.reports.text import visible

            self.err.print(visible(message, oneline=False), style=style, highlight=False, markup=False,
                           soft_wrap=True)

    @property
    def interactive(self) -> bool:
        return self.err.is_terminal and not self.quiet


_state: State | None = None


def state() -> State:
    global _state
    if _state is None:
        _state = State()
    return _state


def reset_state() -> State:
    """A fresh state per invocation: consoles bind to the current stdout/stderr."""
    global _state
    _state = State()
    return _state
