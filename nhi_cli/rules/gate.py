"""The CI gate: which rules a scan runs, baseline files, and the scan's exit code.

Exit codes combine in this order (the first that applies wins):
  2  a rule is broken (bad rule.yaml, SQL error, unknown parameter): nothing is gated on a
     rule pack that did not run as written;
  3  the scan is incomplete (a scope was denied or failed) and --allow-partial was not given:
     the findings may be missing whatever the gap hid;
  1  an open, unsuppressed finding at or above --fail-on (only new ones with --new-only);
  0  otherwise.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from nhi_cli.errors import ConfigError, ExitCode, NhiError
from nhi_cli.severity import SEVERITIES
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the loader brings pydantic and yaml: `nhi --help` imports this module
    from nhi_cli.rules.loader import RuleProblem, RuleSet

BASELINE_VERSION = 1


def load_ruleset(config, extra_dirs: list[Path] | None = None) -> RuleSet:
    from nhi_cli.rules.loader import load_rules

    dirs = list(config.rules.dirs) + [Path(d) for d in (extra_dirs or [])]
    return load_rules(dirs, config=config)


def report_problems(st, problems: list[RuleProblem]) -> None:
    for problem in problems:
        st.err.print(f"nhi: rule error: {problem}", highlight=False, markup=False)


def read_baseline(path: Path) -> set[str]:
    """Fingerprints from a file `nhi findings baseline` wrote (or a JSON list of them)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"baseline file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read baseline file {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: baseline is not valid JSON: {exc.msg}") from None
    items = data.get("fingerprints") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ConfigError(f"{path}: baseline must hold a list of fingerprints (write one with `nhi findings baseline`)")
    found = set()
    for item in items:
        value = item.get("fingerprint") if isinstance(item, dict) else item
        if not isinstance(value, str) or len(value) != 64:
            raise ConfigError(f"{path}: {value!r} is not a finding fingerprint")
        found.add(value)
    return found


def baseline_document(rows: list[dict], scan_id: int | None) -> dict:
    return {
        "nhi_baseline": BASELINE_VERSION,
        "scan_id": scan_id,
        "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "fingerprints": [{"fingerprint": r["fingerprint"], "rule_id": r["rule_id"], "resource_id": r["resource_id"]}
                         for r in sorted(rows, key=lambda r: (r["rule_id"], r["resource_id"]))],
    }


def exit_code(*, rule_errors: bool, complete: bool, allow_partial: bool, gating: list) -> ExitCode:
    if rule_errors:
        return ExitCode.USAGE
    if not complete and not allow_partial:
        return ExitCode.INCOMPLETE
    if gating:
        return ExitCode.FINDINGS
    return ExitCode.OK


def check_options(fail_on: str | None, new_only: bool, baseline: Path | None) -> None:
    if (new_only or baseline) and not fail_on:
        raise NhiError("--new-only and --baseline need --fail-on (or fail_on: in nhi.yaml)", ExitCode.USAGE)


class ScanGate:
    """Everything `nhi scan` does about rules: load them before collecting (so a broken rule
    stops the scan before any API call), evaluate them inside the scan's transaction, then
    report the findings and compute the exit code."""

    def __init__(self, st, *, fail_on: str | None, new_only: bool, baseline: Path | None,
                 allow_partial: bool, rules_dir: list[Path] | None):
        import typer

        from nhi_cli.rules.people import read_people
        from nhi_cli.rules.scan_step import RulesStep

        config = st.config
        self.st = st
        self.fail_on = fail_on or config.fail_on
        self.new_only = new_only or baseline is not None
        check_options(self.fail_on, self.new_only, baseline)
        self.baseline = read_baseline(baseline) if baseline is not None else None
        self.allow_partial = allow_partial
        if config.people is not None:
            read_people(config.people)  # a bad people file fails now, not inside the transaction
        ruleset = load_ruleset(config, rules_dir)
        if ruleset.problems:
            report_problems(st, ruleset.problems)
            raise typer.Exit(ExitCode.USAGE)
        self.step = RulesStep(config, ruleset)

    def summary(self, conn, scan_id: int) -> dict:
        from nhi_cli.rules.findings import gating_findings, list_findings

        rows = list_findings(conn, scan_id)
        by_severity: dict[str, int] = {}
        new_by_severity: dict[str, int] = {}
        suppressed_by_severity: dict[str, int] = {}
        for row in rows:
            severity = row["severity"]
            if row["status"] == "open":
                by_severity[severity] = by_severity.get(severity, 0) + 1
                if row["new"]:
                    new_by_severity[severity] = new_by_severity.get(severity, 0) + 1
            elif row["status"] == "suppressed":
                suppressed_by_severity[severity] = suppressed_by_severity.get(severity, 0) + 1
        gating = gating_findings(conn, scan_id, self.fail_on, new_only=self.new_only,
                                 baseline=self.baseline) if self.fail_on else []
        return {
            "rules": self.step.summary.get("rules", 0),
            "open": sum(1 for r in rows if r["status"] == "open"),
            "new": sum(1 for r in rows if r["status"] == "open" and r["new"]),
            "suppressed": sum(1 for r in rows if r["status"] == "suppressed"),
            "resolved": self.step.summary.get("resolved", 0),
            "by_severity": by_severity,
            "new_by_severity": new_by_severity,
            "suppressed_by_severity": suppressed_by_severity,
            "expired_suppressions": self.step.summary.get("expired_suppressions", []),
            "rule_errors": [str(p) for p in self.step.problems],
            "fail_on": self.fail_on,
            "new_only": self.new_only,
            "gating": gating,
        }

    def print_table(self, summary: dict) -> None:
        from rich.table import Table

        table = Table(title=f"Findings ({summary['rules']} rules)", header_style="bold")
        for column in ("severity", "open", "new", "suppressed"):
            table.add_column(column, justify="left" if column == "severity" else "right")
        for severity in SEVERITIES:
            counts = [summary[key].get(severity, 0) for key in ("by_severity", "new_by_severity",
                                                                 "suppressed_by_severity")]
            if any(counts):
                table.add_row(severity, *(str(n) for n in counts))
        table.add_row("total", str(summary["open"]), str(summary["new"]), str(summary["suppressed"]))
        self.st.out.print(table)

    def finish(self, summary: dict, complete: bool) -> ExitCode:
        """Messages on stderr, then the exit code (see the module docstring for the order)."""
        st = self.st
        for item in summary["expired_suppressions"]:
            st.say(f"nhi: suppression for {item['rule']} / {item['resource']} (owner {item['owner']}) expired on "
                   f"{item['expires']}; it no longer hides its {item['matched']} finding(s)", "yellow")
        if self.step.problems:
            report_problems(st, self.step.problems)
        gating = summary["gating"]
        if gating:
            scope = "new " if self.new_only else ""
            st.say(f"nhi: {len(gating)} {scope}finding(s) at or above {self.fail_on}:", "red")
            for row in gating[:20]:
                st.say(f"  {row['severity']:<8} {row['rule_id']}: {row['reason']}")
            if len(gating) > 20:
                st.say(f"  ... and {len(gating) - 20} more (nhi findings list)")
        code = exit_code(rule_errors=bool(self.step.problems), complete=complete,
                         allow_partial=self.allow_partial, gating=gating)
        if code == ExitCode.INCOMPLETE and gating:
            st.say("nhi: the scan is incomplete (exit 3 wins over findings; --allow-partial gates on findings)", "yellow")
        return code
