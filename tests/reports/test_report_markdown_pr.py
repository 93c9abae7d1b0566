"""`--format markdown --new-only`: the pull-request comment / job summary."""

from __future__ import annotations

import json
import re
import sqlite3

from report_estate import ACCOUNT, fingerprint

GITHUB_COMMENT_LIMIT = 65_536


def _section(text: str, title: str) -> list[str]:
    """The finding rows of the table under ``title`` (a ### heading or a <summary>)."""
    start = text.index(title)
    rows = []
    for line in text[start:].splitlines()[1:]:
        if line.startswith(("### ", "<details>", "</details>")):
            break
        if line.startswith("| ") and not line.startswith("| severity"):
            rows.append(line)
    return rows


def test_new_findings_come_first_and_the_rest_is_folded(nhi, northwind):
    doc = json.loads(nhi("report", "--db", northwind, "--format", "json").out)
    result = nhi("report", "--db", northwind, "--format", "markdown", "--new-only")
    assert result.code == 0, result.err
    text = result.out
    new, total = doc["summary"]["new_findings"], doc["summary"]["findings"]
    assert new and total > new
    # new findings are the first table, shown in full, with a provider column
    assert text.index(f"### New findings ({new})") < text.index("<details>")
    assert "| severity | rule | provider | resource | reason |" in text
    new_rows = _section(text, f"### New findings ({new})")
    assert len(new_rows) == new == sum(doc["summary"]["new_by_severity"].values())
    assert all(re.match(r"\| \w+ \| `[^`]+` \(`[^`]+`\) \| `aws` \|", row) for row in new_rows), new_rows
    # then everything else, collapsed, with counts that add up
    other = f"<summary>Other open findings ({total - new})</summary>"
    assert other in text and len(_section(text, other)) == total - new
    assert "<summary>Fix first (top" in text
    assert text.index("<summary>Fix first") < text.index(other)
    # what is open is the same set as the JSON report's, row for row
    shown = {re.search(r"\(`([^`]+)`\) \| `aws` \| `([^`]*)`", r).groups() for r in new_rows + _section(text, other)}
    assert shown == {(f["rule_id"], f["resource_name"]) for f in doc["findings"]}
    # other formats refuse the option (exit 2), not ignore it
    refused = nhi("report", "--db", northwind, "--format", "html", "--new-only")
    assert refused.code == 2 and "--new-only" in refused.err


def _add_findings(db, new: int, old: int) -> None:
    """Many more findings: ``old`` in both scans, ``new`` only in scan 2."""
    conn = sqlite3.connect(db)
    with conn:
        for i in range(new + old):
            resource = f"arn:aws:iam::{ACCOUNT}:user/bulk/worker-{i:05d}"
            fp = fingerprint("identity_admin", resource)
            reason = f"Identity worker-{i:05d} has administrator access through AdministratorAccess: Allow * on *."
            conn.execute(
                "INSERT INTO finding (fingerprint, rule_id, resource_id, resource_type, resource_name, provider, "
                "scope, severity, property, reason, evidence, status, first_seen, last_seen, first_scan, last_scan) "
                "VALUES (?, 'identity_admin', ?, 'identity', ?, 'aws', ?, 'critical', 'scoped', ?, '{}', 'open', "
                "'2026-11-01T09:00:00Z', '2026-11-28T09:00:00Z', ?, 2)",
                (fp, resource, f"worker-{i:05d}", ACCOUNT, reason, 2 if i < new else 1),
            )
            for scan in (2,) if i < new else (1, 2):
                conn.execute(
                    "INSERT INTO finding_occurrence VALUES (?, ?, 'critical', ?, '{}', 0, NULL)", (scan, fp, reason)
                )
    conn.close()


def test_a_large_scan_fits_in_one_github_comment_and_says_what_was_cut(nhi, northwind):
    _add_findings(northwind, new=1200, old=600)
    doc = json.loads(nhi("report", "--db", northwind, "--format", "json").out)
    new, total = doc["summary"]["new_findings"], doc["summary"]["findings"]
    text = nhi("report", "--db", northwind, "--format", "markdown", "--new-only").out
    assert len(text) < GITHUB_COMMENT_LIMIT
    assert f"### New findings ({new})" in text  # the heading keeps the true count
    new_rows = _section(text, f"### New findings ({new})")
    cut = int(re.search(r"_(\d+) more not shown", text[text.index("### New findings") :]).group(1))
    assert 0 < len(new_rows) and len(new_rows) + cut == new  # shown + cut add up
    # the rest could not fit: its section says so, and the closing note names what was cut
    other = f"<summary>Other open findings ({total - new})</summary>"
    assert other in text and not _section(text, other)
    note = text.strip().splitlines()[-1]
    assert "65,536-character comment limit" in note and f"{cut} row(s) of new findings" in note
    assert f"{total - new} row(s) of other open findings" in note
    # the plain summary (no --new-only) is bounded the same way
    plain = nhi("report", "--db", northwind, "--format", "markdown", "--limit", "0").out
    assert len(plain) < GITHUB_COMMENT_LIMIT and "65,536-character comment limit" in plain
