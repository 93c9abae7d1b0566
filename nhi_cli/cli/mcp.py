"""`nhi mcp lock [DIR]`: the allow-list of a repository's MCP servers (connectors/mcp/lock.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from nhi_cli.errors import ConfigError, ExitCode, NhiError
from nhi_connectors.mcp.lock import write_lock

mcp_app = typer.Typer(
    help="MCP agent configs: write the allow-list (lock file) of a repository's servers.\n\n"
    "Example: nhi mcp lock . && git add nhi-mcp.lock.json",
    no_args_is_help=True,
)


@mcp_app.command("lock")
def lock(
    path: Annotated[
        Path, typer.Argument(help="The repository (or folder) whose MCP configs to lock.", show_default=False)
    ] = Path("."),
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write here instead of DIR/nhi-mcp.lock.json.", show_default=False),
    ] = None,
) -> None:
    """Write nhi-mcp.lock.json: every MCP server of the folder's configs with its command or
    URL, package and version, and a hash of its launch line (no secret, env or header value).

    Commit the file; `nhi scan --mcp-path DIR` then flags servers that are not in it
    (mcp_server_not_in_lock) and servers whose launch line changed (mcp_server_launch_changed).
    Run it again after reviewing a change to accept it.

    Exit codes: 0 written; 2 DIR is not a folder; 4 the file cannot be written.

    Example: nhi mcp lock . && git add nhi-mcp.lock.json
    """
    if not path.is_dir():
        raise ConfigError(f"{path}: not a folder (nhi mcp lock takes the repository's folder)")
    try:
        result = write_lock(path.absolute(), output)
    except OSError as exc:
        raise NhiError(f"{output or path}: cannot write the lock file ({exc.strerror})", ExitCode.CANNOT_RUN) from None
    for file, code in result.problems:
        print(f"nhi: {file}: not locked ({code})", file=sys.stderr)
    print(
        f"nhi: locked {result.servers} MCP server(s) from {result.files} config file(s) in {result.path}",
        file=sys.stderr,
    )
    print(json.dumps({"lock_file": str(result.path), "servers": result.servers, "files": result.files}))


def register(app: typer.Typer) -> None:
    app.add_typer(mcp_app, name="mcp")
