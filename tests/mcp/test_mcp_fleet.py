"""A fleet view: two laptops scan only their MCP configs (with machine names and the
organisation's salt), write machine.json, and push into one shared inventory. The same key on
both laptops is one credential found on two machines; no secret value leaves either laptop."""

from __future__ import annotations

import json

import planted
from mcp_helpers import Inventory, assert_nowhere, write_config

ORG_SALT = "org-salt-7f3c9a1e5b2d4c6f8a0b"


def _laptop(nhi, tmp_path, name: str, client_file: str):
    home = tmp_path / name / "home"
    path = home / client_file
    path.parent.mkdir(parents=True)
    path.write_text(
        json.dumps({"mcpServers": {"github": {"command": "npx", "env": {"GITHUB_TOKEN": planted.GH_CLASSIC}}}})
    )
    config = write_config(tmp_path / name, home=home, machine=name)
    db, report = tmp_path / name / "nhi.db", tmp_path / name / "machine.json"
    result = nhi("--db", str(db), "--config", str(config), "scan", "--mcp-only", "--output", str(report), "-q")
    assert result.code in (0, 1), result.err
    return db, report, result


def test_two_laptops_pushed_into_one_inventory(nhi, tmp_path, monkeypatch):
    monkeypatch.setenv("NHI_SECRET_SALT", ORG_SALT)
    (tmp_path / "dana").mkdir()
    (tmp_path / "lee").mkdir()
    dana = _laptop(nhi, tmp_path, "dana", ".cursor/mcp.json")
    lee = _laptop(nhi, tmp_path, "lee", ".codeium/windsurf/mcp_config.json")
    shared = tmp_path / "shared.db"
    outputs = []
    for db, report, scan in (dana, lee):
        pushed = nhi("--db", str(db), "inventory", "push", "--to", str(shared), "-f", "json")
        assert pushed.code == 0, pushed.err
        assert json.loads(pushed.out)["salt_matches"] is True
        outputs += [scan.out, scan.err, pushed.out, pushed.err, report.read_text()]
    inv = Inventory(shared)
    try:
        cred = inv.credential_for(planted.GH_CLASSIC)  # one credential, recognised on both machines
        assert [loc["location"] for loc in cred["locations"]] == [
            "dana:~/.cursor/mcp.json#github",
            "lee:~/.codeium/windsurf/mcp_config.json#github",
        ]
    finally:
        inv.close()
    assert_nowhere({planted.GH_CLASSIC: cred["hint"]}, *outputs, db_dir=tmp_path)
    assert_nowhere({planted.GH_CLASSIC: cred["hint"]}, db_dir=tmp_path / "dana")


def test_a_laptop_without_the_org_salt_is_warned(nhi, tmp_path, monkeypatch):
    (tmp_path / "dana").mkdir()
    db, _report, _scan = _laptop(nhi, tmp_path, "dana", ".cursor/mcp.json")
    monkeypatch.setenv("NHI_SECRET_SALT", ORG_SALT)
    pushed = nhi("--db", str(db), "inventory", "push", "--to", str(tmp_path / "shared.db"), "-f", "json")
    assert pushed.code == 0
    assert json.loads(pushed.out)["salt_matches"] is False and "NHI_SECRET_SALT" in pushed.err
