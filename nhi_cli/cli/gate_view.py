"""How the CI gate's results look (`nhi scan`, `nhi rules`): the findings table on stdout, the
verdict's notes on stderr. The decisions are in nhi_cli/rules/gate.py."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from nhi_cli.cli.common import CliContext
from nhi_cli.rules.gate import GateSummary, GateVerdict
from nhi_cli.rules.loader import RuleProblem
from nhi_cli.severity import SEVERITIES

SHOWN_GATING = 20  # findings listed on stderr when the gate trips; `nhi findings list` has all


def print_rule_problems(err: Console, problems: list[RuleProblem]) -> None:
    for problem in problems:
        err.print(f"nhi: rule error: {problem}", highlight=False, markup=False)


def print_findings_table(out: Console, summary: GateSummary) -> None:
    table = Table(title=f"Findings ({summary['rules']} rules)", header_style="bold")
    for column in ("severity", "open", "new", "suppressed"):
        table.add_column(column, justify="left" if column == "severity" else "right")
    for severity in SEVERITIES:
        counts = [summary[key].get(severity, 0) for key in ("by_severity", "new_by_severity", "suppressed_by_severity")]
        if any(counts):
            table.add_row(severity, *(str(n) for n in counts))
    table.add_row("total", str(summary["open"]), str(summary["new"]), str(summary["suppressed"]))
    out.print(table)


def say_verdict(st: CliContext, verdict: GateVerdict) -> None:
    """Expired suppressions, rule failures and the findings that tripped the gate, on stderr."""
    for item in verdict.expired_suppressions:
        st.say(
            f"nhi: suppression for {item['rule']} / {item['resource']} (owner {item['owner']}) expired on "
            f"{item['expires']}; it no longer hides its {item['matched']} finding(s)",
            "yellow",
        )
    if verdict.rule_problems:
        print_rule_problems(st.err, verdict.rule_problems)
    gating = verdict.gating
    if gating:
        scope = "new " if verdict.new_only else ""
        st.say(f"nhi: {len(gating)} {scope}finding(s) at or above {verdict.fail_on}:", "red")
        for row in gating[:SHOWN_GATING]:
            st.say(f"  {row['severity']:<8} {row['rule_id']}: {row['reason']}")
        if len(gating) > SHOWN_GATING:
            st.say(f"  ... and {len(gating) - SHOWN_GATING} more (nhi findings list)")
    if verdict.incomplete_wins:
        st.say("nhi: the scan is incomplete (exit 3 wins over findings; --allow-partial gates on findings)", "yellow")
