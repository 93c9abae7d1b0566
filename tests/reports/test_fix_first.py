"""The fix-first ranking on the real demo estate: what a security lead fixes first, the same in
every format and on every run."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.conftest import invoke


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Two demo scans of one inventory: the ranking must not move between them."""
    db = tmp_path_factory.mktemp("fix-first") / "nhi.db"
    docs = []
    for _ in range(2):
        scan = invoke("--db", db, "-q", "scan", "--demo")
        assert scan.code == 0, scan.err
        report = invoke("--db", db, "report", "--format", "json")
        assert report.code == 0, report.err
        docs.append(json.loads(report.out))
    return db, docs


def test_the_rogue_agent_comes_first_with_its_reasons_and_its_kill_command(demo, report_validator):
    _, (first, _second) = demo
    report_validator.validate(first)
    top = first["fix_first"][0]
    assert (top["rank"], top["key"], top["kind"]) == (1, "agent:ops-copilot", "agent")
    reasons = " | ".join(top["reasons"])
    # what an attacker gains, how exposed it is, and that it acts without a delegation record
    assert "administrator access" in top["reasons"][0]
    for expected in ("long-lived static credential", "local or repository config", "seen in 2 files", "not recorded"):
        assert expected in reasons, expected
    assert top["action"] == {
        "kind": "revoke",
        "text": top["action"]["text"],
        "command": "nhi revoke --demo --agent ops-copilot",
    }
    assert top["score"] == sum(top["parts"].values()) and top["parts"]["gain"] > top["parts"]["exposure"] > 0
    # the item lists the findings of every identity and credential the agent holds
    by_fingerprint = {f["fingerprint"]: f for f in first["findings"]}
    assert all(by_fingerprint[f["fingerprint"]]["rule_id"] == f["rule_id"] for f in top["findings"])
    rules = {f["rule_id"] for f in top["findings"]}
    assert {"admin_grant", "agent_static_credential", "credential_in_local_config"} <= rules


def test_the_ranking_is_ordered_explained_and_stable_across_scans(demo):
    _, (first, second) = demo
    items = first["fix_first"]
    assert [i["rank"] for i in items] == list(range(1, len(items) + 1))
    scores = [i["score"] for i in items]
    assert scores == sorted(scores, reverse=True)
    assert len({i["key"] for i in items}) == len(items)
    # every open finding about an identity belongs to some item (none lost by the grouping)
    ranked = {f["fingerprint"] for i in items for f in i["findings"]}
    assert ranked == {f["fingerprint"] for f in first["findings"]}
    for item in items:
        assert item["reasons"] and item["action"]["text"], item["key"]
        if item["action"]["kind"] in ("revoke", "rotate"):
            assert item["action"]["command"].startswith("nhi revoke --demo "), item
    # a second scan of the same estate: same items, same order, same scores
    assert [(i["key"], i["score"]) for i in second["fix_first"]] == [(i["key"], i["score"]) for i in items]


def test_an_unused_old_key_is_revoked_and_the_command_is_accepted_by_revoke(demo):
    db, (first, _) = demo
    jenkins = next(i for i in first["fix_first"] if i["name"] == "jenkins-legacy")
    assert jenkins["action"]["kind"] == "revoke"
    assert jenkins["action"]["command"] == "nhi revoke --demo AKIANWJENKINSLEG001"
    assert any("escalate" in r for r in jenkins["reasons"])
    # the printed command is one revoke understands (dry run: nothing changes)
    args = jenkins["action"]["command"].split()[1:]
    dry = invoke("--db", db, *args, "--dry-run")
    assert dry.code == 0, dry.err
    assert "AKIANWJENKINSLEG001" in dry.out and "dry run recorded" in dry.err


def test_findings_list_top_carries_the_reports_ranking(demo):
    db, (first, second) = demo
    top = invoke("--db", db, "findings", "list", "--top", "5", "--format", "json")
    assert top.code == 0, top.err
    listed = json.loads(top.out)
    assert [i["key"] for i in listed] == [i["key"] for i in second["fix_first"][:5]]
    assert listed[0]["name"] == "ops-copilot"
    table = invoke("--db", db, "findings", "list", "--top", "3")
    assert table.code == 0 and table.out.index("ops-copilot") < table.out.index(listed[1]["name"])
    assert "fix: nhi revoke --demo --agent ops-copilot" in table.out
    rows = list(csv.DictReader(io.StringIO(invoke("--db", db, "findings", "list", "--top", "2", "-f", "csv").out)))
    assert [r["name"] for r in rows] == [i["name"] for i in listed[:2]]
    gcp = json.loads(invoke("--db", db, "findings", "list", "--top", "50", "-p", "gcp", "-f", "json").out)
    assert gcp and all("gcp" in i["providers"] for i in gcp)
    misuse = invoke("--db", db, "findings", "list", "--top", "3", "--severity", "high")
    assert misuse.code == 2 and "--top" in misuse.err and "Traceback" not in misuse.err


def test_delegation_tells_agents_apart(demo):
    _, (first, _) = demo
    kinds = {a["name"]: a["delegation_kind"] for a in first["agents"]}
    # ops-copilot serves dana.lee through her own key: a person, but no recorded chain
    assert kinds["ops-copilot"] == "person_not_recorded"
    assert kinds["slack"] == "no_person"  # a bot token in a repository config serves nobody
    distribution = first["summary"]["agents_by_delegation"]
    assert sum(distribution.values()) == len(first["agents"])
    assert distribution["person_not_recorded"] >= 1 and distribution["no_person"] >= 1
    assert all(a["delegated"] is not True for a in first["agents"] if a["delegation_kind"] != "recorded")
    # nhi agents list names the failing kind in the delegated cell and prints the distribution
    listed = invoke("--db", demo[0], "agents", "list")
    assert listed.code == 0, listed.err
    assert "FAIL (person, not recorded)" in listed.out and "FAIL (no person)" in listed.out
    assert f"{distribution['no_person']} act for no person at all" in listed.out
    rows = list(csv.DictReader(io.StringIO(invoke("--db", demo[0], "agents", "list", "-f", "csv").out)))
    assert {r["agent"]: r["delegation_kind"] for r in rows} == kinds


def test_every_format_carries_the_ranking(demo):
    db, (first, second) = demo
    rank_of = {f["fingerprint"]: i["rank"] for i in reversed(second["fix_first"]) for f in i["findings"]}
    rows = list(csv.DictReader(io.StringIO(invoke("--db", db, "report", "--format", "csv").out)))
    open_rows = [r for r in rows if r["status"] != "suppressed"]
    assert open_rows and all(int(r["fix_first_rank"]) == rank_of[r["fingerprint"]] for r in open_rows)
    assert {r["fix_first_rank"] for r in rows if r["resource_name"] == "AKIANWOPSCOPILOT0001"} == {"1"}
    sarif = json.loads(invoke("--db", db, "report", "--format", "sarif").out)
    results = sarif["runs"][0]["results"]
    ranked = [r for r in results if "fix_first_rank" in r["properties"]]
    assert ranked and all(
        r["properties"]["fix_first_rank"] == rank_of[r["partialFingerprints"][next(iter(r["partialFingerprints"]))]]
        for r in ranked
    )
    table = invoke("--db", db, "report", "--format", "table").out
    assert "Fix first" in table and table.index("ops-copilot") < table.index(second["fix_first"][1]["name"])
    markdown = invoke("--db", db, "report", "--format", "markdown").out
    assert f"Fix first (top 5 of {len(second['fix_first'])})" in markdown
    assert "| 1 | `ops-copilot` (agent," in markdown
