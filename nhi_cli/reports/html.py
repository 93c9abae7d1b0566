"""The HTML audit report: one self-contained file, inline CSS and SVG, no scripts, no fetches.

Jinja2 autoescapes every value; ``visible`` additionally shows bidi and control characters as
escapes. A Content-Security-Policy of ``default-src 'none'`` means a browser would neither run a
script nor fetch anything even if some markup slipped through (defence in depth, not the
primary control).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from nhi_cli import __version__
from nhi_cli.agents.delegation import DELEGATION_KINDS
from nhi_cli.reports import charts
from nhi_cli.reports.model import OWASP_NHI, PROPERTIES, Report, headline_status
from nhi_cli.severity import SEVERITIES, worst_first
from nhi_cli.text import visible

if TYPE_CHECKING:  # jinja2 itself is imported when a report is rendered
    import jinja2

PROPERTY_QUESTIONS = {
    "scoped": "Does it hold only what its task needs?",
    "delegated": "Whose behalf does it act on, and is that recorded?",
    "auditable": "Can every action be traced to it and its owner?",
    "revocable": "Can it be killed now, in one step?",
}


DELEGATION_SHORT = {
    "recorded": "delegation recorded",
    "person_not_recorded": "for a person, not recorded",
    "no_person": "for no person",
    "unknown": "delegation unknown",
}
FIRST_SCREEN_ITEMS = 5  # fix-first items beside the scorecards on the first screen
FIRST_SCREEN_AGENTS = 8
FULL_LIST_ITEMS = 100  # the fix-first section lists this many; the JSON report has all


def anchor(value: object) -> str:
    """An id fragment for a rule id (user rules may name themselves anything)."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", str(value))


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("nhi_cli.reports", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["v"] = lambda value: visible(value, oneline=False)
    env.filters["anchor"] = anchor
    env.filters["num"] = lambda value: f"{value:,}" if isinstance(value, int) else ("" if value is None else value)
    return env


def _pct(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def finding_groups(report: Report) -> list[dict[str, Any]]:
    """Findings grouped by rule, most severe rule first, each with its remediation."""
    groups: dict[str, dict[str, Any]] = {}
    for f in report.findings:
        g = groups.get(f["rule_id"])
        if g is None:
            rule = report.rules.get(f["rule_id"], {})
            g = groups[f["rule_id"]] = {
                "rule_id": f["rule_id"],
                "title": f["title"],
                "severity": f["severity"],
                "property": f["property"],
                "owasp_nhi": f["owasp_nhi"],
                "remediation": rule.get("remediation", ""),
                "risk": rule.get("risk", ""),
                "findings": [],
                "new": 0,
            }
        g["findings"].append(f)
        g["new"] += f["is_new"]
        if worst_first(f["severity"]) < worst_first(g["severity"]):
            g["severity"] = f["severity"]
    for g in groups.values():
        g["findings"].sort(
            key=lambda f: (
                not f["is_new"],
                worst_first(f["severity"]),
                f["provider"],
                f["resource_name"] or f["resource_id"],
            )
        )
    return sorted(groups.values(), key=lambda g: (worst_first(g["severity"]), -len(g["findings"]), g["rule_id"]))


def render(report: Report) -> str:
    counts = report.counts
    total = counts["total"]
    biggest_rule = max((r["findings"] for r in counts["by_rule"]), default=0)
    gaps = [s for s in report.coverage if s["status"] != "complete"]
    status, status_label = headline_status(report.scan, report.coverage)
    context = {
        "status": status,
        "status_label": status_label,
        "fix_first": report.fix_first[:FULL_LIST_ITEMS],
        "fix_first_top": report.fix_first[:FIRST_SCREEN_ITEMS],
        "first_agents": report.agents[:FIRST_SCREEN_AGENTS],
        "delegation_kinds": DELEGATION_KINDS,
        "delegation_short": DELEGATION_SHORT,
        "delegation_counts": report.counts.get("agents_by_delegation", {}),
        "r": report,
        "scan": report.scan,
        "counts": counts,
        "inv": report.inventory,
        "version": __version__,
        "severities": SEVERITIES,
        "properties": PROPERTIES,
        "questions": PROPERTY_QUESTIONS,
        "colours": charts.SEVERITY_COLOURS,
        "pct": _pct,
        "total": total,
        "biggest_rule": biggest_rule,
        "gaps": gaps,
        "hard_gaps": [g for g in gaps if g["status"] in ("denied", "error")],
        "api_calls": sum(s["api_call_total"] for s in report.coverage),
        "active_suppressions": [s for s in report.suppressions if not s["expired"]],
        "expired_suppressions": [s for s in report.suppressions if s["expired"]],
        "critical_high": counts["by_severity"]["critical"] + counts["by_severity"]["high"],
        "owasp_total": len(OWASP_NHI),
        "owasp_hit": sum(1 for row in counts["owasp_nhi"] if row["findings"]),
        "age_chart": charts.histogram(report.inventory["credential_age"]),
        "trend_chart": charts.trend(report.trend),
        "groups": finding_groups(report),
        "old_credentials": sum(b["credentials"] for b in report.inventory["credential_age"][2:6]),
    }
    html: str = _environment().get_template("report.html.j2").render(**context)
    return html
