"""Scanning a tree of real-format MCP configs for every client: every planted secret is found
(type and place), none is stored or printed, placeholders stay references."""

from __future__ import annotations

from types import SimpleNamespace

import planted
import pytest
from mcp_helpers import FIXTURES, Inventory, assert_nowhere, copy_tree, invoke, write_config


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    """One scan of the whole tree (home + repository), shared by the tests of this module,
    followed by every read command a user would run, with their output kept."""
    base = tmp_path_factory.mktemp("mcp-tree")
    tree = copy_tree(FIXTURES / "mcp", base / "tree")
    where = [
        "--db",
        str(base / "nhi.db"),
        "--config",
        str(write_config(base, home=tree / "home", paths=[tree / "repo"])),
    ]
    outputs = []
    for args in (
        ["scan"],
        ["scan", "-f", "json", "-v"],
        ["inventory", "list", "-f", "json"],
        ["inventory", "list", "--what", "credentials", "-f", "json"],
        ["inventory", "list", "--what", "credentials"],
        ["findings", "list", "-f", "json"],
        ["report", "-f", "markdown"],
        ["report", "-f", "json"],
        ["report", "-f", "sarif"],
    ):
        result = invoke(*args, *where)
        assert result.code in (0, 1), (args, result.err)
        outputs += [result.out, result.err]
    inv = Inventory(base / "nhi.db")
    yield SimpleNamespace(tree=tree, base=base, inv=inv, outputs=outputs, where=where)
    inv.close()


def _display(tree, rel: str) -> str:
    if rel.startswith("home/"):
        return "~/" + rel[len("home/") :]
    return (tree / rel).as_posix()


def test_every_planted_secret_is_found_with_its_type_and_place(scanned):
    inv, tree = scanned.inv, scanned.tree
    for value, (secret_type, client, rel, server, field) in planted.FIXTURE_SECRETS.items():
        cred = inv.credential_for(value)
        assert cred["kind"] == "embedded_secret" and cred["provider"] == "mcp"
        assert cred["attrs"]["secret_type"] == secret_type, value[:6]
        where = f"{_display(tree, rel)}#{server}"
        assert {"location": where, "context": field} in cred["locations"], (secret_type, cred["locations"])
        assert client in cred["attrs"]["clients"]
        identity = inv.identity(f"mcp:{where}")
        assert identity["attrs"]["client"] == client and identity["kind"] == "mcp_server"


def test_provider_style_hints_and_aws_key_id(scanned):
    inv = scanned.inv
    assert inv.credential_for(planted.SHARED_OPENAI)["hint"] == "sk-proj-SHR...Sh4R"
    assert inv.credential_for(planted.OPENAI_SVCACCT)["hint"] == "sk-svcacct-Fak...Zz99"
    assert inv.credential_for(planted.ANTHROPIC_ADMIN)["hint"] == "sk-ant-admin01-Fak...wqAA"
    assert inv.credential_for(planted.GH_CLASSIC)["hint"] == planted.GH_CLASSIC[-8:]
    assert inv.credential_for(planted.PG_PASSWORD)["hint"] == "postgresql://app:***@db.internal.example"
    assert inv.credential_for(planted.NAMED_PASSWORD)["hint"] == "****"
    aws = inv.credential_for(planted.AWS_TEMP_SECRET)  # the secret key and its id are one credential
    assert aws["key_id"] == planted.AWS_TEMP_ID and aws["attrs"]["has_secret_key"] is True
    assert {loc["context"] for loc in aws["locations"]} == {"env AWS_ACCESS_KEY_ID", "env AWS_SECRET_ACCESS_KEY"}


def test_no_planted_secret_is_stored_or_printed(scanned):
    assert any("mcp_server" in out for out in scanned.outputs)
    cred_id = scanned.inv.credential_for(planted.SHARED_OPENAI)["id"]
    shown = invoke("inventory", "show", cred_id, *scanned.where)
    assert shown.code == 0 and "sk-proj-SHR...Sh4R" in shown.out
    hints = {value: scanned.inv.credential_for(value)["hint"] for value in planted.FIXTURE_SECRETS}
    del hints[planted.PEM]  # its hint is the armour line; the key material is the body
    hints[planted.PEM_BODY] = None
    assert_nowhere(hints, *scanned.outputs, shown.out, shown.err, db_dir=scanned.base)


def test_placeholders_are_references_not_secrets(scanned):
    inv = scanned.inv
    repo = (scanned.tree / "repo").as_posix()
    github = inv.identity(f"mcp:{repo}/.vscode/mcp.json#github")["attrs"]
    assert github["plaintext_secrets"] == 0 and github["transport"] == "http"
    assert github["references"] == [
        {"field": "headers Authorization", "ref": "input:github_pat", "kind": "input", "password_prompt": True}
    ]
    fetch = inv.identity(f"mcp:{repo}/.vscode/mcp.json#fetch")["attrs"]
    assert fetch["plaintext_secrets"] == 0 and fetch["references"][0]["ref"] == "env:GITHUB_TOKEN"
    docker = inv.identity(f"mcp:{repo}/.mcp.json#github")["attrs"]
    assert docker["plaintext_secrets"] == 0 and docker["references"][0]["ref"] == "GITHUB_TOKEN"
    linear = inv.identity("mcp:~/.claude.json#linear")["attrs"]
    assert linear["plaintext_secrets"] == 0 and linear["references"][0]["ref"] == "LINEAR_API_KEY"
    docs = inv.identity("mcp:~/.codeium/windsurf/mcp_config.json#docs")["attrs"]
    assert docs["plaintext_secrets"] == 0 and docs["references"][0]["ref"] == "env:WINDSURF_API_TOKEN"
    # a pasted key as the ${VAR:-default} of a reference is a leak; the reference is still recorded
    writer = inv.identity("mcp:~/Library/Application Support/Claude/claude_desktop_config.json#writer")["attrs"]
    assert writer["plaintext_secrets"] == 1 and {r["ref"] for r in writer["references"]} == {
        "OPENAI_API_KEY",
        "LINEAR_API_KEY",
    }
    clean = {
        r["id"] for r in inv.rows("SELECT id FROM v_identities WHERE json_extract(attrs, '$.plaintext_secrets') = 0")
    }
    assert "mcp:~/AppData/Roaming/Claude/claude_desktop_config.json#notes" in clean
    assert "mcp:~/.config/Code/User/mcp.json#memory" in clean


def test_identity_attributes_per_client_and_scope(scanned):
    inv = scanned.inv
    repo = (scanned.tree / "repo").as_posix()
    local = inv.identity("mcp:~/.claude.json#/work/projects/robot-arm::llm-gateway")["attrs"]
    assert (local["client"], local["config_scope"], local["project"]) == (
        "claude_code",
        "local",
        "/work/projects/robot-arm",
    )
    assert local["url"] == "https://llm-gw.northwind.example/mcp" and local["header_names"] == ["Authorization"]
    user = inv.identity("mcp:~/.claude.json#anthropic-admin")["attrs"]
    assert (user["config_scope"], user["transport"], user["package"]) == ("user", "stdio", "anthropic-admin-mcp")
    assert user["in_git_repo"] is False and user["committed"] is False
    tracker = inv.identity(f"mcp:{repo}/.mcp.json#tracker")["attrs"]
    assert tracker["transport"] == "sse" and tracker["committed"] is True and tracker["repo_root"] == repo
    assert tracker["url"] == "https://tracker.northwind.example/sse"  # the query (with its token) is dropped
    warehouse = inv.identity("mcp:~/.cursor/mcp.json#warehouse")["attrs"]
    assert warehouse["url"] == "https://warehouse.northwind.example/mcp"  # no user info
    maps = inv.identity("mcp:~/.codeium/windsurf/mcp_config.json#maps")["attrs"]
    assert (maps["client"], maps["transport"]) == ("windsurf", "http")
    search = inv.identity("mcp:~/.config/Claude/claude_desktop_config.json#search")["attrs"]
    assert search["package"] == "mcp-search" and search["command"] == "uvx"
    clients = {r["c"] for r in inv.rows("SELECT DISTINCT json_extract(attrs, '$.client') AS c FROM v_identities")}
    assert clients == {"claude_desktop", "claude_code", "cursor", "vscode", "windsurf", "gemini_cli"}
    gemini = inv.identity("mcp:~/.gemini/settings.json#search")["attrs"]
    assert (gemini["transport"], gemini["url"], gemini["plaintext_secrets"]) == (
        "http",
        "https://search.northwind.example/mcp",
        0,
    )


def test_same_secret_in_two_configs_is_one_credential_with_two_locations(nhi, tmp_path, tree, inventory):
    write_config(tmp_path, home=tree / "home", paths=[tree / "repo"])
    assert nhi("scan").code == 0
    assert nhi("scan").code == 0  # and a second scan keeps it that way
    inv = inventory()
    cred = inv.credential_for(planted.SHARED_OPENAI)
    assert [loc["location"] for loc in cred["locations"]] == sorted(
        [f"{(tree / 'repo').as_posix()}/.cursor/mcp.json#assistant", "~/.cursor/mcp.json#assistant"]
    )
    assert inv.rows("SELECT COUNT(*) AS n FROM v_credentials WHERE hint = 'sk-proj-SHR...Sh4R'")[0]["n"] == 1
    removed = inv.rows("SELECT COUNT(*) AS n FROM identity WHERE removed_at IS NOT NULL")[0]["n"]
    assert removed == 0
