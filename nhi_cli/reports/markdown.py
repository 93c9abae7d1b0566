"""A Markdown summary for a pull-request comment or a CI job summary.

Stable (same inventory, same text: no generation time, fixed order), links-free, and safe:
every value that comes from the inventory is written as a code span, inside which Markdown,
HTML, autolinks and @mentions are not interpreted; pipes are escaped for GFM tables and
control/bidi characters are shown as escapes. Rule titles are code spans too: a user rule's
rule.yaml is as untrusted as an identity name (a title rendered raw carried links, @mentions
and HTML into the pull-request comment).
"""

from __future__ import annotations

import re

from nhi_cli.reports.model import PROPERTIES, Report
from nhi_cli.severity import SEVERITIES
from nhi_cli.text import shorten, visible

DEFAULT_LIMIT = 50  # finding rows; PR comments are capped at 65,536 characters


def code(value: object, width: int = 120) -> str:
    """``value`` as an inline code span that nothing inside can break out of."""
    text = shorten(visible(value), width).replace("|", "\\|")
    if not text:
        return ""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or (text.startswith(" ") and text.endswith(" ")) else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _finding_table(findings: list[dict], limit: int) -> list[str]:
    lines = ["| severity | rule | resource | reason |", "|---|---|---|---|"]
    for f in findings[:limit]:
        lines.append(
            f"| {f['severity']} | {code(f['title'])} ({code(f['rule_id'])}) | "
            f"{code(f['resource_name'] or f['resource_id'], 60)} | {code(f['reason'], 200)} |"
        )
    if len(findings) > limit:
        lines.append(f"\n_{len(findings) - limit} more not shown; see the JSON, CSV or HTML report._")
    return lines


def render(report: Report, limit: int = DEFAULT_LIMIT) -> str:
    scan, counts = report.scan, report.counts
    gaps = [s for s in report.coverage if s["status"] != "complete"]
    status = "complete" if scan["status"] == "complete" else f"**incomplete** ({len(gaps)} scope(s) not fully read)"
    out = [f"## nhi: scan {scan['id']} ({scan['started_at']})", ""]
    out.append(
        f"**{counts['new']} new** of {counts['total']} open findings; {len(report.resolved)} resolved"
        f"{' since scan ' + str(report.previous_scan_id) if report.previous_scan_id else ''}; "
        f"{len(report.suppressed)} suppressed. {report.inventory['identities']} identities, "
        f"{report.inventory['credentials']} credentials. Scan {status}."
    )
    out += ["", "| severity | open | new |", "|---|--:|--:|"]
    for s in SEVERITIES:
        out.append(f"| {s} | {counts['by_severity'][s]} | {counts['new_by_severity'][s]} |")
    out += ["", "| property | open |", "|---|--:|"]
    out += [f"| {p} | {counts['by_property'][p]} |" for p in PROPERTIES]
    new = [f for f in report.findings if f["is_new"]]
    old = [f for f in report.findings if not f["is_new"]]
    if new:
        out += ["", f"### New findings ({len(new)})", ""] + _finding_table(new, limit)
    if old:
        out += ["", f"### Open findings ({len(old)})", ""] + _finding_table(old, max(0, limit - len(new)) or 10)
    if report.resolved:
        out += ["", f"### Resolved since scan {report.previous_scan_id} ({len(report.resolved)})", ""]
        out += _finding_table(report.resolved, limit)
    if gaps:
        out += ["", "### Coverage gaps", ""]
        for gap in gaps:
            detail = f" ({code(gap['error_code'])})" if gap["error_code"] else ""
            out.append(f"- {code(gap['provider'])} {code(gap['scope'])}: {gap['status']}{detail}")
    expired = [s for s in report.suppressions if s["expired"]]
    if expired:
        out += ["", f"### Expired suppressions ({len(expired)})", ""]
        for item in expired:
            out.append(
                f"- {code(item['rule'])} on {code(item['resource'])}, owner {code(item['owner'])}, "
                f"expired {code(item['expires'])}"
            )
    return "\n".join(out) + "\n"
