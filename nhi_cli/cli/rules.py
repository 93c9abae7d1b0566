"""`nhi rules list|show|test`: the rule pack, one rule in full, and user rules' own tests."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nhi_cli.cli.common import CliContext, cli_context
from nhi_cli.cli.gate_view import print_rule_problems
from nhi_cli.cli.output import Format, only_table_or_json, print_json, render_rows
from nhi_cli.errors import ExitCode, NhiError
from nhi_cli.rules.gate import load_ruleset
from nhi_cli.rules.loader import RuleSet, load_rules
from nhi_cli.rules.testing import run_tests

rules_app = typer.Typer(
    help="The rules nhi evaluates: list, show, and test them.\n\nExample: nhi rules show credential_max_age",
    no_args_is_help=True,
)

RulesDirOption = Annotated[
    list[Path] | None,
    typer.Option("--rules-dir", help="A directory of user rules (repeatable), added to rules.dirs in nhi.yaml."),
]


def _ruleset(ctx: typer.Context, rules_dir: list[Path] | None) -> tuple[CliContext, RuleSet]:
    st = cli_context(ctx)
    return st, load_ruleset(st.config, rules_dir)


def _fail_on_problems(st: CliContext, ruleset: RuleSet) -> None:
    if ruleset.problems:
        print_rule_problems(st.err, ruleset.problems)
        raise typer.Exit(ExitCode.USAGE)


@rules_app.command("list")
def list_rules(
    ctx: typer.Context,
    format: Annotated[Format, typer.Option("--format", "-f", help="table, json or csv.")] = Format.table,
    rules_dir: RulesDirOption = None,
) -> None:
    """List every rule that a scan would run, with severity, property and OWASP NHI mapping.

    Broken user rules are reported on stderr (file and reason) and the command exits 2; the
    rules that loaded are still listed.

    Example: nhi rules list --rules-dir ./my-rules
    """
    st, ruleset = _ruleset(ctx, rules_dir)
    rows = [
        {
            "id": r.id,
            "severity": r.severity,
            "property": r.meta.property,
            "owasp_nhi": ",".join(r.meta.frameworks.owasp_nhi),
            "cis": ",".join(r.meta.frameworks.cis),
            "source": "builtin" if r.builtin else str(r.folder),
            "title": r.meta.title,
        }
        for r in ruleset.rules
    ]
    render_rows(
        st.out,
        rows,
        ["id", "severity", "property", "owasp_nhi", "title"]
        if format is Format.table
        else list(rows[0] if rows else ["id"]),
        format,
        title=f"{len(rows)} rules",
    )
    _fail_on_problems(st, ruleset)


@rules_app.command("show")
def show_rule(
    ctx: typer.Context,
    rule_id: Annotated[str, typer.Argument(help="The rule id, as `nhi rules list` shows it.")],
    format: Annotated[Format, typer.Option("--format", "-f", help="table (text) or json.")] = Format.table,
    rules_dir: RulesDirOption = None,
) -> None:
    """Show one rule: metadata, parameters with their effective values, mappings and its SQL.

    Example: nhi rules show credential_max_age
    """
    only_table_or_json(format)
    st, ruleset = _ruleset(ctx, rules_dir)
    rule = ruleset.get(rule_id)
    if rule is None:
        _fail_on_problems(st, ruleset)
        raise NhiError(f"no rule {rule_id!r}; `nhi rules list` shows the rules", ExitCode.USAGE)
    data = rule.describe()
    data["sql"] = rule.sql
    data["folder"] = str(rule.folder)
    if format is Format.json:
        print_json(st.out, data)
        return
    out = st.out.file
    lines = [
        f"{rule.id}: {rule.meta.title}",
        f"severity: {data['severity']} (default {data['default_severity']})   property: {rule.meta.property}",
        f"OWASP NHI: {', '.join(rule.meta.frameworks.owasp_nhi)}"
        + (f"   CIS: {', '.join(rule.meta.frameworks.cis)}" if rule.meta.frameworks.cis else ""),
        "",
        f"description: {rule.meta.description}",
        f"risk: {rule.meta.risk}",
        f"remediation: {rule.meta.remediation}",
        "",
    ]
    if rule.params:
        lines.append("parameters:")
        for name, param in rule.meta.params.items():
            lines.append(f"  {name} = {rule.params[name]!r} (default {param.default!r}): {param.description}")
        lines.append("")
    lines += ["sql:", rule.sql, ""]
    out.write("\n".join(lines))
    out.flush()


@rules_app.command("test")
def test_rules(
    ctx: typer.Context,
    directories: Annotated[list[Path], typer.Argument(help="Rule directories (or single rule folders) to test.")],
    builtin: Annotated[bool, typer.Option("--builtin", help="Also test the built-in rules.")] = False,
    format: Annotated[Format, typer.Option("--format", "-f", help="table, json or csv.")] = Format.table,
) -> None:
    """Run the cases in each rule's tests.yaml: rows that must alarm and rows that must pass.

    Exit 0 when every case passes, 1 when a case fails, 2 when a rule or tests.yaml is broken.

    Example: nhi rules test ./my-rules
    """

    st = cli_context(ctx)
    ruleset = load_rules(directories, builtin=builtin)
    rows, problems = [], list(ruleset.problems)
    for rule in ruleset.rules:
        outcomes, problem = run_tests(rule)
        if problem:
            problems.append(problem)
        rows += [
            {
                "rule": o.rule_id,
                "case": o.case,
                "expect": o.expect,
                "resource": o.resource,
                "result": "ok" if o.passed else "FAIL",
                "detail": "" if o.passed else o.detail,
            }
            for o in outcomes
        ]
    render_rows(
        st.out,
        rows,
        ["rule", "case", "expect", "resource", "result", "detail"],
        format,
        title=f"{sum(r['result'] == 'ok' for r in rows)}/{len(rows)} cases passed",
    )
    _fail_on_problems(st, type(ruleset)(ruleset.rules, problems))
    if any(r["result"] != "ok" for r in rows):
        raise typer.Exit(ExitCode.FINDINGS)


def register(app: typer.Typer) -> None:
    app.add_typer(rules_app, name="rules")
