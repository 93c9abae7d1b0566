"""`nhi agents list|show`: every AI agent, who it acts for, and its four-property scorecard."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import typer
from rich.table import Table

from nhi_cli.agents.delegation import DELEGATION_KINDS
from nhi_cli.agents.scorecard import PROPERTIES, agent_detail, agent_rows
from nhi_cli.cli.common import CliContext, cli_context
from nhi_cli.cli.output import Format, only_table_or_json, print_json, render_rows
from nhi_cli.errors import ExitCode, NhiError
from nhi_cli.store import queries
from nhi_cli.store.interface import Inventory
from nhi_cli.text import markup_safe as escape

agents_app = typer.Typer(
    help="AI agents found in the inventory: identities, credentials, delegation, scorecard.\n\n"
    "Example: nhi agents show ops-copilot",
    no_args_is_help=True,
)

MARK = {True: "[green]pass[/]", False: "[red]FAIL[/]"}
# which failing kind of delegation, next to the delegated cell (pass needs no word)
DELEGATION_SHORT = {"person_not_recorded": "person, not recorded", "no_person": "no person", "unknown": "unknown"}


def _delegated(a: dict[str, Any], mark: str) -> str:
    return f"{mark}{_kind(a)}" if not a["scorecard"]["delegated"]["pass"] else mark


def _kind(a: dict[str, Any]) -> str:
    kind = DELEGATION_SHORT.get(a.get("delegation_kind") or "")
    return f" ({kind})" if kind else ""


def _distribution(rows: list[dict[str, Any]]) -> str:
    counts = {kind: sum(1 for a in rows if a.get("delegation_kind") == kind) for kind in DELEGATION_KINDS}
    return "delegation: " + "; ".join(f"{n} {DELEGATION_KINDS[kind]}" for kind, n in counts.items()) + "."


def _open(ctx: typer.Context) -> tuple[CliContext, Inventory]:
    st = cli_context(ctx)
    store = st.open_store()
    return st, store


@agents_app.command("list")
def list_agents(
    ctx: typer.Context,
    format: Annotated[Format, typer.Option("--format", "-f", help="table, json or csv.")] = Format.table,
) -> None:
    """List every agent with its owner, who it acts for and its scorecard.

    Example: nhi agents list --format json
    """

    st, store = _open(ctx)
    try:
        rows = agent_rows(store.conn)
    finally:
        store.close()
    if format is Format.json:
        print_json(st.out, rows)
        return
    if format is Format.csv:  # one row per agent, the scorecard as pass/FAIL columns
        flat = [
            {
                "agent": a["name"],
                "confidence": a["confidence"],
                "providers": ",".join(a["providers_list"]),
                "owner": a["owner"],
                "owner_status": a["owner_status"],
                "acts_for": a["acts_for"],
                **{p: "pass" if a["scorecard"][p]["pass"] else "FAIL" for p in PROPERTIES},
                "delegation_kind": a["delegation_kind"],
                "evidence": a.get("evidence"),
            }
            for a in rows
        ]
        render_rows(
            st.out,
            flat,
            ("agent", "confidence", "providers", "owner", "owner_status", "acts_for")
            + PROPERTIES
            + ("delegation_kind", "evidence"),
            Format.csv,
        )
        return

    def owner_of(a: dict[str, Any]) -> str:
        owner = a["owner"] or "-"
        if a["owner_status"] in ("left", "not_in_directory"):
            owner += f" ({a['owner_status'].replace('_', ' ')})"
        return owner

    if st.out.width < 120:  # an 80-column log: one agent per two or three lines, not ten squeezed columns
        st.out.print(f"[bold]{len(rows)} agents[/]", highlight=False)
        for a in rows:
            st.out.print(
                f"[bold]{escape(a['name'])}[/] ({a['confidence']})  owner {escape(owner_of(a))}  "
                f"acts for {escape(a['acts_for'] or '-')}{_kind(a)}  on {escape(','.join(a['providers_list']))}",
                highlight=False,
            )
            st.out.print(
                "    " + "  ".join(f"{p} {MARK[a['scorecard'][p]['pass']]}" for p in PROPERTIES), highlight=False
            )
            if a.get("evidence"):
                st.out.print(f"    evidence: {escape(a['evidence'])}", highlight=False)
    else:
        table = Table(title="Agents", header_style="bold")
        for column in ("agent", "confidence", "providers", "owner", "acts for") + PROPERTIES:
            table.add_column(column, overflow="fold")
        for a in rows:
            table.add_row(
                escape(a["name"]),
                a["confidence"],
                ",".join(a["providers_list"]),
                escape(owner_of(a)),
                escape(a["acts_for"] or "-"),
                *(
                    _delegated(a, MARK[a["scorecard"][p]["pass"]])
                    if p == "delegated"
                    else MARK[a["scorecard"][p]["pass"]]
                    for p in PROPERTIES
                ),
            )
        st.out.print(table)
        # the strongest evidence there is, said once below the table (a column would squeeze it)
        registered = [f"{a['name']} ({a['evidence'].split('(', 1)[-1].rstrip(')')})" for a in rows
                      if (a.get("evidence") or "").startswith("registered by the platform")]  # fmt: skip
        if registered:
            st.out.print("Registered by the platform: " + ", ".join(registered), highlight=False, markup=False)
    if rows:
        st.out.print(_distribution(rows), highlight=False, markup=False)
    if not rows:
        st.say("no agents found; name yours under `agents:` in nhi.yaml or tag them nhi:agent")


@agents_app.command("show")
def show_agent(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Agent name, as `nhi agents list` shows it.")],
    format: Annotated[Format, typer.Option("--format", "-f", help="table or json.")] = Format.table,
) -> None:
    """Show one agent: identities, credentials and where they were found, scorecard, findings.

    Example: nhi agents show ops-copilot --format json
    """

    only_table_or_json(format)
    st, store = _open(ctx)
    try:
        agent = agent_detail(store.conn, name)
        if agent is None:
            names = queries.agent_names(store.conn)
            raise NhiError(f"no agent named {name!r}; agents: {', '.join(names) or 'none'}", ExitCode.USAGE)
    finally:
        store.close()
    if format is Format.json:
        print_json(st.out, agent)
        return
    _print_agent(st, agent, PROPERTIES)


def _print_agent(st: CliContext, agent: dict[str, Any], properties: Sequence[str]) -> None:
    out = st.out
    out.print(f"[bold]{escape(agent['name'])}[/]  ({agent['source']}, confidence {agent['confidence']})")
    owner = agent["owner"] or "none"
    out.print(
        f"  owner: {escape(owner)} [{agent['owner_status']}]"
        + (
            f" from {escape(agent['owner_source'])} ({agent['owner_confidence']} confidence)"
            if agent["owner_source"]
            else ""
        ),
        highlight=False,
    )
    out.print(
        f"  acts for: {escape(agent['acts_for'] or 'unknown')}; delegation {agent['delegation']}", highlight=False
    )
    card = Table(title="Scorecard", header_style="bold")
    card.add_column("property")
    card.add_column("result")
    card.add_column("why", overflow="fold")
    for prop in properties:
        entry = agent["scorecard"][prop]
        card.add_row(prop, MARK[entry["pass"]], escape("\n".join(entry["reasons"]) or "-"))
    out.print(card)
    ids = Table(title="Identities", header_style="bold")
    for column in ("provider", "kind", "identity", "evidence"):
        ids.add_column(column, overflow="fold")
    for i in agent["identities"]:
        ids.add_row(
            i["provider"],
            i["identity_kind"],
            escape(i["identity_id"]),
            escape("; ".join(f"{e['detail']} [{e['strength']}]" for e in i["evidence"])),
        )
    out.print(ids)
    if agent.get("reach"):
        out.print("  reach: " + "; ".join(escape(r) for r in agent["reach"]), highlight=False)
    for chain in agent.get("chains") or []:  # deployment -> service account -> cloud role
        hops = [
            f"{h['kind']} {escape(h['name'] or h['id'])} ({h['provider']})"
            + (escape(" [admin]") if h.get("admin") else "")
            for h in chain
        ]
        text = hops[0] + "".join(f" --{escape(h['how'])}--> {hop}" for h, hop in zip(chain[1:], hops[1:], strict=True))
        out.print(f"Runtime chain: {text}", highlight=False)
    creds = Table(title="Credentials", header_style="bold")
    for column in ("provider", "kind", "credential", "status", "age", "found in"):
        creds.add_column(column, overflow="fold")
    for c in agent["credentials"]:
        where = "; ".join(f"{loc['location']} {loc['context']}".strip() for loc in c["locations"]) or "-"
        creds.add_row(
            c["provider"],
            c["kind"],
            escape(c["credential_id"]),
            c["status"],
            "" if c["age_days"] is None else f"{c['age_days']}d",
            escape(where),
        )
    out.print(creds)
    if agent["findings"]:
        findings = Table(title="Findings", header_style="bold")
        for column in ("severity", "rule", "resource", "reason"):
            findings.add_column(column, overflow="fold")
        for f in agent["findings"]:
            findings.add_row(
                f["severity"], f["rule_id"], escape(f["resource_name"] or f["resource_id"]), escape(f["reason"])
            )
        out.print(findings)
    out.print(f"Kill switch: [bold]{escape(agent['revoke_command'])}[/] (add --dry-run to see the plan)")


def register(app: typer.Typer) -> None:
    app.add_typer(agents_app, name="agents")
