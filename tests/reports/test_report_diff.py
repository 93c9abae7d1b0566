"""`nhi diff`: appeared, disappeared and changed identities/credentials; new and resolved findings."""

from __future__ import annotations

import json

from report_estate import seed


def test_diff_defaults_to_previous_and_latest_and_names_changed_attributes(nhi, northwind):
    result = nhi("diff", "--db", northwind, "--format", "json")
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert (doc["scan_a"]["id"], doc["scan_b"]["id"]) == (1, 2)
    ids = doc["identities"]
    assert [r["name"] for r in ids["appeared"]] == ["research-assistant"]
    assert [r["name"] for r in ids["disappeared"]] == ["legacy-backup"]
    assert ids["changed"] == [
        dict(ids["changed"][0], changes=[{"attribute": "tags.env", "before": "prod", "after": "shared"}])
    ]
    creds = doc["credentials"]
    assert creds["changed"][0]["changes"] == [{"attribute": "status", "before": "active", "after": "inactive"}]
    assert len(creds["disappeared"]) == 1 and not creds["appeared"]
    assert [f["rule_id"] for f in doc["findings"]["new"]] == ["credential_in_local_config"]
    # the owner_departed finding was suppressed in scan 2: hidden, not resolved
    assert [(f["rule_id"], f["resource_name"]) for f in doc["findings"]["resolved"]] == [
        ("aws_access_key_old", "legacy-backup")
    ]
    assert doc["summary"]["identities_changed"] == 1 and doc["summary"]["findings_new"] == 1


def test_diff_table_and_markdown(nhi, northwind, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    table = nhi("diff", "1", "2", "--db", northwind, "--format", "table").out
    assert "~ changed" in table and "tags.env: 'prod' -> 'shared'" in table and "+ new" in table
    assert max(len(line) for line in table.splitlines()) <= 80
    markdown = nhi("diff", "--db", northwind, "--format", "markdown").out
    assert markdown.startswith("## nhi diff: scan 1") and "### Identities changed (1)" in markdown
    assert "`tags.env: 'prod' -> 'shared'`" in markdown and "| identities | 1 | 1 | 1 |" in markdown


def test_diff_of_the_same_estate_twice_is_empty(nhi, tmp_path):
    db = tmp_path / "nhi.db"
    seed(db, scans=1)
    seed(db, scans=1)
    doc = json.loads(nhi("diff", "--db", db, "--format", "json").out)
    assert all(v == 0 for v in doc["summary"].values())
    assert "No differences." in nhi("diff", "--db", db, "--format", "table").out


def test_diff_bad_input(nhi, tmp_path, northwind):
    for args, message in (
        (("5",), "scan 5 does not exist"),
        (("2", "1"), "must be older than"),
        (("1", "9"), "scan 9 does not exist"),
    ):
        result = nhi("diff", *args, "--db", northwind)
        assert result.code == 2 and message in result.err and len(result.err.strip().splitlines()) == 1
    single = tmp_path / "single.db"
    seed(single, scans=1)
    result = nhi("diff", "--db", single)
    assert result.code == 2 and "needs two scans" in result.err
    result = nhi("diff", "--db", tmp_path / "none.db")
    assert result.code == 4
    result = nhi("diff", "--db", northwind, "--output", "no-dir/diff.json")
    assert result.code == 4 and "cannot write" in result.err


def test_a_finding_suppressed_in_scan_b_is_listed_as_suppressed_not_resolved(nhi, northwind):
    doc = json.loads(nhi("diff", "--db", northwind, "--format", "json").out)
    assert [(f["rule_id"], f["resource_name"]) for f in doc["findings"]["suppressed"]] == [
        ("owner_departed", "release-bot-deploy")
    ]
    assert doc["summary"]["findings_suppressed"] == 1
    markdown = nhi("diff", "--db", northwind, "--format", "markdown").out
    assert "### Suppressed since scan A (still present) (1)" in markdown


def test_findings_of_a_rule_disabled_before_scan_b_are_not_evaluated_never_resolved(nhi, tmp_path):
    db = tmp_path / "nhi.db"
    assert nhi("--db", db, "-q", "scan", "--demo").code == 0
    (tmp_path / "disable.yaml").write_text("rules:\n  disable: [admin_grant]\n")
    second = nhi("--db", db, "-q", "scan", "--demo", "-c", "disable.yaml")
    assert second.code in (0, 1), second.err
    doc = json.loads(nhi("diff", "--db", db, "--format", "json").out)
    disabled = [f for f in doc["findings"]["not_evaluated"] if f["rule_id"] == "admin_grant"]
    assert disabled and doc["summary"]["findings_not_evaluated"] >= len(disabled)
    assert not [f for f in doc["findings"]["resolved"] if f["rule_id"] == "admin_grant"]
    table = nhi("diff", "--db", db, "--format", "table").out
    assert "? not checked" in table and "not evaluated (rule disabled)" in table
