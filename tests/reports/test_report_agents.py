"""The agents section: from the agents module's tables, or from nhi.yaml patterns and tags."""
from __future__ import annotations

from report_estate import CONFIG, HOSTILE_NAME

from nhi_cli.reports.agents import configured_agent_rows
from nhi_cli.reports.model import build_report
from nhi_cli.store import open_store


def test_agents_come_from_the_agents_module_with_their_scorecard(hostile):
    store = open_store(hostile)
    try:
        report = build_report(store.readonly())
    finally:
        store.close()
    agents = {a["name"]: a for a in report.agents}
    ops = agents["ops-copilot"]
    assert ops["source"] == "config" and ops["owner"] == "dana.lee@northwind.example"
    assert ops["identities"] == ["aws:ops-copilot"] and ops["worst_severity"] == "critical"
    assert set(ops["scorecard"]) == {"scoped", "delegated", "auditable", "revocable"} and not ops["scorecard"]["scoped"]
    assert HOSTILE_NAME in agents  # tagged as an agent by its (hostile) tag value


def test_fallback_agent_source_uses_config_patterns_and_agent_tags(hostile):
    store = open_store(hostile)
    try:
        conn = store.readonly()
        report = build_report(conn, config=CONFIG, agent_source=configured_agent_rows)
    finally:
        store.close()
    agents = {a["name"]: a for a in report.agents}
    assert agents["ops-copilot"]["source"] == "config" and agents["ops-copilot"]["findings"] == 3
    assert agents["release-bot"]["source"] == "tag" and agents["release-bot"]["identities"] == ["aws:release-bot-deploy"]
    assert agents["analytics-agent"]["source"] == "tag"  # tag agent=true: named after the identity
    assert agents[HOSTILE_NAME]["owner"] == '=HYPERLINK("http://x")'
