"""Claude Code's managed-mcp.json: the servers an administrator deploys for every user of a
machine, at a system path per OS. Read (from a temporary system root here) like the per-user
configs; a copy in a repository is that repository's file."""

from __future__ import annotations

import json

import planted
import pytest
from mcp_helpers import assert_nowhere, write_config

from nhi_connectors.mcp import locations

MANAGED = {
    "mcpServers": {
        "company-github": {
            "command": "npx",
            "args": ["-y", "@modelcontextprotocol/server-github@2025.4.8"],
            "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": planted.GH_CLASSIC},
        },
        "docs": {"type": "http", "url": "https://mcp.example.com/mcp"},
    }
}


@pytest.mark.parametrize("system_path", [loc.path for loc in locations.MANAGED])
def test_managed_mcp_json_is_read_at_each_os_system_path(nhi, tmp_path, inventory, system_path):
    root = tmp_path / "root"
    managed = root / system_path
    managed.parent.mkdir(parents=True)
    managed.write_text(json.dumps(MANAGED, indent=2))
    managed.chmod(0o644)  # every user's Claude Code reads it
    write_config(tmp_path, home=tmp_path / "home", system_root=root)
    result = nhi("scan", "-f", "json")
    assert result.code == 0, result.err
    inv = inventory()
    shown = managed.as_posix()
    server = inv.identity(f"mcp:{shown}#company-github")
    assert server["attrs"]["client"] == "claude_code"
    assert server["attrs"]["config_scope"] == "managed"
    assert inv.identity(f"mcp:{shown}#docs")["attrs"]["config_scope"] == "managed"
    credential = inv.credential_for(planted.GH_CLASSIC)
    place = {"location": f"{shown}#company-github", "context": "env GITHUB_PERSONAL_ACCESS_TOKEN"}
    assert credential["locations"] == [place]
    # a secret in the file every user's agent loads; readable by all of them by design, so
    # "chmod 600" (mcp_config_readable_by_others) is no remedy and is not raised
    rules = {r["rule_id"] for r in inv.rows("SELECT rule_id FROM finding WHERE status = 'open'")}
    assert {"mcp_plaintext_secret_in_user_config", "credential_in_local_config"} <= rules
    assert "mcp_config_readable_by_others" not in rules
    report = nhi("report", "-f", "json")
    assert_nowhere({planted.GH_CLASSIC: credential["hint"]}, result.out, result.err, report.out, db_dir=tmp_path)


def test_another_home_does_not_read_this_machines_system_paths(nhi, tmp_path, inventory):
    # home: names another user's (or a copied) home: the system root is read only when given
    write_config(tmp_path, home=tmp_path / "home")
    (tmp_path / "home/.cursor").mkdir(parents=True)
    (tmp_path / "home/.cursor/mcp.json").write_text(json.dumps({"mcpServers": {"a": {"command": "a"}}}))
    result = nhi("scan", "-f", "json")
    assert result.code == 0, result.err
    assert [r["id"] for r in inventory().rows("SELECT id FROM v_identities")] == ["mcp:~/.cursor/mcp.json#a"]


def test_a_repositorys_managed_mcp_json_is_its_file(nhi, tmp_path, inventory):
    # the source an administrator deploys from, committed: a repository config like the others
    from nhi_connectors.mcp.fake import make_work_tree

    repo = tmp_path / "it-policies"
    (repo / "claude").mkdir(parents=True)
    (repo / "claude/managed-mcp.json").write_text(json.dumps(MANAGED))
    make_work_tree(repo)
    write_config(tmp_path, discover=False)
    result = nhi("scan", "--mcp-path", str(repo), "-f", "json")
    assert result.code in (0, 1), result.err
    inv = inventory()
    server = inv.identity(f"mcp:{repo.as_posix()}/claude/managed-mcp.json#company-github")
    assert server["attrs"]["config_scope"] == "project"
    rules = {r["rule_id"] for r in inv.rows("SELECT rule_id FROM finding WHERE status = 'open'")}
    assert "mcp_secret_in_repository_config" in rules
    hint = inv.credential_for(planted.GH_CLASSIC)["hint"]
    assert_nowhere({planted.GH_CLASSIC: hint}, result.out, result.err, db_dir=tmp_path)
