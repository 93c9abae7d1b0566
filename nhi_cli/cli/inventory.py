"""`nhi inventory list|show`: what the inventory holds now."""
from __future__ import annotations

import json
from typing import Annotated, Optional

import typer

from nhi_cli.cli.common import ConfigOption, DbOption, state
from nhi_cli.cli.output import Format, only_table_or_json, print_json, render_rows
from nhi_cli.errors import ExitCode, NhiError

inventory_app = typer.Typer(
    help="List and show identities and credentials in the inventory.\n\nExample: nhi inventory list --provider aws",
    no_args_is_help=True)

LIST_COLUMNS = ("id", "provider", "scope", "kind", "name", "owner", "enabled", "credentials", "age_days",
                "days_since_used")


@inventory_app.command("list")
def list_identities(
    provider: Annotated[Optional[str], typer.Option("--provider", "-p", help="Only this provider.")] = None,
    kind: Annotated[Optional[str], typer.Option("--kind", "-k", help="Only this identity kind (iam_user, ...).")] = None,
    what: Annotated[str, typer.Option("--what", help="identities or credentials.")] = "identities",
    format: Annotated[Format, typer.Option("--format", "-f", help="table, json or csv.")] = Format.table,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """List identities (or credentials) in the inventory.

    Example: nhi inventory list --provider aws --kind iam_user --format json
    """
    st = state().update(db=db, config=config)
    store = st.open_store()
    try:
        if what == "credentials":
            sql = ("SELECT id, identity_id, provider, scope, kind, status, age_days, days_since_used, "
                   "days_to_expiry, key_id, hint FROM v_credentials WHERE (:p IS NULL OR provider = :p) "
                   "AND (:k IS NULL OR kind = :k) ORDER BY provider, scope, identity_id, id")
            columns = ("id", "identity_id", "provider", "scope", "kind", "status", "age_days",
                       "days_since_used", "days_to_expiry", "hint")
        elif what == "identities":
            sql = ("SELECT id, provider, scope, kind, name, owner, enabled, active_credentials AS credentials, "
                   "age_days, days_since_used FROM v_identities WHERE (:p IS NULL OR provider = :p) "
                   "AND (:k IS NULL OR kind = :k) ORDER BY provider, scope, kind, name")
            columns = LIST_COLUMNS
        else:
            raise NhiError("--what must be identities or credentials", ExitCode.USAGE)
        rows = [dict(r) for r in store.conn.execute(sql, {"p": provider, "k": kind})]
    finally:
        store.close()
    render_rows(rows, columns, format)


def _decode(row) -> dict:
    data = dict(row)
    for key in ("tags", "attrs", "condition", "conditions"):
        if isinstance(data.get(key), str):
            data[key] = json.loads(data[key])
    return data


@inventory_app.command("show")
def show(
    id: Annotated[str, typer.Argument(help="Identity or credential id (ARN, key id, email, ...).")],
    format: Annotated[Format, typer.Option("--format", "-f", help="table or json.")] = Format.table,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Show one identity or credential with its credentials, grants and trusts.

    Example: nhi inventory show arn:aws:iam::111111111111:user/support-agent
    """
    only_table_or_json(format)
    st = state().update(db=db, config=config)
    store = st.open_store()
    try:
        conn = store.conn
        identity = conn.execute("SELECT * FROM v_identities WHERE id = ?", (id,)).fetchone()
        if identity is None:
            credential = conn.execute("SELECT * FROM v_credentials WHERE id = ?", (id,)).fetchone()
            if credential is None:
                candidates = [r[0] for r in conn.execute(
                    "SELECT id FROM identity WHERE removed_at IS NULL AND (id LIKE :q OR name LIKE :q) "
                    "UNION SELECT id FROM credential WHERE removed_at IS NULL AND id LIKE :q LIMIT 10",
                    {"q": f"%{id}%"})]
                hint = f"; did you mean: {', '.join(candidates)}" if candidates else ""
                raise NhiError(f"no identity or credential {id!r} in the inventory{hint}", ExitCode.USAGE)
            identity = conn.execute("SELECT * FROM v_identities WHERE id = ?", (credential["identity_id"],)).fetchone()
            if identity is None:  # its identity was removed since: show what is known of the credential
                identity = {"id": credential["identity_id"], "provider": credential["provider"],
                            "scope": credential["scope"],
                            "name": f"{credential['identity_id']} (no longer in the inventory)"}
        data = _decode(identity)
        ident = data["id"]
        data["credentials"] = [_decode(r) for r in conn.execute(
            "SELECT * FROM v_credentials WHERE identity_id = ? ORDER BY id", (ident,))]
        data["grants"] = [_decode(r) for r in conn.execute(
            "SELECT effect, action, resource, condition, source, source_type, is_admin, is_full_wildcard, "
            "is_service_wildcard, is_privesc FROM v_grants WHERE identity_id = ? ORDER BY source, action", (ident,))]
        data["trusts"] = [_decode(r) for r in conn.execute(
            "SELECT principal_type, principal, action, conditions, requires_external_id, "
            "requires_source_identity, subject_condition FROM v_trusts WHERE identity_id = ?", (ident,))]
    finally:
        store.close()
    if format is Format.json:
        print_json(data)
        return
    from nhi_cli.reports.text import markup_safe as escape  # markup and control characters inert

    out = st.out
    out.print(f"[bold]{escape(data['name'])}[/]  {escape(data['id'])}")
    for key in ("provider", "scope", "kind", "owner", "owner_source", "enabled", "created_at", "last_used_at",
                "age_days", "days_since_used", "description"):
        if data.get(key) is not None:
            out.print(f"  {key}: {escape(str(data[key]))}", highlight=False)
    if data.get("tags"):
        out.print(f"  tags: {escape(json.dumps(data['tags']))}", highlight=False)
    render_rows(data["credentials"], ("id", "kind", "status", "age_days", "days_since_used", "days_to_expiry",
                                      "hint"), Format.table, title="Credentials")
    render_rows(data["grants"], ("effect", "action", "resource", "source", "is_admin", "is_privesc"),
                Format.table, title="Grants")
    render_rows(data["trusts"], ("principal_type", "principal", "action", "requires_external_id",
                                 "requires_source_identity", "subject_condition"), Format.table, title="Trusts")


def register(app: typer.Typer) -> None:
    app.add_typer(inventory_app, name="inventory")
