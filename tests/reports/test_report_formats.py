"""Every report format, rendered through the real CLI from a seeded inventory."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from report_estate import HOSTILE_NAME, HOSTILE_TAG, fingerprint

FORMATS = ("table", "json", "sarif", "markdown", "csv", "html", "ocsf")


def report(nhi, db, *args):
    result = nhi("report", "--db", db, *args)
    assert result.code == 0, result.err
    return result.out


@pytest.mark.parametrize("seeded", ["northwind", "hostile"])
def test_json_report_validates_against_the_shipped_schema(nhi, request, seeded, report_validator):
    db = request.getfixturevalue(seeded)
    for what in ("findings", "inventory"):
        doc = json.loads(report(nhi, db, "--format", "json", "--what", what))
        report_validator.validate(doc)
    assert doc["schema_version"].startswith("1.")
    assert doc["summary"]["by_severity"]["critical"] >= 2
    assert doc["summary"]["new_findings"] == 1 and doc["summary"]["resolved_findings"] == 1
    assert [s["status"] for s in doc["coverage"]] == ["complete", "denied"]
    assert {c["id"] for c in doc["credentials"]} >= {"AKIANWOPSCOPILOT0001"}
    nhi7 = next(r for r in doc["summary"]["owasp_nhi"] if r["id"] == "NHI7")
    assert nhi7["findings"] == (3 if seeded == "hostile" else 2)  # old keys + the key copied into a local config


@pytest.mark.parametrize("seeded", ["northwind", "hostile"])
def test_sarif_is_valid_and_meets_githubs_ingestion_rules(nhi, request, seeded, sarif_validator):
    db = request.getfixturevalue(seeded)
    doc = json.loads(report(nhi, db, "--format", "sarif"))
    sarif_validator.validate(doc)
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert len({r["id"] for r in rules}) == len(rules) == 5
    for rule in rules:
        assert "security" in rule["properties"]["tags"] and rule["help"]["text"]
        assert float(rule["properties"]["security-severity"]) > 0
        assert any(t.startswith("owasp-nhi/NHI") for t in rule["properties"]["tags"])
    admin = next(r for r in rules if r["id"] == "identity_admin")
    assert admin["defaultConfiguration"]["level"] == "error" and admin["properties"]["security-severity"] == "9.5"
    assert "Remediation: Replace AdministratorAccess" in admin["help"]["text"]
    for result in run["results"]:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert re.fullmatch(r"nhi/[A-Za-z0-9%._~/-]+", uri), uri  # percent-encoded, no raw hostile text
        assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    by_id = {(r["ruleId"], r["properties"]["resource_id"]): r for r in run["results"]}
    key = by_id[("aws_access_key_old", "AKIANWOPSCOPILOT0001")]
    assert key["partialFingerprints"]["nhiFinding/v1"] == fingerprint("aws_access_key_old", "AKIANWOPSCOPILOT0001")
    suppressed = [r for r in run["results"] if r.get("suppressions")]
    assert len(suppressed) == 1 and suppressed[0]["suppressions"][0]["kind"] == "external"
    assert run["invocations"][0]["executionSuccessful"] is False  # the gcp scope was denied


def test_sarif_fingerprints_are_stable_across_scans(nhi, northwind):
    old = json.loads(report(nhi, northwind, "--format", "sarif", "--scan", "1"))["runs"][0]["results"]
    new = json.loads(report(nhi, northwind, "--format", "sarif", "--scan", "2"))["runs"][0]["results"]

    def prints(results):
        return {(r["ruleId"], r["properties"]["resource_id"]): r["partialFingerprints"] for r in results}

    before, after = prints(old), prints(new)
    common = set(before) & set(after)
    assert len(common) >= 3 and all(before[k] == after[k] for k in common)
    assert {r["baselineState"] for r in new} == {"new", "unchanged"}


def test_markdown_is_stable_links_free_and_puts_new_findings_first(nhi, northwind):
    first = report(nhi, northwind, "--format", "markdown")
    assert first == report(nhi, northwind, "--format", "markdown")  # no timestamps of its own
    assert first.index("### New findings (1)") < first.index("### Open findings")
    assert "credential_in_local_config" in first.split("### Open findings")[0]
    assert "| critical | 2 | 1 |" in first and "| revocable | 2 |" in first
    assert "http" not in first and "](" not in first
    assert "### Coverage gaps" in first and "`nw-ml-prod`" in first


def _outside_code_spans(markdown: str) -> str:
    """The Markdown with every code span removed (what GitHub would interpret)."""
    return re.sub(r"(`+)(?:(?!\1).)+?\1", "", markdown)


def test_markdown_keeps_hostile_text_inside_code_spans(nhi, hostile):
    text = report(nhi, hostile, "--format", "markdown")
    bare = _outside_code_spans(text)
    for needle in ("<img", "<script", "HYPERLINK", "](", "@dana", "]]>", "\u202e"):
        assert needle not in bare, needle
    assert "\u202e" not in text and "\\u202e" in text  # bidi override shown, not applied
    rows = [line for line in text.splitlines() if line.startswith("| critical | `Identity has administrator access`")]
    assert rows
    for line in rows:
        cells = re.split(r"(?<!\\)\|", line)
        assert len(cells) == 7, line  # severity, rule, provider, resource, reason: no pipe added a column


def test_csv_neutralises_formulas_and_has_one_row_per_finding(nhi, hostile):
    rows = list(csv.DictReader(io.StringIO(report(nhi, hostile, "--format", "csv"))))
    assert len(rows) == 8  # 7 open + 1 suppressed
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row.values() if cell)
    departed = next(r for r in rows if r["rule_id"] == "owner_departed" and r["resource_name"] == HOSTILE_NAME)
    assert departed["reason"] == f"Owner {HOSTILE_TAG} is unknown."  # not at the start: kept verbatim
    creds = list(csv.DictReader(io.StringIO(report(nhi, hostile, "--format", "csv", "--what", "inventory"))))
    hostile_key = next(r for r in creds if r["identity_name"] == HOSTILE_NAME)
    assert hostile_key["owner"] == "'" + HOSTILE_TAG
    assert {r["id"] for r in creds} >= {"AKIANWOPSCOPILOT0001"} and len(creds) == 3


def test_table_fits_an_80_column_ci_log(nhi, hostile, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    out = report(nhi, hostile, "--format", "table")
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "identity_admin" in out and "Coverage gaps" in out and "gcp:nw-ml-prod denied" in out
    assert "\x1b" not in out and "\u202e" not in out
    inventory = report(nhi, hostile, "--format", "table", "--what", "inventory")
    assert "Credentials" in inventory and max(len(line) for line in inventory.splitlines()) <= 80


def test_html_is_self_contained_and_escapes_everything(nhi, hostile, tmp_path):
    out = tmp_path / "report.html"
    result = nhi("report", "--db", hostile, "--format", "html", "--output", out)
    assert result.code == 0 and result.out == ""
    page = out.read_text(encoding="utf-8")
    assert "<img" not in page and "<script" not in page and "onerror=alert(1)&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)  # nothing fetched
    assert "default-src 'none'" in page and "\u202e" not in page
    for section in (
        "headline",
        "summary",
        "owasp",
        "charts",
        "findings",
        "agents",
        "coverage",
        "suppressions",
        "revocations",
        "rules",
    ):
        assert f'id="{section}"' in page
    assert "NHI10:2025" in page and "Human Use of NHI" in page and "<svg" in page


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders_an_old_scan_from_the_inventory(nhi, northwind, fmt):
    out = report(nhi, northwind, "--format", fmt, "--scan", "1")
    assert out.strip()
    if fmt == "json":
        doc = json.loads(out)
        assert doc["scan"]["id"] == 1 and doc["scan"]["previous_scan_id"] is None
        assert doc["inventory"]["identities"] == 5  # legacy-backup still present at scan 1
