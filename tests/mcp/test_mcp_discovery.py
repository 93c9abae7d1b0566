"""Finding the per-user configs: default home, platform config folders, symlinks, machines."""

from __future__ import annotations

import json
import os

import planted
from mcp_helpers import write_config


def _claude_desktop(path, server="github", token=planted.GH_CLASSIC):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"mcpServers": {server: {"command": "npx", "env": {"GITHUB_TOKEN": token}}}}))


def test_default_home_and_xdg_config_home(nhi, tmp_path, monkeypatch, inventory):
    home, xdg = tmp_path / "home", tmp_path / "xdg"
    _claude_desktop(home / ".config/Claude/claude_desktop_config.json", "in-home")
    _claude_desktop(xdg / "Claude/claude_desktop_config.json", "in-xdg", planted.DEMO_GITHUB)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    (tmp_path / "nhi.yaml").write_text("version: 1\nproviders:\n  mcp: {}\n")
    assert nhi("scan").code == 0
    ids = {r["id"] for r in inventory().rows("SELECT id FROM v_identities")}
    assert ids == {
        "mcp:~/.config/Claude/claude_desktop_config.json#in-home",
        f"mcp:{xdg.as_posix()}/Claude/claude_desktop_config.json#in-xdg",
    }


def test_a_symlinked_config_is_read_under_its_own_name(nhi, tmp_path, inventory):
    home = tmp_path / "home"
    target = tmp_path / "dotfiles/cursor-mcp.json"
    _claude_desktop(target)
    (home / ".cursor").mkdir(parents=True)
    os.symlink(target, home / ".cursor/mcp.json")
    write_config(tmp_path, home=home)
    assert nhi("scan").code == 0
    cred = inventory().credential_for(planted.GH_CLASSIC)
    assert cred["locations"][0]["location"] == "~/.cursor/mcp.json#github"


def test_machine_prefixes_ids_so_machines_can_share_an_inventory(nhi, tmp_path, inventory):
    home = tmp_path / "home"
    _claude_desktop(home / ".cursor/mcp.json")
    write_config(tmp_path, home=home, machine="dana-mbp")
    result = nhi("scan", "-f", "json")
    assert result.code == 0
    assert json.loads(result.out)["scopes"][0]["scope"] == "dana-mbp:~"
    inv = inventory()
    assert [r["id"] for r in inv.rows("SELECT id FROM v_identities")] == ["mcp:dana-mbp:~/.cursor/mcp.json#github"]
    assert inv.credential_for(planted.GH_CLASSIC)["locations"][0]["location"] == "dana-mbp:~/.cursor/mcp.json#github"
