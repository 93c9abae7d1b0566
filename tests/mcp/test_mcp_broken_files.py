"""A file that cannot be read or parsed is reported on its own and the scan goes on."""

from __future__ import annotations

import json
import os
import shutil

import planted
import pytest
from mcp_helpers import FIXTURES, assert_nowhere, write_config


@pytest.fixture
def broken_home(tmp_path):
    """A home with one good Claude Desktop config and a broken file for every other client."""
    home = tmp_path / "home"
    good = home / ".config/Claude/claude_desktop_config.json"
    good.parent.mkdir(parents=True)
    shutil.copy(FIXTURES / "mcp/home/.config/Claude/claude_desktop_config.json", good)
    cursor = home / ".cursor/mcp.json"  # malformed, with a secret right next to the error
    cursor.parent.mkdir(parents=True)
    cursor.write_text('{"mcpServers": {"x": {"env": {"OPENAI_API_KEY": "' + planted.SHARED_OPENAI + '" "B": 1}}}}')
    windsurf = home / ".codeium/windsurf/mcp_config.json"  # a symlink loop
    windsurf.parent.mkdir(parents=True)
    os.symlink(windsurf.parent / "loop-b", windsurf.parent / "loop-a")
    os.symlink(windsurf.parent / "loop-a", windsurf.parent / "loop-b")
    os.symlink(windsurf.parent / "loop-a", windsurf)
    claude = home / ".claude.json"  # over the size limit set below
    claude.write_text(json.dumps({"mcpServers": {}, "history": ["x" * 100] * 200}))
    code = home / ".config/Code/User"
    code.mkdir(parents=True)
    (code / "mcp.json").mkdir()  # not a file
    (code / "settings.json").write_bytes(b'{"mcp": {"servers": {}}, "bad": "\xff\xfe"}')  # not UTF-8
    mac = home / "Library/Application Support/Claude/claude_desktop_config.json"
    mac.parent.mkdir(parents=True)
    mac.write_text('["not", "an", "object"]')
    return home


def test_each_broken_file_is_a_gap_and_the_rest_is_scanned(nhi, tmp_path, broken_home, inventory):
    write_config(tmp_path, home=broken_home, max_file_bytes=10_000)
    result = nhi("scan", "-f", "json")
    assert result.code == 0, result.err  # a partial scope is a gap, not a failed scan
    scope = json.loads(result.out)["scopes"][0]
    assert scope["scope"] == "~" and scope["status"] == "partial"
    gaps = {g["what"]: g["code"] for g in scope["gaps"]}
    assert gaps == {
        "~/.cursor/mcp.json": "malformed_json",
        "~/.codeium/windsurf/mcp_config.json": "symlink_loop",
        "~/.claude.json": "too_large",
        "~/.config/Code/User/mcp.json": "not_a_file",
        "~/.config/Code/User/settings.json": "not_utf8",
        "~/Library/Application Support/Claude/claude_desktop_config.json": "unexpected_shape",
    }
    malformed = next(g for g in scope["gaps"] if g["code"] == "malformed_json")
    assert "line 1 column" in malformed["message"]
    inv = inventory()
    names = {r["name"] for r in inv.rows("SELECT name FROM v_identities WHERE provider = 'mcp'")}
    assert names == {"github", "search", "postgres", "filesystem"}  # the good file, in full
    table = nhi("scan")
    assert "partial" in table.out and "malformed_json" in table.out
    assert_nowhere({planted.SHARED_OPENAI: None}, result.out, result.err, table.out, table.err, db_dir=tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_is_a_gap(nhi, tmp_path):
    home = tmp_path / "home"
    cursor = home / ".cursor/mcp.json"
    cursor.parent.mkdir(parents=True)
    cursor.write_text('{"mcpServers": {}}')
    cursor.chmod(0)
    write_config(tmp_path, home=home)
    result = nhi("scan", "-f", "json")
    assert result.code == 0
    assert json.loads(result.out)["scopes"][0]["gaps"][0]["code"] == "unreadable"


def test_jsonc_comments_and_trailing_commas_parse(nhi, tmp_path, inventory):
    home = tmp_path / "home"
    path = home / ".config/Code/User/mcp.json"
    path.parent.mkdir(parents=True)
    path.write_text("""// user profile MCP servers
{
  "servers": {
    /* a comment holding "quotes", // and /* */
    "docs": {"type": "http", "url": "https://docs.example.com/mcp//x", "headers": {"X-Note": "a,}/*b*/"},},
  },
}""")
    write_config(tmp_path, home=home)
    assert nhi("scan").code == 0
    attrs = json.loads(inventory().rows("SELECT attrs FROM v_identities")[0]["attrs"])
    assert attrs["url"] == "https://docs.example.com/mcp//x" and attrs["header_names"] == ["X-Note"]


def test_missing_home_is_an_empty_complete_scope(nhi, tmp_path):
    write_config(tmp_path, home=tmp_path / "nobody")
    result = nhi("scan", "-f", "json")
    assert result.code == 0
    assert json.loads(result.out)["scopes"][0]["status"] == "complete"


def test_a_server_entry_that_is_not_an_object_is_a_gap_not_an_absence(nhi, tmp_path, inventory):
    """``"x": "<a key>"`` or ``"y": null`` is no server nhi can read; it says so (naming the
    entry, never its value) and reads the file's other servers."""
    home = tmp_path / "home"
    cursor = home / ".cursor/mcp.json"
    cursor.parent.mkdir(parents=True)
    good = {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-github"]}
    cursor.write_text(json.dumps({"mcpServers": {"good": good, "x": planted.SHARED_OPENAI, "y": None}}))
    write_config(tmp_path, home=home)
    result = nhi("scan", "-f", "json")
    assert result.code == 0, result.err
    scope = json.loads(result.out)["scopes"][0]
    assert scope["status"] == "partial"
    assert {g["what"]: g["code"] for g in scope["gaps"]} == {
        "~/.cursor/mcp.json#x": "unexpected_shape",
        "~/.cursor/mcp.json#y": "unexpected_shape",
    }
    names = {r["name"] for r in inventory().rows("SELECT name FROM v_identities WHERE provider = 'mcp'")}
    assert names == {"good"}
    assert_nowhere({planted.SHARED_OPENAI: None}, result.out, result.err, db_dir=tmp_path)
