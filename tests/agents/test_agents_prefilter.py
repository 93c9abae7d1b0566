"""The set-based evidence and config-glob prefilters decide exactly as the Python rules do, and
discovered agents that share a name are numbered the same way at every scan."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from nhi_cli.agents.build import build_agents
from nhi_cli.agents.scorecard import agent_rows
from nhi_cli.config import AgentConfig, Config
from nhi_cli.model import Batch, Credential, Identity, ScopeResult
from nhi_cli.store import open_store
from nhi_cli.store.load import write_scan

NOW = datetime(2026, 11, 1, tzinfo=UTC)
ACCOUNT = "123456789012"


def user(name: str, **extra) -> Identity:
    return Identity(f"arn:aws:iam::{ACCOUNT}:user/{name}", "aws", ACCOUNT, "iam_user", name, **extra)


def scan(tmp_path, batches: dict[tuple[str, str], Batch], cfg: Config):
    store = open_store(tmp_path / "nhi.db")
    results = [ScopeResult(p, s, "complete") for p, s in batches]
    write_scan(
        store,
        started_at=NOW,
        finished_at=NOW,
        results=results,
        batches=batches,
        post_load=[lambda conn, scan_id: build_agents(conn, cfg, scan_id)],
    )
    return store


def members(store, agent: str) -> dict[str, list[dict]]:
    return {
        r[0]: json.loads(r[1])
        for r in store.conn.execute("SELECT member_id, evidence FROM agent_member WHERE agent_name = ?", (agent,))
    }


def test_config_globs_treat_sql_wildcards_as_literal_characters(tmp_path):
    aws = Batch()
    aws.identities += [user("ops_copilot"), user("opsXcopilot"), user("ci%runner"), user("ciXXrunner")]
    cfg = Config(
        agents=[
            AgentConfig(name="copilot", identities=["OPS_COPILOT"]),
            AgentConfig(name="runner", identities=["ci%runner"]),
        ]
    )
    store = scan(tmp_path, {("aws", ACCOUNT): aws}, cfg)
    assert set(members(store, "copilot")) == {f"arn:aws:iam::{ACCOUNT}:user/ops_copilot"}
    assert set(members(store, "runner")) == {f"arn:aws:iam::{ACCOUNT}:user/ci%runner"}
    store.close()


def test_non_ascii_names_and_escaped_tags_keep_their_evidence(tmp_path):
    aws = Batch()
    aws.identities += [
        # Python folds the long s to 's': the name regex sees 'assistant' (weak evidence).
        user("re\u017fearch-a\u017f\u017fistant"),
        # json.dumps escapes the value (\u00eb); the tag is still read and names the agent.
        user("zoe", tags={"nhi:agent": "zo\u00eb-helper"}),
        user("backup", tags={"team": "agents", "nhi:agent": "false"}),
    ]
    store = scan(tmp_path, {("aws", ACCOUNT): aws}, Config())
    rows = {a["name"]: a for a in agent_rows(store.conn)}
    assert set(rows) == {"re\u017fearch-a\u017f\u017fistant", "zo\u00eb-helper"}
    assert rows["re\u017fearch-a\u017f\u017fistant"]["confidence"] == "low"
    evidence = members(store, "zo\u00eb-helper")[f"arn:aws:iam::{ACCOUNT}:user/zoe"]
    assert evidence == [{"kind": "tag", "detail": "tag nhi:agent=zo\u00eb-helper", "strength": "strong"}]
    store.close()


@pytest.mark.parametrize("order", [("anthropic", "openai"), ("openai", "anthropic")])
def test_same_named_discovered_agents_are_numbered_by_identity_id(tmp_path, order):
    batches = {}
    for provider in order:  # the load order must not matter either
        batch = Batch()
        batch.identities.append(Identity(f"{provider}:key/nb", provider, "org", "api_key", "notebook"))
        batch.credentials.append(
            Credential(f"{provider}-key-1", f"{provider}:key/nb", provider, "org", "api_key", "active")
        )
        batches[(provider, "org")] = batch
    store = scan(tmp_path, batches, Config())
    assert set(members(store, "notebook")) == {"anthropic:key/nb"}
    assert set(members(store, "notebook-2")) == {"openai:key/nb"}
    store.close()
