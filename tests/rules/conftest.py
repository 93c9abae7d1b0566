"""Helpers for the rules tests: a planted MCP config (the real mcp connector reads it, no
network) and a way to seed an inventory through the real loader without any connector."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

FAKE_PAT = "ghp_FAKEfakeFAKEfakeFAKEfakeFAKEfake1234"
FAKE_PAT_2 = "ghp_OTHERotherOTHERotherOTHERother9876"


def write_mcp(path: Path, *tokens: str) -> Path:
    servers = {
        f"github{i}": {
            "command": "npx",
            "args": ["-y", "@modelcontextprotocol/server-github@2025.4.8"],  # pinned: one finding per secret
            "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": token},
        }
        for i, token in enumerate(tokens)
    }
    path.write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")
    return path


@pytest.fixture
def mcp_config(tmp_path):
    return write_mcp(tmp_path / ".mcp.json", FAKE_PAT)


def seed(db: Path, batch, *, config=None, now: datetime | None = None, provider="aws", scope="111111111111") -> int:
    """Load ``batch`` as one complete scan of (provider, scope) and run the rules, exactly as
    `nhi scan` does after collecting (write_scan + the rules post-load step)."""
    from nhi_cli.config import Config
    from nhi_cli.model import ScopeResult
    from nhi_cli.rules.gate import load_ruleset
    from nhi_cli.rules.scan_step import RulesStep
    from nhi_cli.store import open_store
    from nhi_cli.store.load import write_scan

    config = config or Config()
    now = now or datetime(2026, 11, 28, tzinfo=UTC)
    step = RulesStep(config, load_ruleset(config))
    store = open_store(db)
    try:
        result = ScopeResult(
            provider, scope, "complete", identities=len(batch.identities), credentials=len(batch.credentials)
        )
        return write_scan(
            store,
            started_at=now,
            finished_at=now + timedelta(seconds=1),
            results=[result],
            batches={(provider, scope): batch},
            post_load=[step],
        )
    finally:
        store.close()
