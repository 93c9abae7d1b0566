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
from collections.abc import Callable
from typing import Any

from nhi_cli.reports.model import PROPERTIES, Report, headline_status
from nhi_cli.reports.ranking import FixItem
from nhi_cli.severity import SEVERITIES
from nhi_cli.text import shorten, visible

DEFAULT_LIMIT = 50  # finding rows per table; PR comments are capped at 65,536 characters
FIX_FIRST_ROWS = 5


def code(value: object, width: int = 120) -> str:
    """``value`` as an inline code span that nothing inside can break out of."""
    text = shorten(visible(value), width).replace("|", "\\|")
    if not text:
        return ""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or (text.startswith(" ") and text.endswith(" ")) else ""
    return f"{fence}{pad}{text}{pad}{fence}"


FINDING_HEADER = ["| severity | rule | provider | resource | reason |", "|---|---|---|---|---|"]
# GitHub refuses a comment (and a job summary step) over 65,536 characters; keep a margin for
# whatever a CI step wraps around the text.
MAX_CHARS = 60_000


def _finding_row(f: dict[str, Any]) -> str:
    return (
        f"| {f['severity']} | {code(f['title'])} ({code(f['rule_id'])}) | {code(f['provider'])} | "
        f"{code(f['resource_name'] or f['resource_id'], 60)} | {code(f['reason'], 200)} |"
    )


def _fix_row(item: FixItem) -> str:
    fix = code(item.action.get("command")) if item.action.get("command") else code(item.action.get("text"), 160)
    why = "; ".join(item.reasons[:3])
    return (
        f"| {item.rank} | {code(item.name, 60)} ({item.kind}, {code(', '.join(item.providers), 60)}) | "
        f"{item.score} | {code(why, 200)} | {fix} |"
    )


class _Rows:
    """Table rows rendered on demand: a scan with 85,000 findings prints at most a few hundred,
    so only those are rendered (each once)."""

    def __init__(self, items: list[Any], row: Callable[[Any], str]) -> None:
        self.items, self.row = items, row
        self.done: list[str] = []

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, part: slice) -> list[str]:
        stop = len(self.items) if part.stop is None else min(part.stop, len(self.items))
        while len(self.done) < stop:
            self.done.append(self.row(self.items[len(self.done)]))
        return self.done[part]


class _Table:
    """A titled table whose rows may be cut to fit: ``shown`` rows are printed, and a line says
    how many were left out."""

    def __init__(
        self,
        title: str,
        header: list[str],
        rows: _Rows,
        collapsed: bool,
        limit: int | None,
        more: str = "see the JSON, CSV or HTML report",
    ):
        self.title, self.header, self.rows, self.collapsed, self.more = title, header, rows, collapsed, more
        self.shown = len(rows) if limit is None else min(limit, len(rows))

    @property
    def cut(self) -> int:
        return len(self.rows) - self.shown

    def lines(self) -> list[str]:
        if not self.rows:
            return []
        body = self.header + self.rows[: self.shown]
        if self.cut:
            body.append(f"\n_{self.cut} more not shown; {self.more}._")
        if self.collapsed:
            return ["", f"<details><summary>{self.title}</summary>", "", *body, "", "</details>"]
        return ["", f"### {self.title}", "", *body]


def _fit(head: list[str], tables: list[_Table], tail: list[str], max_chars: int) -> list[str]:
    """Cut rows, the last tables first, until the text fits in ``max_chars``."""

    def size() -> int:
        lines = head + [line for t in tables for line in t.lines()] + tail
        return sum(len(line) + 1 for line in lines) + 400  # room for the note on what was cut

    for table in reversed(tables):
        while size() > max_chars and table.shown:
            excess = size() - max_chars
            # drop about as many rows as the excess needs (rows are similar in length), at least one
            average = max(1, sum(len(r) + 1 for r in table.rows[: table.shown]) // table.shown)
            table.shown = max(0, table.shown - max(1, excess // average))
    return [line for t in tables for line in t.lines()]


def render(report: Report, limit: int | None = None, *, new_only: bool = False, max_chars: int = MAX_CHARS) -> str:
    """The summary; ``new_only`` (for a pull request) shows the new findings in full and folds
    everything else into collapsible sections. ``limit`` caps the rows of each table (0: all;
    default DEFAULT_LIMIT, or every row with ``new_only``); ``max_chars`` bounds the whole text."""
    if limit is None:
        limit = 0 if new_only else DEFAULT_LIMIT
    scan, counts = report.scan, report.counts
    gaps = [s for s in report.coverage if s["status"] != "complete"]
    status, label = headline_status(scan, report.coverage)
    done = f"complete ({label.split('(')[-1].rstrip(')')})" if status == "complete" else f"**{label}**"
    head = [f"## nhi: scan {scan['id']} ({scan['started_at']})", ""]
    head.append(
        f"**{counts['new']} new** of {counts['total']} open findings; {len(report.resolved)} resolved"
        f"{' since scan ' + str(report.previous_scan_id) if report.previous_scan_id else ''}; "
        f"{len(report.suppressed)} suppressed. {report.inventory['identities']} identities, "
        f"{report.inventory['credentials']} credentials. Scan {done}."
    )
    head += ["", "| severity | open | new |", "|---|--:|--:|"]
    for s in SEVERITIES:
        head.append(f"| {s} | {counts['by_severity'][s]} | {counts['new_by_severity'][s]} |")
    head += ["", "| property | open |", "|---|--:|"]
    head += [f"| {p} | {counts['by_property'][p]} |" for p in PROPERTIES]
    new = [f for f in report.findings if f["is_new"]]
    old = [f for f in report.findings if not f["is_new"]]
    cap = None if limit == 0 else limit
    fix_header = ["| # | identity or agent | score | why | fix |", "|--:|---|--:|---|---|"]
    fix_rows = _Rows(report.fix_first, _fix_row)
    fix_title = f"Fix first (top {min(FIX_FIRST_ROWS, len(fix_rows))} of {len(fix_rows)})"
    fix_more = "`nhi findings list --top N` lists them"
    since = f" since scan {report.previous_scan_id}" if report.previous_scan_id else ""
    if new_only:
        tables = [
            _Table(f"New findings ({len(new)})", FINDING_HEADER, _Rows(new, _finding_row), False, cap),
            _Table(fix_title, fix_header, fix_rows, True, FIX_FIRST_ROWS, fix_more),
            _Table(f"Other open findings ({len(old)})", FINDING_HEADER, _Rows(old, _finding_row), True, cap),
            _Table(
                f"Resolved{since} ({len(report.resolved)})",
                FINDING_HEADER,
                _Rows(report.resolved, _finding_row),
                True,
                cap,
            ),
        ]
        if not new:
            head += ["", "_No new findings._"]
    else:
        rest = max(0, limit - len(new)) or 10 if limit else None
        tables = [
            _Table(fix_title, fix_header, fix_rows, False, FIX_FIRST_ROWS, fix_more),
            _Table(f"New findings ({len(new)})", FINDING_HEADER, _Rows(new, _finding_row), False, cap),
            _Table(f"Open findings ({len(old)})", FINDING_HEADER, _Rows(old, _finding_row), False, rest),
            _Table(
                f"Resolved{since} ({len(report.resolved)})",
                FINDING_HEADER,
                _Rows(report.resolved, _finding_row),
                False,
                cap,
            ),
        ]
    tail: list[str] = []
    if gaps:
        tail += ["", "### Coverage gaps", ""]
        for gap in gaps:
            detail = f" ({code(gap['error_code'])})" if gap["error_code"] else ""
            tail.append(f"- {code(gap['provider'])} {code(gap['scope'])}: {gap['status']}{detail}")
    expired = [s for s in report.suppressions if s["expired"]]
    if expired:
        tail += ["", f"### Expired suppressions ({len(expired)})", ""]
        for item in expired:
            tail.append(
                f"- {code(item['rule'])} on {code(item['resource'])}, owner {code(item['owner'])}, "
                f"expired {code(item['expires'])}"
            )
    limited = [t.cut for t in tables]
    for t in tables:  # a row takes at least 30 characters: more could never fit
        t.shown = min(t.shown, max_chars // 30)
    body = _fit(head, tables, tail, max_chars)
    cut_for_size = [t.cut - before for t, before in zip(tables, limited, strict=True)]
    if any(cut_for_size):
        what = ", ".join(
            f"{n} row(s) of {t.title.split(' (')[0].lower()}" for t, n in zip(tables, cut_for_size, strict=True) if n
        )
        tail += [
            "",
            f"_Cut to stay under GitHub's 65,536-character comment limit: {what} not shown. "
            "The JSON, CSV and HTML reports have every finding._",
        ]
    return "\n".join(head + body + tail) + "\n"
