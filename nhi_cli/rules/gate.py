"""The CI gate: which rules a scan runs, baseline files, and the scan's exit code.

Exit codes combine in this order (the first that applies wins):
  2  a rule is broken (bad rule.yaml, SQL error, unknown parameter): nothing is gated on a
     rule pack that did not run as written;
  3  the scan is incomplete (a scope was denied or failed) and --allow-partial was not given:
     the findings may be missing whatever the gap hid;
  1  an open, unsuppressed finding at or above --fail-on (only new ones with --new-only);
  0  otherwise.

This module decides and prints nothing: ``ScanGate`` returns a ``GateSummary`` and a
``GateVerdict``; the CLI (cli/gate_view.py) renders them and exits with the verdict's code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nhi_cli.config import Config
from nhi_cli.errors import ConfigError, ExitCode, NhiError
from nhi_cli.rules.findings import gating_findings, list_findings
from nhi_cli.rules.loader import RuleProblem, RuleSet, load_rules
from nhi_cli.rules.people import read_people
from nhi_cli.rules.scan_step import RulesStep
from nhi_cli.severity import Severity
from nhi_cli.store.interface import DbConnection

BASELINE_VERSION = 1


class RulesBroken(NhiError):
    """The rule pack did not load: every problem, for the CLI to print one per line (exit 2)."""

    def __init__(self, problems: list[RuleProblem]):
        super().__init__(f"{len(problems)} rule problem(s)", ExitCode.USAGE)
        self.problems = problems


def load_ruleset(config: Config, extra_dirs: list[Path] | None = None) -> RuleSet:
    dirs = list(config.rules.dirs) + [Path(d) for d in (extra_dirs or [])]
    return load_rules(dirs, config=config)


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


def baseline_document(rows: list[dict[str, Any]], scan_id: int | None) -> dict[str, Any]:
    return {
        "nhi_baseline": BASELINE_VERSION,
        "scan_id": scan_id,
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "fingerprints": [
            {"fingerprint": r["fingerprint"], "rule_id": r["rule_id"], "resource_id": r["resource_id"]}
            for r in sorted(rows, key=lambda r: (r["rule_id"], r["resource_id"]))
        ],
    }


def exit_code(*, rule_errors: bool, complete: bool, allow_partial: bool, gating: list[Any]) -> ExitCode:
    if rule_errors:
        return ExitCode.USAGE
    if not complete and not allow_partial:
        return ExitCode.INCOMPLETE
    if gating:
        return ExitCode.FINDINGS
    return ExitCode.OK


def check_options(fail_on: Severity | str | None, new_only: bool, baseline: Path | None) -> None:
    if (new_only or baseline) and not fail_on:
        raise NhiError("--new-only and --baseline need --fail-on (or fail_on: in nhi.yaml)", ExitCode.USAGE)


# The findings part of `nhi scan --format json` (a documented output): kept a plain mapping.
GateSummary = dict[str, Any]


@dataclass(frozen=True)
class GateVerdict:
    """What the gate concluded, for the CLI to say and exit with."""

    code: ExitCode
    fail_on: Severity | None
    new_only: bool
    gating: list[dict[str, Any]] = field(default_factory=list)  # the findings that tripped --fail-on
    expired_suppressions: list[dict[str, Any]] = field(default_factory=list)
    rule_problems: list[RuleProblem] = field(default_factory=list)  # rules that failed while evaluating

    @property
    def incomplete_wins(self) -> bool:
        """Exit 3 hides findings that would have failed the gate: worth a note."""
        return self.code == ExitCode.INCOMPLETE and bool(self.gating)


class ScanGate:
    """Everything `nhi scan` does about rules: load them before collecting (so a broken rule
    stops the scan before any API call), evaluate them inside the scan's transaction, then
    summarise the findings and decide the exit code."""

    def __init__(
        self,
        config: Config,
        *,
        fail_on: Severity | None,
        new_only: bool,
        baseline: Path | None,
        allow_partial: bool,
        rules_dir: list[Path] | None,
    ):
        self.fail_on = fail_on or config.fail_on
        self.new_only = new_only or baseline is not None
        check_options(self.fail_on, self.new_only, baseline)
        self.baseline = read_baseline(baseline) if baseline is not None else None
        self.allow_partial = allow_partial
        if config.people is not None:
            read_people(config.people)  # a bad people file fails now, not inside the transaction
        ruleset = load_ruleset(config, rules_dir)
        if ruleset.problems:
            raise RulesBroken(ruleset.problems)
        self.step = RulesStep(config, ruleset)

    def summary(self, conn: DbConnection, scan_id: int) -> GateSummary:
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
        gating = (
            gating_findings(conn, scan_id, self.fail_on, new_only=self.new_only, baseline=self.baseline)
            if self.fail_on
            else []
        )
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

    def verdict(self, summary: GateSummary, complete: bool) -> GateVerdict:
        """The exit code (see the module docstring for the order) and what led to it."""
        gating = summary["gating"]
        code = exit_code(
            rule_errors=bool(self.step.problems), complete=complete, allow_partial=self.allow_partial, gating=gating
        )
        return GateVerdict(
            code=code,
            fail_on=self.fail_on,
            new_only=self.new_only,
            gating=gating,
            expired_suppressions=summary["expired_suppressions"],
            rule_problems=list(self.step.problems),
        )
