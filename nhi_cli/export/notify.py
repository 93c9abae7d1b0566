"""Chat notifications: a summary of a scan's new and resolved findings for Slack and Teams.

What goes to chat is a summary, not an inventory: counts by severity, then at most
``MAX_LISTED`` new and ``MAX_LISTED_RESOLVED`` resolved findings (severity, rule title,
resource name, provider and scope), and the scan's coverage. No reason text or evidence (they
can quote key ids and file paths), never more than the report itself shows, and never the
full list of identities. Every name is made inert for the channel: control and bidi
characters shown as escapes, Slack's ``& < >`` escaped (no ``<!channel>`` or links), Teams'
Markdown characters backslashed.

Payload formats (as documented by the services):
- Slack incoming webhook: ``{"text": fallback, "blocks": [...]}`` with section blocks in
  ``mrkdwn``; Slack answers 200 ``ok``.
- Microsoft Teams Workflows ("Send webhook alerts to a channel", the successor of Office 365
  connectors) and legacy incoming webhooks: ``{"type": "message", "attachments": [{"contentType":
  "application/vnd.microsoft.card.adaptive", "content": <Adaptive Card 1.4>}]}``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from nhi_cli import trust
from nhi_cli.errors import ConfigError, ExitCode
from nhi_cli.export.webhook import WebhookError, post_json
from nhi_cli.export_settings import NotifyTarget
from nhi_cli.reports.model import Report
from nhi_cli.severity import SEVERITIES, Severity, rank, worst_first
from nhi_cli.text import visible

MAX_LISTED = 10
MAX_LISTED_RESOLVED = 5
NAME_MAX = 80
SLACK_SECTION_MAX = 3000


@dataclass
class Line:
    severity: str
    title: str
    resource: str
    where: str


@dataclass
class Summary:
    scan_id: int
    status: str
    new: list[Line]
    resolved: list[Line]
    new_total: int
    resolved_total: int
    open_total: int
    new_by_severity: dict[str, int]
    coverage: str | None = None  # "11 of 12 scopes read; gcp:nw-ml-prod denied"

    @property
    def headline(self) -> str:
        return (
            f"nhi scan {self.scan_id}: {self.new_total} new, {self.resolved_total} resolved, "
            f"{self.open_total} open findings"
        )


def _line(f: dict[str, Any]) -> Line:
    name = visible(f.get("resource_name") or f["resource_id"])
    if len(name) > NAME_MAX:
        name = name[: NAME_MAX - 1] + "\u2026"
    return Line(f["severity"], visible(f["title"]), name, visible(f"{f['provider']}:{f['scope']}"))


def summarize(report: Report, min_severity: Severity = Severity.info) -> Summary:
    """The summary of ``report`` (the report model of one scan) at or above ``min_severity``."""

    def keep(f: dict[str, Any]) -> bool:
        return rank(f["severity"]) >= min_severity.rank

    new = sorted((f for f in report.findings if f["is_new"] and keep(f)), key=lambda f: worst_first(f["severity"]))
    resolved = sorted((f for f in report.resolved if keep(f)), key=lambda f: worst_first(f["severity"]))
    by_severity = {s: 0 for s in SEVERITIES if rank(s) >= min_severity.rank}
    for f in new:
        by_severity[f["severity"]] = by_severity.get(f["severity"], 0) + 1
    gaps = [c for c in report.coverage if c["status"] != "complete"]
    coverage = None
    if gaps:
        named = ", ".join(visible(f"{c['provider']}:{c['scope']} {c['status']}") for c in gaps[:3])
        more = f" and {len(gaps) - 3} more" if len(gaps) > 3 else ""
        coverage = f"{len(report.coverage) - len(gaps)} of {len(report.coverage)} scopes complete; {named}{more}"
    return Summary(
        scan_id=report.scan["id"],
        status=report.scan["status"],
        new=[_line(f) for f in new[:MAX_LISTED]],
        resolved=[_line(f) for f in resolved[:MAX_LISTED_RESOLVED]],
        new_total=len(new),
        resolved_total=len(resolved),
        open_total=sum(1 for f in report.findings if keep(f)),
        new_by_severity=by_severity,
        coverage=coverage,
    )


# --- Slack ---------------------------------------------------------------------------------
def _slack(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_code(text: str) -> str:
    return "`" + _slack(text.replace("`", "'")) + "`"


def slack_payload(s: Summary) -> dict[str, Any]:
    counts = ", ".join(f"{n} {sev}" for sev, n in s.new_by_severity.items() if n) or "none"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": s.headline[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*New by severity:* {_slack(counts)}"}},
    ]
    for title, lines, total in (("New", s.new, s.new_total), ("Resolved", s.resolved, s.resolved_total)):
        if not lines:
            continue
        rows = [
            f"• *{_slack(x.severity)}* {_slack(x.title)}: {_slack_code(x.resource)} ({_slack_code(x.where)})"
            for x in lines
        ]
        if total > len(lines):
            rows.append(f"…and {total - len(lines)} more (see `nhi report`)")
        text = f"*{title}*\n" + "\n".join(rows)
        if len(text) > SLACK_SECTION_MAX:  # Slack refuses a section over 3,000 characters
            text = text[: SLACK_SECTION_MAX - 1] + "\u2026"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    if s.coverage:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": _slack(f"Coverage incomplete: {s.coverage}")}]}
        )
    return {"text": s.headline, "blocks": blocks}


# --- Teams ---------------------------------------------------------------------------------
_TEAMS_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~])")


def _teams(text: str) -> str:
    return _TEAMS_MARKDOWN.sub(r"\\\1", text)


def teams_payload(s: Summary) -> dict[str, Any]:
    counts = ", ".join(f"{n} {sev}" for sev, n in s.new_by_severity.items() if n) or "none"
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": _teams(s.headline), "weight": "Bolder", "size": "Medium", "wrap": True},
        {"type": "TextBlock", "text": _teams(f"New by severity: {counts}"), "wrap": True},
    ]
    for title, lines, total in (("New", s.new, s.new_total), ("Resolved", s.resolved, s.resolved_total)):
        if not lines:
            continue
        body.append({"type": "TextBlock", "text": title, "weight": "Bolder", "wrap": True, "spacing": "Medium"})
        body.append(
            {
                "type": "FactSet",
                "facts": [
                    {"title": _teams(x.severity), "value": _teams(f"{x.title}: {x.resource} ({x.where})")}
                    for x in lines
                ],
            }
        )
        if total > len(lines):
            body.append({"type": "TextBlock", "text": _teams(f"and {total - len(lines)} more (see nhi report)")})
    if s.coverage:
        body.append(
            {
                "type": "TextBlock",
                "text": _teams(f"Coverage incomplete: {s.coverage}"),
                "color": "Warning",
                "wrap": True,
            }
        )
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
    }
    card["body"] = body
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


# --- sending -------------------------------------------------------------------------------
@dataclass
class Outcome:
    target: str
    ok: bool
    detail: str  # "posted (HTTP 200)" or the error line; never the URL
    attempts: int = 0
    code: int = ExitCode.OK  # USAGE: the target's configuration; CANNOT_RUN: the post failed


@dataclass
class NotifyResult:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]


def webhook_url(target: NotifyTarget) -> str:
    """The target's URL from its environment variable, checked like an endpoint (https, the
    service's own host or one allowed in NHI_ALLOW_ENDPOINTS). Errors never quote the URL."""
    url = (os.environ.get(target.url_env) or "").strip()
    where = f"notify {target.label}: {target.url_env}"
    if not url:
        raise ConfigError(f"{where} is not set (it holds the {target.kind} webhook URL)")
    trust.check_destination(where, target.kind, url, secret=True)
    return url


def send(targets: list[NotifyTarget], report: Report, *, on_scan: bool = False, **post_options: Any) -> NotifyResult:
    """Post the summary of ``report`` to each target. At the end of a scan (``on_scan``): only
    targets with ``on_scan``, and only when something is new or resolved. A target that fails
    does not stop the others."""
    result = NotifyResult()
    for target in targets:
        if on_scan and not target.on_scan:
            continue
        try:
            url = webhook_url(target)
        except ConfigError as exc:
            result.outcomes.append(Outcome(target.label, False, exc.message, code=ExitCode.USAGE))
            continue
        summary = summarize(report, target.min_severity)
        if on_scan and not summary.new_total and not summary.resolved_total:
            result.outcomes.append(Outcome(target.label, True, "nothing new or resolved; not posted"))
            continue
        payload = slack_payload(summary) if target.kind == "slack" else teams_payload(summary)
        try:
            delivery = post_json(url, payload, label=f"notify {target.label}", timeout=target.timeout, **post_options)
        except WebhookError as exc:
            result.outcomes.append(Outcome(target.label, False, str(exc), code=ExitCode.CANNOT_RUN))
            continue
        result.outcomes.append(
            Outcome(target.label, True, f"posted (HTTP {delivery.status})", attempts=delivery.attempts)
        )
    return result
