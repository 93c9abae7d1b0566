"""Reports of the real demo estate (`nhi scan --demo`), and `nhi scan --format/--output`."""

from __future__ import annotations

import json
from pathlib import Path


def test_demo_scan_writes_valid_reports_in_every_format(nhi, tmp_path, sarif_validator, report_validator):
    scan = nhi("scan", "--demo", "--format", "sarif", "--output", "demo.sarif")
    assert scan.code in (0, 1, 3), scan.err  # 1: a fail_on gate tripped; 3: a demo scope failed (report still written)
    assert "Inventory after scan 1" in scan.out  # the summary still prints; the report went to the file
    sarif = json.loads(Path("demo.sarif").read_text())
    sarif_validator.validate(sarif)
    results = sarif["runs"][0]["results"]
    # cloud resources point at synthetic nhi/... paths; the one secret in a repository's MCP
    # config points at that file and line, relative to the repository (README, repository mode)
    uris = {r["ruleId"]: [] for r in results}
    for r in results:
        location = r["locations"][0]["physicalLocation"]
        uris[r["ruleId"]].append((location["artifactLocation"]["uri"], location["region"]["startLine"]))
    assert uris.pop("mcp_secret_in_repository_config") == [(".mcp.json", 10)]
    assert results and all(uri.startswith("nhi/") for places in uris.values() for uri, _line in places)
    assert any("ops-copilot" in r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results)

    doc = json.loads(nhi("report", "--format", "json", "--what", "inventory").out)
    report_validator.validate(doc)
    assert doc["inventory"]["credentials"] >= 1 and doc["summary"]["findings"] == len(doc["findings"])
    assert any(c["id"] == "AKIANWOPSCOPILOT0001" for c in doc["credentials"])
    assert any(a["name"] == "ops-copilot" for a in doc["agents"])

    html = nhi("report", "--format", "html")
    assert html.code == 0 and "ops-copilot" in html.out and "OWASP Top 10 Non-Human Identities" in html.out
    markdown = nhi("report", "--format", "markdown")
    assert markdown.code == 0 and markdown.out.startswith("## nhi: scan 1")


def test_scan_can_print_a_report_format_instead_of_the_summary(nhi, tmp_path):
    result = nhi("scan", "--demo", "--provider", "aws", "--format", "markdown")
    assert result.code in (0, 1, 3), result.err
    assert result.out.startswith("## nhi: scan 1") and "Inventory after scan" not in result.out


def test_scan_refuses_an_unwritable_output_before_scanning(nhi, tmp_path):
    result = nhi("scan", "--demo", "--output", "missing-dir/report.html")
    assert result.code == 4 and "cannot write the report" in result.err
    assert not (tmp_path / "nhi.db").exists()  # nothing was scanned
    bad = nhi("scan", "--demo", "--format", "pdf")
    assert bad.code == 2 and "unknown report format" in bad.err
