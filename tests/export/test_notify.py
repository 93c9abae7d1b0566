"""`nhi notify` and the end of `nhi scan`: Slack and Teams payloads posted to a loopback server
that records them. The webhook URLs are secrets: none of their text may appear in any output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nhi_cli.kit.http_fake import FakeHttpServer, reply
from tests.reports.report_estate import HOSTILE_NAME, seed

SLACK_PATH = "/services/T0SECRET1/B0SECRET2/xoxSECRETTOKEN3"
TEAMS_PATH = "/workflows/0f0SECRETFLOW4/triggers/manual/paths/invoke"
TEAMS_QUERY = "api-version=1&sig=SIGSECRET5"
SECRETS = ("T0SECRET1", "B0SECRET2", "xoxSECRETTOKEN3", "0f0SECRETFLOW4", "SIGSECRET5")

CONFIG = """
notify:
  - kind: slack
    url_env: NHI_TEST_SLACK
  - kind: teams
    name: secops-teams
    url_env: NHI_TEST_TEAMS
    min_severity: high
"""


@pytest.fixture
def chat(monkeypatch, tmp_path):
    server = FakeHttpServer()
    server.route("POST", SLACK_PATH, lambda r: reply(b"ok", 200, Content_Type="text/plain"))
    server.route("POST", TEAMS_PATH, lambda r: reply(None, 202))
    with server:
        monkeypatch.setenv("NHI_TEST_SLACK", server.url + SLACK_PATH)
        monkeypatch.setenv("NHI_TEST_TEAMS", f"{server.url}{TEAMS_PATH}?{TEAMS_QUERY}")
        (tmp_path / "nhi.yaml").write_text(CONFIG)
        yield server


def no_secret_in(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


def posted(server, path):
    return [r.json() for r in server.calls("POST", path)]


def test_notify_posts_a_summary_to_slack_and_teams(nhi, chat, tmp_path):
    db = tmp_path / "nhi.db"
    seed(db)
    report = json.loads(nhi("report", "--db", db, "--format", "json").out)
    result = nhi("notify", "--db", db, "--config", "nhi.yaml")
    assert result.code == 0, result.err
    assert "slack: posted (HTTP 200)" in result.out and "secops-teams: posted (HTTP 202)" in result.out
    no_secret_in(result.out, result.err, db.read_bytes().decode("latin-1"))

    [slack] = posted(chat, SLACK_PATH)
    new, resolved = report["summary"]["new_findings"], report["summary"]["resolved_findings"]
    opened = report["summary"]["findings"]
    assert slack["text"] == f"nhi scan 2: {new} new, {resolved} resolved, {opened} open findings"
    text = json.dumps(slack)
    new_finding = next(f for f in report["findings"] if f["status"] == "new")
    assert new_finding["title"] in text and "*New*" in text and "*Resolved*" in text
    for f in report["findings"]:  # reasons and evidence stay out of chat (they quote key ids, paths)
        assert f["reason"] not in text
    listed = sum(block["text"]["text"].count("\u2022") for block in slack["blocks"] if block["type"] == "section")
    assert listed == new + resolved  # one line per new or resolved finding, not the inventory

    [teams] = posted(chat, TEAMS_PATH)
    assert teams["type"] == "message"
    [attachment] = teams["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    high = sum(1 for f in report["findings"] if f["status"] == "new" and f["severity"] in ("high", "critical"))
    assert card["body"][0]["text"].startswith(f"nhi scan 2: {high} new")  # min_severity: high
    assert any("Coverage incomplete" in b.get("text", "") for b in card["body"])  # the gcp scope was denied


def test_hostile_names_are_inert_in_chat(nhi, chat, tmp_path):
    db = tmp_path / "nhi.db"
    seed(db, hostile=True)
    (tmp_path / "all.yaml").write_text(CONFIG.replace("    min_severity: high\n", ""))
    result = nhi("notify", "--db", db, "--config", "all.yaml", "--scan", "1")  # all of scan 1 is new
    assert result.code == 0, result.err
    slack = json.dumps(posted(chat, SLACK_PATH)[0])
    assert HOSTILE_NAME not in slack and "`&lt;img src=x onerror=alert(1)&gt;`" in slack
    card = posted(chat, TEAMS_PATH)[0]["attachments"][0]["content"]
    values = [fact["value"] for block in card["body"] if block["type"] == "FactSet" for fact in block["facts"]]
    assert not any(HOSTILE_NAME in v for v in values)
    assert any("\\<img src=x onerror=alert\\(1\\)\\>" in v for v in values)


def test_retries_on_503_then_fails_cleanly_on_persistent_429(nhi, chat, tmp_path):
    db = tmp_path / "nhi.db"
    seed(db)
    chat.fault("POST", SLACK_PATH, 503)
    result = nhi("notify", "--db", db, "--config", "nhi.yaml", "--target", "slack")
    assert result.code == 0, result.err
    assert len(chat.calls("POST", SLACK_PATH)) == 2

    chat.fault("POST", SLACK_PATH, 429, b"rate_limited", times=5, Retry_After="0")
    result = nhi("notify", "--db", db, "--config", "nhi.yaml", "--target", "slack")
    assert result.code == 4
    assert result.err.strip() == (
        "nhi: error: notify slack: 127.0.0.1 answered HTTP 429 after 5 attempts (rate_limited)"
    )
    assert len(chat.calls("POST", SLACK_PATH)) == 2 + 5
    no_secret_in(result.out, result.err)


def test_a_rejected_payload_is_one_line_without_the_url(nhi, chat, tmp_path):
    db = tmp_path / "nhi.db"
    seed(db)
    chat.fault("POST", SLACK_PATH, 404, f"no_service {SLACK_PATH}".encode())  # even if echoed back
    result = nhi("notify", "--db", db, "--config", "nhi.yaml", "-t", "slack")
    assert result.code == 4
    assert "answered HTTP 404 (no_service [redacted])" in result.err
    no_secret_in(result.out, result.err)


def test_unset_variable_and_foreign_host_are_config_errors(nhi, chat, tmp_path, monkeypatch):
    db = tmp_path / "nhi.db"
    seed(db)
    monkeypatch.delenv("NHI_TEST_SLACK")
    result = nhi("notify", "--db", db, "--config", "nhi.yaml", "-t", "slack")
    assert result.code == 2
    assert "notify slack: NHI_TEST_SLACK is not set" in result.err

    monkeypatch.setenv("NHI_TEST_SLACK", "https://hooks.attacker.example/services/T0SECRET1/B0SECRET2/xoxSECRETTOKEN3")
    result = nhi("notify", "--db", db, "--config", "nhi.yaml", "-t", "slack")
    assert result.code == 2
    assert "points at hooks.attacker.example, which is not a slack host" in result.err
    assert "NHI_ALLOW_ENDPOINTS=hooks.attacker.example" in result.err
    no_secret_in(result.out, result.err)

    monkeypatch.setenv("NHI_TEST_SLACK", "http://hooks.slack.com/services/T0SECRET1/B0SECRET2/xoxSECRETTOKEN3")
    result = nhi("notify", "--db", db, "--config", "nhi.yaml", "-t", "slack")
    assert result.code == 2 and "is not https" in result.err
    no_secret_in(result.out, result.err)
    assert not chat.calls()


def test_a_repository_nhi_yaml_cannot_choose_where_findings_go(nhi, chat, tmp_path, monkeypatch):
    db = tmp_path / "nhi.db"
    seed(db)
    monkeypatch.delenv("NHI_TRUST_CWD_CONFIG")  # ./nhi.yaml is now just a file in the checkout
    result = nhi("notify", "--db", db)
    assert result.code == 2 and "no notify targets" in result.err
    assert "not applied: notify" in result.err
    assert not chat.calls()


def test_scan_posts_new_findings_at_its_end_and_keeps_its_exit_code(nhi, chat, tmp_path):
    first = nhi("scan", "--demo", "-p", "mcp", "--config", "nhi.yaml", "-f", "json")
    assert first.code in (0, 1), first.err
    [slack] = posted(chat, SLACK_PATH)
    scan = json.loads(first.out)
    counts = scan["findings"]
    assert counts["new"] > 0
    assert (
        slack["text"] == f"nhi scan {scan['scan_id']}: {counts['new']} new, 0 resolved, {counts['open']} open findings"
    )
    assert "nhi: notify slack: posted (HTTP 200)" in first.err
    # the same estate again: nothing new or resolved, so nothing is posted
    second = nhi("scan", "--demo", "-p", "mcp", "--config", "nhi.yaml", "-f", "json")
    assert second.code == first.code
    assert len(posted(chat, SLACK_PATH)) == 1 and "nothing new or resolved; not posted" in second.err
    # a failing webhook is one line and does not change the scan's exit code
    chat.fault("POST", SLACK_PATH, 500, times=5)
    third = nhi("scan", "--demo", "-p", "mcp", "--config", "nhi.yaml", "-f", "json", "--db", "fresh.db")
    assert third.code == first.code
    assert "nhi: notify slack: 127.0.0.1 answered HTTP 500 after 5 attempts (the scan's exit code is unaffected)" in (
        third.err
    )
    assert len(posted(chat, SLACK_PATH)) == 1 + 5
    no_secret_in(first.out, first.err, second.err, third.out, third.err, Path("nhi.db").read_bytes().decode("latin-1"))
