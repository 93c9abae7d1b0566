"""The agents section: from the agents module's tables, with their scorecards."""

from __future__ import annotations

from report_estate import HOSTILE_NAME

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
