"""How revocation and restore plans look on a terminal (`nhi revoke`, `nhi restore`).

Targets, descriptions and blast-radius lines quote inventory text (identity names, config
paths): every piece goes through ``markup_safe`` so it can neither inject Rich markup nor move
the terminal's cursor.
"""

from __future__ import annotations

import json
from typing import Any

from nhi_cli.cli.common import CliContext
from nhi_cli.kit.connector import RevokeStep
from nhi_cli.revoke.plan import Plan
from nhi_cli.text import markup_safe as escape  # markup and control characters inert


def print_plan(st: CliContext, plan: Plan) -> None:
    out = st.out
    out.print(
        f"[bold]Revocation plan[/]: {len(plan.items)} target(s), {len(plan.steps)} step(s)"
        + (f" - reason: {escape(plan.reason)}" if plan.reason else ""),
        highlight=False,
    )
    for n, item in enumerate(plan.items, start=1):
        t, b = item.target, item.blast
        out.print(
            f"\n{n}. [bold]{escape(t.provider)}[/] {escape(str(t.scope))} {escape(str(t.kind))} "
            f"[bold]{escape(str(t.name))}[/]  {escape(t.id)}"
            + (f"  (from {escape(t.given)})" if t.given and t.given != t.id else ""),
            highlight=False,
        )
        if item.protected_by:
            out.print(f"   [red]PROTECTED[/] by `{escape(item.protected_by)}`", highlight=False)
        for line in _blast_lines(b):
            out.print(f"   {escape(line)}", highlight=False)
        for k, step in enumerate(item.steps, start=1):
            tag = "[green]reversible[/]" if step.reversible else "[red]IRREVERSIBLE[/]"
            if step.action == "unsupported":
                tag = "[yellow]NOT REVOKED[/]"
            out.print(f"   {k}) {escape(step.description)}  [{tag}]", highlight=False)
    for note in plan.notes:
        out.print(f"\n[yellow]note[/]: {escape(note)}", highlight=False)


def _blast_lines(b: dict[str, Any]) -> list[str]:
    lines = [
        f"last used: {b.get('last_used_at') or 'never (or unknown)'}; active credentials: "
        f"{b.get('active_credentials', 0)}" + (f"; owner: {b['owner']}" if b.get("owner") else "")
    ]
    power = "ADMIN / full wildcard" if b.get("admin") else f"{b.get('grants', 0)} allow grant(s)"
    if b.get("services"):
        power += f"; services: {', '.join(b['services'])}"
    if b.get("sensitive"):
        power += f"; sensitive: {', '.join(b['sensitive'])}"
    lines.append(f"can do: {power}")
    if b.get("trusted_by"):
        lines.append(f"can be assumed by: {', '.join(b['trusted_by'])}")
    if b.get("agents"):
        lines.append(f"agents: {', '.join(b['agents'])}")
    lines += [f"also used: {s}" for s in b.get("shared", [])]
    return lines


def print_restore_plan(st: CliContext, revocation_id: int, steps: list[RevokeStep]) -> None:
    """Each step with the exact data restore will write back (the previous trust policy, the
    keys it reactivates): read from the authenticated log, shown before anything is written."""
    st.out.print(f"Restore of revocation {revocation_id}: {len(steps)} step(s)", highlight=False)
    for n, step in enumerate(steps, start=1):
        st.out.print(f"   {n}) undo: {escape(step.description)}", highlight=False)
        if step.restore_data:
            text = json.dumps(step.restore_data, indent=2, sort_keys=True, default=str)
            st.out.print("      writes back: " + escape(text).replace("\n", "\n      "), highlight=False)
