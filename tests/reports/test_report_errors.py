"""Bad input to `nhi report`: one readable line on stderr and the documented exit code."""

from __future__ import annotations

from datetime import UTC, datetime

from nhi_cli.model import ScopeResult
from nhi_cli.store import open_store
from nhi_cli.store.load import write_scan


def _one_line(result):
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nhi: error: "), result.err
    assert "Traceback" not in result.err
    return lines[0]


def test_a_scan_that_does_not_exist_is_a_usage_error(nhi, northwind):
    result = nhi("report", "--db", northwind, "--format", "json", "--scan", "99")
    assert result.code == 2 and result.out == ""
    assert "scan 99 does not exist" in _one_line(result) and "scans 1-2 exist" in result.err


def test_no_inventory_cannot_run(nhi, tmp_path):
    result = nhi("report", "--db", tmp_path / "missing.db", "--format", "json")
    assert result.code == 4 and "run `nhi scan` first" in _one_line(result)
    assert not (tmp_path / "missing.db").exists()


def test_an_inventory_without_scans_cannot_run(nhi, tmp_path):
    open_store(tmp_path / "nhi.db").close()
    result = nhi("report", "--db", tmp_path / "nhi.db", "--format", "html")
    assert result.code == 4 and "has no scans yet" in _one_line(result)


def test_an_unwritable_output_fails_before_rendering(nhi, northwind, tmp_path):
    # relative paths (the test runs in tmp_path) keep the one-line message short
    for target in ("no-such-dir/report.html", "."):
        result = nhi("report", "--db", northwind, "--format", "html", "--output", target)
        assert result.code == 4 and "cannot write the report" in _one_line(result)
    assert not (tmp_path / "no-such-dir").exists()


def test_inventory_listing_is_refused_for_findings_only_formats(nhi, northwind):
    result = nhi("report", "--db", northwind, "--format", "sarif", "--what", "inventory")
    assert result.code == 2 and "--what inventory is available for" in _one_line(result)


def test_an_unknown_format_is_a_usage_error(nhi, northwind):
    result = nhi("report", "--db", northwind, "--format", "pdf")
    assert result.code == 2 and "pdf" in result.err


def test_an_empty_scan_still_renders_and_says_so(nhi, tmp_path, report_validator):
    import json

    store = open_store(tmp_path / "nhi.db")
    now = datetime(2026, 11, 28, tzinfo=UTC)
    write_scan(
        store,
        started_at=now,
        finished_at=now,
        results=[ScopeResult("aws", "123456789012", "denied", error_code="AccessDenied")],
        batches={},
    )
    store.close()
    result = nhi("report", "--db", tmp_path / "nhi.db", "--format", "json")
    assert result.code == 0 and "recorded no identities or credentials" in result.err
    doc = json.loads(result.out)
    report_validator.validate(doc)
    assert doc["inventory"]["identities"] == 0 and doc["coverage"][0]["status"] == "denied"
    html = nhi("report", "--db", tmp_path / "nhi.db", "--format", "html")
    assert html.code == 0 and "a scope that was denied is a gap, not an empty estate" in html.out


def test_output_suffix_picks_the_format(nhi, northwind, tmp_path):
    result = nhi("report", "--db", northwind, "--output", tmp_path / "r.sarif")
    assert result.code == 0 and '"version": "2.1.0"' in (tmp_path / "r.sarif").read_text()
