"""A finding's reason must not depend on ids that differ between inventories (salted hashes)."""

from __future__ import annotations

import sqlite3

from nhi_cli.model import Batch, Credential, CredentialLocation, Identity
from tests.rules.conftest import seed

SERVER = "mcp:~/.config/Claude/claude_desktop_config.json#tools"


def reason_with(tmp_path, name: str, ids: tuple[str, str]) -> str:
    batch = Batch(
        identities=[
            Identity(
                SERVER,
                "mcp",
                "~",
                "mcp_server",
                "tools",
                attrs={"config_file": "~/.config/Claude/claude_desktop_config.json", "config_scope": "user"},
            )
        ]
    )
    for cred_id, secret_type in zip(ids, ("slack_token", "anthropic_api_key"), strict=True):
        batch.credentials.append(
            Credential(cred_id, SERVER, "mcp", "~", "embedded_secret", "active", attrs={"secret_type": secret_type})
        )
        batch.locations.append(CredentialLocation(cred_id, SERVER.removeprefix("mcp:"), "mcp", "~", "env"))
    db = tmp_path / f"{name}.db"
    seed(db, batch, provider="mcp", scope="~")
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT reason FROM finding WHERE rule_id = 'mcp_plaintext_secret_in_user_config'"
        ).fetchone()[0]
    finally:
        conn.close()


def test_secret_types_are_listed_in_a_stable_order(tmp_path):
    # the same two secrets under ids that sort the other way round, as two salts would give
    first = reason_with(tmp_path, "a", ("mcp-secret:0001", "mcp-secret:ffff"))
    second = reason_with(tmp_path, "b", ("mcp-secret:ffff", "mcp-secret:0001"))
    assert first == second
    assert first.endswith("holds 2 plaintext secret(s): anthropic_api_key,slack_token.")
