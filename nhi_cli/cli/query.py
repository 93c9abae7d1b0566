"""`nhi query "SQL"`: read-only SQL over the inventory and its documented views."""

from __future__ import annotations

import sqlite3
from typing import Annotated

import typer

from nhi_cli.cli.common import cli_context
from nhi_cli.cli.output import Format, render_rows
from nhi_cli.errors import ExitCode, NhiError
from nhi_cli.store import limits, queries
from nhi_cli.store.db import db_errors


def query(
    ctx: typer.Context,
    sql: Annotated[str, typer.Argument(help="A SELECT over the views (v_identities, v_credentials, ...).")],
    format: Annotated[Format, typer.Option("--format", "-f", help="table, json or csv.")] = Format.table,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            min=0.001,
            help="Stop the query after this many seconds (default 60, or NHI_QUERY_TIMEOUT).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run a read-only SQL query against the inventory.

    The connection cannot write: INSERT, UPDATE or DELETE fail with a clear error, and so do
    ATTACH and VACUUM INTO (on PostgreSQL: server file, program and session functions, and a
    second statement). A query stops at its deadline (--timeout; statement_timeout on
    PostgreSQL) or on Ctrl-C.

    Example: nhi query "SELECT identity_name, id, age_days FROM v_credentials WHERE age_days > 90" -f csv
    """
    st = cli_context(ctx)
    seconds = timeout or limits.timeout_from_env(limits.QUERY_TIMEOUT_ENV, limits.DEFAULT_QUERY_TIMEOUT)
    setting = "--timeout or NHI_QUERY_TIMEOUT"
    store = st.open_store()
    conn = store.readonly()
    limits.guard_query(conn)
    try:
        if isinstance(conn, sqlite3.Connection):
            with limits.Deadline(seconds, "the query", setting).stepping(conn):
                columns, rows = queries.user_query(conn, sql)
        else:
            from nhi_cli.store import pg_query  # lazy: psycopg only for a PostgreSQL inventory

            columns, rows = pg_query.user_query(conn, sql, seconds, setting)
    except db_errors() as exc:
        hint = " (nhi query is read-only: no writes, ATTACH or VACUUM INTO)" if "not authorized" in str(exc) else ""
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]  # PostgreSQL adds LINE/HINT lines
        raise NhiError(f"query failed: {first}{hint}", ExitCode.USAGE) from None
    finally:
        conn.close()
        store.close()
    render_rows(st.out, rows, columns, format)


def register(app: typer.Typer) -> None:
    app.command("query")(query)
