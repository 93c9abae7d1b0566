"""`nhi inventory list|show`: what the inventory holds now."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from nhi_cli.cli.common import cli_context
from nhi_cli.cli.output import Format, only_table_or_json, print_json, render_rows
from nhi_cli.errors import ExitCode, NhiError
from nhi_cli.revoke.resolve import _describe, _lookup
from nhi_cli.store import open_store, queries
from nhi_cli.store.push import push as push_inventory
from nhi_cli.text import markup_safe as escape

inventory_app = typer.Typer(
    help="List and show identities and credentials in the inventory.\n\nExample: nhi inventory list --provider aws",
    no_args_is_help=True,
)

LIST_COLUMNS = (
    "id",
    "provider",
    "scope",
    "kind",
    "name",
    "owner",
    "enabled",
    "credentials",
    "age_days",
    "days_since_used",
)


@inventory_app.command("list")
def list_identities(
    ctx: typer.Context,
    provider: Annotated[str | None, typer.Option("--provider", "-p", help="Only this provider.")] = None,
    kind: Annotated[str | None, typer.Option("--kind", "-k", help="Only this identity kind (iam_user, ...).")] = None,
    what: Annotated[str, typer.Option("--what", help="identities or credentials.")] = "identities",
    format: Annotated[Format, typer.Option("--format", "-f", help="table, json or csv.")] = Format.table,
) -> None:
    """List identities (or credentials) in the inventory.

    Example: nhi inventory list --provider aws --kind iam_user --format json
    """
    st = cli_context(ctx)
    store = st.open_store()
    try:
        if what == "credentials":
            rows = queries.list_credentials(store.conn, provider, kind)
            columns = (
                "id",
                "identity_id",
                "provider",
                "scope",
                "kind",
                "status",
                "age_days",
                "days_since_used",
                "days_to_expiry",
                "hint",
            )
        elif what == "identities":
            rows = queries.list_identities(store.conn, provider, kind)
            columns = LIST_COLUMNS
        else:
            raise NhiError("--what must be identities or credentials", ExitCode.USAGE)
    finally:
        store.close()
    render_rows(st.out, rows, columns, format)


@inventory_app.command("show")
def show(
    ctx: typer.Context,
    id: Annotated[
        str, typer.Argument(help="Identity or credential: id (ARN, key id, email, ...), identity name, or key hint.")
    ],
    format: Annotated[Format, typer.Option("--format", "-f", help="table or json.")] = Format.table,
) -> None:
    """Show one identity or credential with its credentials, grants and trusts.

    Accepts what `nhi revoke` accepts: an id, an identity name (ops-copilot) or a key id.

    Example: nhi inventory show ops-copilot   (or an id: arn:aws:iam::111111111111:user/support-agent)
    """
    only_table_or_json(format)
    st = cli_context(ctx)
    store = st.open_store()
    try:
        conn = store.conn
        # The lookup `nhi revoke` uses: credential or identity id, identity name, key id or hint.
        matches = _lookup(conn, id)
        if not matches:
            near = queries.similar_ids(conn, id)
            hint = f"; did you mean: {', '.join(near)}" if near else ""
            raise NhiError(f"no identity or credential {id!r} in the inventory{hint}", ExitCode.USAGE)
        if len(matches) > 1:
            raise NhiError(
                f"{id!r} names {len(matches)} records; give one id: "
                + "; ".join(_describe(kind, row) for kind, row in matches[:10]),
                ExitCode.USAGE,
            )
        kind, row = matches[0]
        if kind == "identity":
            identity = queries.identity(conn, row["id"])
        else:
            credential = row
            identity = queries.identity(conn, credential["identity_id"])
            if identity is None:  # its identity was removed since: show what is known of the credential
                identity = {
                    "id": credential["identity_id"],
                    "provider": credential["provider"],
                    "scope": credential["scope"],
                    "name": f"{credential['identity_id']} (no longer in the inventory)",
                }
        data = dict(identity or {})  # found above: matches named it
        ident = data["id"]
        data["credentials"] = queries.identity_credentials(conn, ident)
        data["grants"] = queries.identity_grants(conn, ident)
        data["trusts"] = queries.identity_trusts(conn, ident)
    finally:
        store.close()
    if format is Format.json:
        print_json(st.out, data)
        return

    out = st.out
    out.print(f"[bold]{escape(data['name'])}[/]  {escape(data['id'])}")
    for key in (
        "provider",
        "scope",
        "kind",
        "owner",
        "owner_source",
        "enabled",
        "created_at",
        "last_used_at",
        "age_days",
        "days_since_used",
        "description",
    ):
        if data.get(key) is not None:
            out.print(f"  {key}: {escape(str(data[key]))}", highlight=False)
    if data.get("tags"):
        out.print(f"  tags: {escape(json.dumps(data['tags']))}", highlight=False)
    render_rows(
        st.out,
        data["credentials"],
        ("id", "kind", "status", "age_days", "days_since_used", "days_to_expiry", "hint"),
        Format.table,
        title="Credentials",
    )
    render_rows(
        st.out,
        data["grants"],
        ("effect", "action", "resource", "source", "is_admin", "is_privesc"),
        Format.table,
        title="Grants",
    )
    render_rows(
        st.out,
        data["trusts"],
        (
            "principal_type",
            "principal",
            "action",
            "requires_external_id",
            "requires_source_identity",
            "subject_condition",
        ),
        Format.table,
        title="Trusts",
    )


@inventory_app.command("push")
def push(
    ctx: typer.Context,
    to: Annotated[
        str, typer.Option("--to", help="The shared inventory: postgresql://user@host/db (or a SQLite file).")
    ],
    format: Annotated[Format, typer.Option("--format", "-f", help="table or json.")] = Format.table,
) -> None:
    """Merge this inventory (--db) into a shared one; pushing twice adds nothing.

    Each local scan becomes a scan of the shared inventory (times, results, history and
    first-seen kept); the newest one's rows replace those of the scopes it loaded.

    Example: nhi inventory push --db laptop.db --to postgresql://nhi@db.internal/nhi
    """
    only_table_or_json(format)
    st = cli_context(ctx)
    source = st.open_store(create=False)
    try:
        target = open_store(to, create=True)
        try:
            outcome = push_inventory(source, target)
        finally:
            target.close()
    finally:
        source.close()
    data = {
        "source": outcome.source,
        "pushed_scans": outcome.pushed_scans,
        "skipped_scans": outcome.skipped_scans,
        "scopes": outcome.scopes,
        "salt_matches": outcome.salt_matches,
    }
    if not outcome.salt_matches:
        st.say(
            "nhi: warning: this inventory hashes secrets with another salt than the shared one, so a "
            "secret held on several machines is not recognised as one; set the organisation's "
            "NHI_SECRET_SALT before the first scan on every machine"
        )
    if format is Format.json:
        print_json(st.out, data)
    else:
        st.say(
            f"nhi: pushed {len(outcome.pushed_scans)} scan(s) ({outcome.scopes} scopes) as scan(s) "
            f"{', '.join(map(str, outcome.pushed_scans)) or '-'}; {outcome.skipped_scans} pushed before"
        )


def register(app: typer.Typer) -> None:
    app.add_typer(inventory_app, name="inventory")
