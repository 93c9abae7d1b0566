"""`nhi fix mcp [PATH...]`: move plaintext secrets of MCP configs into references
(connectors/mcp/fix.py plans, fix_apply.py writes; this module parses options and renders)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from nhi_cli.errors import ConfigError, ExitCode, NhiError
from nhi_cli.text import visible
from nhi_connectors.mcp import fix_apply
from nhi_connectors.mcp.discovery import git_root, locations
from nhi_connectors.mcp.fix import FilePlan

fix_app = typer.Typer(
    help="Fix agent configs in place: move plaintext secrets in MCP configs into the clients' references.\n\n"
    "Example: nhi fix mcp .cursor/mcp.json --secrets-file ~/.nhi-mcp.env --yes",
    no_args_is_help=True,
)


def _say(line: str) -> None:
    print(visible(f"nhi: {line}"), file=sys.stderr)


@fix_app.command("mcp")
def mcp(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Config files or folders (searched for project configs). Default: your own clients' configs.",
            show_default=False,
        ),
    ] = None,
    secrets_file: Annotated[
        Path | None,
        typer.Option(
            "--secrets-file",
            help="Write the values here as `export NAME='value'` lines (created 0600; an existing file is added to).",
            show_default=False,
        ),
    ] = None,
    keychain: Annotated[
        bool, typer.Option("--keychain", help="Store the values in the OS keychain (service nhi-mcp; needs keyring).")
    ] = False,
    print_exports: Annotated[
        bool,
        typer.Option(
            "--print-exports", help="Print the `export NAME='value'` lines on stdout (the diff goes to stderr)."
        ),
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Write: store the values, then rewrite the configs.")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the diff only (the default without --yes).")] = False,
) -> None:
    """Rewrite each plaintext secret the scan finds in MCP configs into the client's own
    reference form: ${VAR} (Claude Code, Gemini CLI), ${env:VAR} (Cursor, Windsurf), an
    ${input:id} password prompt (VS Code), env_vars, env_http_headers or bearer_token_env_var
    (Codex). A client or field with no reference form is refused with the reason, never given
    an invented one.

    Shows the diff (secret values as ****) and writes nothing unless --yes. With --yes the
    values go once to --secrets-file, --keychain or --print-exports, then each config keeps a
    .bak (same mode) and is replaced atomically; comments, trailing commas and a BOM stay. A
    file that does not read back as the same document with only the secrets changed is refused.

    Exit codes: 0 every secret found was moved (or would be); 3 some file or secret was
    refused (the others were done); 2 bad arguments; 4 a file or the keychain cannot be written.

    Example: nhi fix mcp .mcp.json --secrets-file ~/.config/nhi/mcp.env --yes
    """
    write = yes and not dry_run
    env_dirs = {var: Path(os.environ[var]) for var in locations.ENV_DIRS if os.environ.get(var)}
    try:
        plans, variables = fix_apply.plan_all(list(paths or []), Path.home(), env_dirs)
    except fix_apply.FixError as exc:
        raise ConfigError(str(exc)) from None
    diff_out = sys.stderr if print_exports else sys.stdout
    refused = 0
    for plan in plans:
        if plan.problem:
            refused += 1
            _say(f"{plan.display}: not rewritten: {plan.problem}")
        for item in plan.refused:
            refused += 1
            _say(f"{plan.display}#{item.server}: {item.place}: not rewritten: {item.reason}")
        if plan.changed:  # the file's own text: a hostile one may hold terminal escapes
            print(visible(plan.diff(), oneline=False), end="", file=diff_out)
    todo = [plan for plan in plans if plan.changed]
    moved = sum(len(plan.changes) for plan in todo)
    pairs = [pair for pair in variables.pairs() if any(c.variable == pair[0] for p in todo for c in p.changes)]
    if not write:
        _say(f"dry run: {moved} secret(s) in {len(todo)} file(s) would be moved; nothing written (--yes writes)")
    elif todo:
        if not (secrets_file or keychain or print_exports):
            raise ConfigError("--yes needs a place for the values: --secrets-file PATH, --keychain or --print-exports")
        _write(todo, pairs, secrets_file, keychain, print_exports)
        _say(
            f"moved {moved} secret(s) in {len(todo)} file(s); each original is kept as <file>.bak, "
            "which still holds the secrets: delete it once the clients work"
        )
    else:
        _say("nothing to rewrite")
    if refused:
        raise typer.Exit(ExitCode.INCOMPLETE)


def _write(
    todo: list[FilePlan], pairs: list[tuple[str, str]], secrets_file: Path | None, keychain: bool, exports: bool
) -> None:
    try:
        if secrets_file is not None:
            how = fix_apply.write_secrets_file(secrets_file.expanduser(), pairs)
            _say(f"{len(pairs)} value(s) {how} {secrets_file} (mode 0600): source it before starting the clients")
            tree = git_root(Path(os.path.abspath(secrets_file.expanduser())))
            if tree is not None:
                _say(f"warning: {secrets_file} is inside the git work tree {tree}: keep it out of commits (.gitignore)")
        if keychain:
            fix_apply.store_keychain(pairs)
            _say(
                f"{len(pairs)} value(s) stored in the OS keychain (service {fix_apply.KEYCHAIN_SERVICE}, "
                "one entry per variable name)"
            )
        if exports:
            for line in fix_apply.export_lines(pairs):
                print(line)
        for plan in todo:
            backup = fix_apply.write_plan(plan)
            _say(f"{plan.display}: rewritten ({len(plan.changes)} secret(s)); original kept as {backup.name}")
    except fix_apply.FixError as exc:
        raise NhiError(str(exc), ExitCode.CANNOT_RUN) from None


def register(app: typer.Typer) -> None:
    app.add_typer(fix_app, name="fix")
