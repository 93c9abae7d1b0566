"""`nhi export jira`: one issue per fix-first item against a strict loopback fake of Jira REST v3."""

from __future__ import annotations

import json

import httpx
import pytest

from nhi_cli.export.jira import item_label
from tests.export.jira_fake import JiraFake
from tests.reports.report_estate import seed

EMAIL, TOKEN = "secops@northwind.example", "ATATT3xSECRETTOKEN0042"


@pytest.fixture
def jira(monkeypatch, tmp_path):
    with JiraFake(EMAIL, TOKEN) as fake:
        monkeypatch.setenv("JIRA_EMAIL", EMAIL)
        monkeypatch.setenv("JIRA_API_TOKEN", TOKEN)
        (tmp_path / "nhi.yaml").write_text(f"export:\n  jira:\n    url: {fake.url}\n    project: SEC\n")
        yield fake


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "nhi.db"
    seed(path)
    return path


def export(nhi, db, *args):
    result = nhi("export", "jira", "--db", db, "--config", "nhi.yaml", "-f", "json", *args)
    assert TOKEN not in result.out + result.err
    return result


def fix_first(nhi, db, *args):
    return json.loads(nhi("report", "--db", db, "-f", "json", *args).out)["fix_first"]


def test_one_issue_per_fix_first_item_and_reruns_change_nothing(nhi, jira, db):
    items = fix_first(nhi, db)
    result = export(nhi, db)
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert [c["item"] for c in doc["created"]] == [i["key"] for i in items]
    assert len(jira.issues) == len(items)  # per item, not per finding
    first = jira.issues[doc["created"][0]["issue"]]["fields"]
    assert first["summary"] == "[nhi] #1 revoke agent ops-copilot (aws)"
    assert first["labels"] == ["nhi", item_label("agent:ops-copilot")]
    blocks = first["description"]["content"]
    code = next(b for b in blocks if b["type"] == "codeBlock")
    assert code["content"][0]["text"] == items[0]["action"]["command"] == "nhi revoke --agent ops-copilot"
    text = json.dumps(first["description"])
    assert items[0]["findings"]
    for finding in items[0]["findings"]:  # fingerprint, rule_id and severity of each of the item's findings
        assert finding["rule_id"] in text

    again = export(nhi, db)
    assert again.code == 0, again.err
    doc = json.loads(again.out)
    assert doc["created"] == [] and doc["updated"] == [] and doc["closed"] == []
    assert len(doc["unchanged"]) == len(items) == len(jira.issues)
    assert not jira.calls("PUT")
    searches = jira.calls("POST", "/rest/api/3/search/jql")
    assert len(searches) == 1 + -(-len(items) // 2)  # the fake pages by 2: nextPageToken followed


def test_items_that_change_are_edited_and_resolved_ones_closed(nhi, jira, db):
    before = fix_first(nhi, db, "--scan", "1")
    assert export(nhi, db, "--scan", "1").code == 0
    after = fix_first(nhi, db)
    gone = {i["key"] for i in before} - {i["key"] for i in after}
    assert gone == {"identity:arn:aws:iam::123456789012:user/legacy-backup"}
    result = export(nhi, db)
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    [closed] = doc["closed"]
    assert jira.issues[closed["issue"]]["fields"]["status"]["name"] == "Done"
    assert item_label(gone.pop()) in jira.issues[closed["issue"]]["fields"]["labels"]
    assert doc["created"] == []
    assert {u["item"] for u in doc["updated"]} == {i["key"] for i in after}  # ranks and findings moved
    assert jira.issues["SEC-1"]["fields"]["summary"].startswith("[nhi] #1 revoke agent ops-copilot")
    # an edit by a person (the digest gone) is put back on the next run; closed issues stay closed
    jira.issues["SEC-1"]["fields"]["description"] = {"type": "doc", "version": 1, "content": []}
    doc = json.loads(export(nhi, db).out)
    assert [u["issue"] for u in doc["updated"]] == ["SEC-1"] and doc["closed"] == []


def test_top_limits_new_issues_without_closing_the_rest(nhi, jira, db):
    assert json.loads(export(nhi, db, "--top", "2").out)["created"][1]["issue"] == "SEC-2"
    doc = json.loads(export(nhi, db, "--top", "1").out)
    assert doc["closed"] == [] and len(doc["unchanged"]) == 1  # item 2 is still on the list
    assert len(jira.issues) == 2


def test_the_fake_refuses_what_jira_would(jira):
    auth = (EMAIL, TOKEN)
    ok = {"project": {"key": "SEC"}, "issuetype": {"name": "Task"}, "summary": "s"}
    good = httpx.post(f"{jira.url}/rest/api/3/issue", json={"fields": ok}, auth=auth)
    assert good.status_code == 201
    for fields in (
        {**ok, "description": "plain text is API v2"},
        {**ok, "labels": ["two words"]},
        {**ok, "summary": "line\nbreak"},
        {**ok, "description": {"type": "doc", "version": 1, "content": [{"type": "text", "text": "bare"}]}},
        {**ok, "priority": {"name": "High"}},
    ):
        answer = httpx.post(f"{jira.url}/rest/api/3/issue", json={"fields": fields}, auth=auth)
        assert answer.status_code == 400 and answer.json()["errorMessages"], fields
    assert (
        httpx.post(f"{jira.url}/rest/api/3/issue/SEC-1/transitions", json={"transition": {}}, auth=auth).status_code
        == 400
    )
    assert httpx.post(f"{jira.url}/rest/api/3/issue", json={"fields": ok}, auth=(EMAIL, "wrong")).status_code == 401
    search = {"jql": "project = SEC", "startAt": 0}  # the retired /search's paging: not in the bean
    assert httpx.post(f"{jira.url}/rest/api/3/search/jql", json=search, auth=auth).status_code == 400


def test_refused_credentials_are_one_line_and_exit_4(nhi, jira, db, monkeypatch):
    monkeypatch.setenv("JIRA_API_TOKEN", "not-the-token")
    result = export(nhi, db)
    assert result.code == 4
    assert result.err.strip().startswith("nhi: error: jira: denied:") and len(result.err.strip().splitlines()) == 1
    assert "not-the-token" not in result.err + result.out


def test_missing_settings_and_credentials_are_usage_errors(nhi, jira, db, monkeypatch, tmp_path):
    monkeypatch.delenv("JIRA_API_TOKEN")
    result = export(nhi, db)
    assert result.code == 2 and "JIRA_API_TOKEN not set" in result.err
    monkeypatch.setenv("JIRA_API_TOKEN", TOKEN)
    (tmp_path / "nhi.yaml").write_text("export:\n  jira:\n    url: https://jira.attacker.example\n    project: SEC\n")
    result = export(nhi, db)
    assert result.code == 2 and "NHI_ALLOW_ENDPOINTS=jira.attacker.example" in result.err
    assert not jira.calls()


def test_a_repository_nhi_yaml_cannot_open_issues_anywhere(nhi, jira, db, monkeypatch):
    monkeypatch.delenv("NHI_TRUST_CWD_CONFIG")  # ./nhi.yaml is a file of the checkout, not the user's
    result = nhi("export", "jira", "--db", db)
    assert result.code == 2 and "export.jira needs url" in result.err
    assert "not applied: export" in result.err
    assert not jira.calls()
