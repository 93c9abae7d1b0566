"""The other agent clients (Codex, Zed, Continue, Cline, Roo Code, JetBrains AI Assistant,
Junie, Goose, Amazon Q, Copilot CLI and JetBrains, LM Studio, Visual Studio, Tabnine): their
real file formats, per-user and per-project, found and read, every planted secret typed and
placed, none stored or printed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import planted
import pytest
from mcp_helpers import FIXTURES, Inventory, assert_nowhere, copy_tree, invoke, write_config

from nhi_connectors.mcp import clients, discovery, locations
from nhi_connectors.mcp.discovery import ConfigFile

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    base = tmp_path_factory.mktemp("mcp-clients")
    tree = copy_tree(FIXTURES / "mcp" / "clients", base / "tree")
    where = [
        "--db",
        str(base / "nhi.db"),
        "--config",
        str(write_config(base, home=tree / "home", paths=[tree / "project"])),
    ]
    outputs = []
    for args in (["scan", "-f", "json", "-v"], ["inventory", "list", "-f", "json"], ["report", "-f", "sarif"]):
        result = invoke(*args, *where)
        assert result.code in (0, 1), (args, result.err)
        outputs += [result.out, result.err]
    inv = Inventory(base / "nhi.db")
    yield SimpleNamespace(tree=tree, base=base, inv=inv, outputs=outputs, scan=json.loads(outputs[0]))
    inv.close()


def _display(tree: Path, rel: str) -> str:
    return "~/" + rel[len("home/") :] if rel.startswith("home/") else (tree / rel).as_posix()


def test_every_client_file_is_read_without_a_gap(scanned):
    assert all(scope["status"] == "complete" for scope in scanned.scan["scopes"]), scanned.scan["scopes"]
    clients_seen = {
        r["c"] for r in scanned.inv.rows("SELECT DISTINCT json_extract(attrs, '$.client') AS c FROM v_identities")
    }
    assert clients_seen == {
        "codex",
        "zed",
        "continue",
        "cline",
        "roo_code",
        "jetbrains_ai",
        "junie",
        "goose",
        "amazon_q",
        "copilot_cli",
        "copilot_jetbrains",
        "lm_studio",
        "visual_studio",
        "tabnine",
    }


def test_every_planted_secret_is_found_with_its_type_and_place(scanned):
    for value, (secret_type, client, rel, server, field) in planted.CLIENT_SECRETS.items():
        cred = scanned.inv.credential_for(value)
        assert cred["attrs"]["secret_type"] == secret_type, (rel, server)
        where = f"{_display(scanned.tree, rel)}#{server}"
        assert {"location": where, "context": field} in cred["locations"], (secret_type, cred["locations"])
        assert scanned.inv.identity(f"mcp:{where}")["attrs"]["client"] == client
    aws = scanned.inv.credential_for("6VaVvr3gNy1ZFC7cjk3yth+/8RtItTKMbjixmyUI")
    assert aws["key_id"] == planted.CLIENT_AWS_KEY_ID and aws["attrs"]["has_secret_key"] is True


def test_references_by_name_are_not_secrets(scanned):
    inv, project = scanned.inv, (scanned.tree / "project").as_posix()

    def refs(identity_id):
        attrs = inv.identity(identity_id)["attrs"]
        return attrs["plaintext_secrets"], {r["ref"] for r in attrs["references"]}

    # Codex: bearer_token_env_var and env_http_headers name variables
    assert refs("mcp:~/.codex/config.toml#docs") == (0, {"DOCS_MCP_TOKEN", "DOCS_TEAM_KEY"})
    # Goose: env_keys live in goose's keyring
    assert refs("mcp:~/.config/goose/config.yaml#github")[1] == {"GITHUB_API_URL"}
    # Continue: ${{ secrets.NAME }}
    assert refs("mcp:~/.continue/config.yaml#Linear") == (0, {"secrets.LINEAR_API_KEY"})
    assert refs(f"mcp:{project}/.continue/mcpServers/sqlite.yaml#SQLite") == (0, {"secrets.SQLITE_PATH"})
    # Zed's older command object
    assert refs("mcp:~/.config/zed/settings.json#postgres") == (0, {"DATABASE_URL"})
    assert refs(f"mcp:{project}/.ai/mcp/mcp.json#context7") == (0, {"CONTEXT7_API_KEY"})


def test_server_attributes_in_the_common_form(scanned):
    inv, project = scanned.inv, (scanned.tree / "project").as_posix()
    goose = inv.identity("mcp:~/.config/goose/config.yaml#github")
    assert (goose["attrs"]["command"], goose["attrs"]["package"], goose["attrs"]["transport"]) == (
        "npx",
        "@modelcontextprotocol/server-github",
        "stdio",
    )
    # Codex: an inline bearer_token and a bearer_token_env_var both authenticate the server
    assert inv.identity("mcp:~/.codex/config.toml#gateway")["attrs"]["remote_auth"] == "field"
    assert inv.identity("mcp:~/.codex/config.toml#docs")["attrs"]["remote_auth"] == "header"
    tracker = inv.identity("mcp:~/.config/goose/config.yaml#tracker")
    assert tracker["enabled"] in (0, False) and tracker["attrs"]["url"] == "https://tracker.northwind.example/mcp"
    assert tracker["attrs"]["transport"] == "http"
    ids = {r["id"] for r in inv.rows("SELECT id FROM v_identities")}
    assert "mcp:~/.config/goose/config.yaml#developer" not in ids  # a goose builtin is not an MCP server
    assert inv.identity("mcp:~/.codex/config.toml#playwright")["enabled"] in (0, False)  # enabled = false
    zed_old = inv.identity("mcp:~/.config/zed/settings.json#postgres")["attrs"]
    assert zed_old["command"] == "/usr/local/bin/postgres-mcp" and zed_old["env_names"] == ["DATABASE_URL"]
    xml = inv.identity("mcp:~/AppData/Roaming/JetBrains/WebStorm2025.3/options/llm.mcpServers.xml#maps")["attrs"]
    assert xml["package"] == "@modelcontextprotocol/server-google-maps"
    assert inv.identity(f"mcp:{project}/.idea/workspace.xml#billing")["attrs"]["config_scope"] == "project"
    assert inv.identity("mcp:~/.aws/amazonq/cli-agents/reviewer.json#git")["attrs"]["client"] == "amazon_q"
    # Copilot in JetBrains, Xcode and Eclipse nest headers in requestInit (GitHub's own docs)
    copilot = inv.identity("mcp:~/.config/github-copilot/intellij/mcp.json#github")["attrs"]
    assert (copilot["header_names"], copilot["remote_auth"]) == (["Authorization"], "header")
    local = inv.identity("mcp:~/.config/github-copilot/intellij/mcp.json#github-local")["attrs"]
    assert local["plaintext_secrets"] == 0  # "YOUR_GITHUB_PAT" is the docs' placeholder
    assert (
        inv.identity(f"mcp:{project}/.continue/mcpServers/playwright.json#playwright")["attrs"]["client"] == "continue"
    )


def test_no_planted_secret_is_stored_or_printed(scanned):
    hints = {value: scanned.inv.credential_for(value)["hint"] for value in planted.CLIENT_SECRETS}
    assert_nowhere(hints, *scanned.outputs, db_dir=scanned.base)


# --- every per-user path of every client, on every OS layout --------------------------------
SAMPLES = {
    "codex_toml": '[mcp_servers.s]\ncommand = "npx"\n',
    "zed_settings": '{"context_servers": {"s": {"command": "npx"}}}',
    "continue_yaml": "mcpServers:\n  - name: s\n    command: npx\n",
    "continue_json": '{"experimental": {"modelContextProtocolServers": '
    '[{"name": "s", "transport": {"command": "npx"}}]}}',
    "goose_yaml": "extensions:\n  s:\n    type: stdio\n    cmd: npx\n",
    "jetbrains_xml": '<application><component name="McpApplicationServerCommands"><McpServerCommand>'
    '<option name="name" value="s"/><option name="programPath" value="npx"/>'
    "</McpServerCommand></component></application>",
    "servers": '{"servers": {"s": {"command": "npx"}}}',
    "vscode_settings": '{"mcp": {"servers": {"s": {"command": "npx"}}}}',
    "any": '{"mcpServers": {"s": {"command": "npx"}}}',
    "mcpServers": '{"mcpServers": {"s": {"command": "npx"}}}',
    "claude_code_user": '{"mcpServers": {"s": {"command": "npx"}}}',
}


@pytest.mark.parametrize("loc", locations.HOME, ids=lambda loc: f"{loc.client}:{loc.path}")
def test_each_per_user_location_is_found_and_parsed(tmp_path, loc):
    path = tmp_path / loc.path.replace("*", "WebStorm2025.3" if "JetBrains" in loc.path else "one")
    if "*." in loc.path:
        path = path.with_name("one" + Path(loc.path).suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SAMPLES[loc.format])
    found = [c for c in discovery.home_files(tmp_path) if c.path == path]
    assert [(c.client, c.format) for c in found] == [(loc.client, loc.format)]
    parsed = clients.parse(found[0], path.read_text())
    assert [(s.name, s.spec.get("command")) for s in parsed.servers] == [("s", "npx")]


@pytest.mark.parametrize("base", [".config", "Library/Application Support", "AppData/Roaming"])
@pytest.mark.parametrize("editor", ["Code", "Code - Insiders", "VSCodium"])
def test_vscode_user_folders_on_every_os(tmp_path, base, editor):
    user = tmp_path / base / editor / "User"
    (user / "profiles/work").mkdir(parents=True)
    for path in (user / "mcp.json", user / "profiles/work/mcp.json"):
        path.write_text(SAMPLES["servers"])
    (user / "settings.json").write_text(SAMPLES["vscode_settings"])
    found = {(c.path.relative_to(user).as_posix(), c.client, c.format) for c in discovery.home_files(tmp_path)}
    assert found == {
        ("mcp.json", "vscode", "servers"),
        ("profiles/work/mcp.json", "vscode", "servers"),
        ("settings.json", "vscode", "vscode_settings"),
    }


def test_project_forms_are_found_by_a_directory_walk(tmp_path):
    for loc in locations.PROJECT:
        path = tmp_path / "repo" / loc.path.replace("*", "one")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(SAMPLES[loc.format])
    found = {
        (c.client, c.config_scope, c.path.relative_to(tmp_path / "repo").as_posix()) for c in discovery.walk(tmp_path)
    }
    assert found == {(loc.client, "project", loc.path.replace("*", "one")) for loc in locations.PROJECT}


def test_environment_folders_are_searched(nhi, tmp_path, monkeypatch, inventory):
    codex_home, xdg = tmp_path / "codex-home", tmp_path / "xdg"
    (codex_home).mkdir()
    (codex_home / "config.toml").write_text('[mcp_servers.c]\ncommand = "npx"\n')
    (xdg / "goose").mkdir(parents=True)
    (xdg / "goose/config.yaml").write_text("extensions:\n  g:\n    type: stdio\n    cmd: npx\n")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CODEX_HOME", str(codex_home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    (tmp_path / "nhi.yaml").write_text("version: 1\nproviders:\n  mcp: {}\n")
    assert nhi("scan").code == 0
    ids = {r["id"] for r in inventory().rows("SELECT id FROM v_identities")}
    assert ids == {f"mcp:{codex_home.as_posix()}/config.toml#c", f"mcp:{xdg.as_posix()}/goose/config.yaml#g"}


# --- broken files of each syntax: a gap with a position, never the file's text ----------------
SECRET = "ghp_" + "Q" * 8 + "z9Y8x7W6v5U4t3S2r1Q0p9O8n7"


@pytest.mark.parametrize(
    "fmt, text, code",
    [
        ("codex_toml", f'[mcp_servers.s]\nenv = {{ T = "{SECRET}" \n', "malformed_toml"),
        ("goose_yaml", f"extensions:\n  s: {{cmd: npx, envs: {{T: {SECRET}}}\n", "malformed_yaml"),
        ("jetbrains_xml", f'<application><option value="{SECRET}"></application>', "malformed_xml"),
        ("jetbrains_xml", '<!DOCTYPE x [<!ENTITY a "b">]><application/>', "malformed_xml"),
        ("zed_settings", f'{{"context_servers": {{"s": {{"env": {{"T": "{SECRET}" "x": 1}}}}}}}}', "malformed_json"),
        ("goose_yaml", "extensions: [1, 2]\n", "unexpected_shape"),
        ("codex_toml", "", "empty"),
        ("mcpServers", "  \n\n", "empty"),
    ],
)
def test_broken_files_name_a_position_only(tmp_path, fmt, text, code):
    with pytest.raises(clients.FileProblem) as err:
        clients.parse(ConfigFile(tmp_path / "f", "x", "user", fmt), text)
    assert err.value.code == code
    assert SECRET not in str(err.value) and SECRET[:12] not in str(err.value)
    if code.startswith("malformed") and "DOCTYPE" not in text:
        assert re.search(r"line \d+", str(err.value)), str(err.value)


def test_an_empty_config_is_reported(nhi, tmp_path):
    home = tmp_path / "home"
    (home / ".cursor").mkdir(parents=True)
    (home / ".cursor/mcp.json").write_text("")
    write_config(tmp_path, home=home)
    result = nhi("scan", "-f", "json")
    assert result.code == 0
    scope = json.loads(result.out)["scopes"][0]
    assert scope["status"] == "partial" and "empty" in json.dumps(scope)


def test_the_readme_documents_every_client():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| client | files read") :]
    table = table[: table.index("\n\n")]
    for loc in locations.HOME + locations.PROJECT + locations.MANAGED:
        # <config>/<editor>/ and <config>/JetBrains/ stand for the per-OS folders
        path = loc.path.split("/globalStorage/")[-1].split("JetBrains/")[-1]
        assert path in table, f"README client table lacks {loc.client} {loc.path}"


# --- entries the client itself would not start: reported, or (state only) not servers ---------
JETBRAINS_ENTRIES = """<application><component name="McpApplicationServerCommands" modifiable="true"><commands>
  <McpServerConfigurationProperties><option name="allowedToolsNames" /><option name="enabled" value="true" />
    <option name="name" value="kept-in-mcp-json" /><option name="userOverride" value="false" />
  </McpServerConfigurationProperties>
  <McpServerCommand><option name="enabled" value="true" /><option name="name" value="" />
    <option name="programPath" value="" /><option name="arguments" value="" />
    <option name="workingDirectory" value="" />
  </McpServerCommand>
  <McpServerCommand><option name="name" value="no-program" /><option name="arguments" value="-y tool --token T" />
  </McpServerCommand>
  <McpServerCommand><option name="programPath" value="npx" /><envs><env name="TOKEN" value="T" /></envs>
  </McpServerCommand>
</commands><urls>
  <McpServerURL><option name="name" value="remote" /><option name="url" value="https://mcp.example.com/mcp" />
    <option name="headers"><map><entry key="Authorization" value="${TOKEN}" /></map></option>
  </McpServerURL>
</urls></component></application>"""


def test_jetbrains_entries_without_a_program_or_a_name_are_reported_and_state_is_not(tmp_path):
    parsed = clients.parse(
        ConfigFile(tmp_path / "llm.mcpServers.xml", "jetbrains_ai", "user", "jetbrains_xml"), JETBRAINS_ENTRIES
    )
    assert [(s.name, s.spec) for s in parsed.servers] == [
        ("remote", {"url": "https://mcp.example.com/mcp", "headers": {"Authorization": "${TOKEN}"}})
    ]
    # a state-only entry (its definition is in ~/.ai/mcp/mcp.json) and a blank one are not servers;
    # a definition without its program, or without a name, cannot be read and is said so
    assert parsed.unreadable == ["no-program", "McpServerCommand[3]"]


def test_a_codex_server_that_is_not_a_table_is_reported(tmp_path):
    text = 'mcp_servers = { good = { command = "npx" }, odd = "npx -y tool --token T" }\n'
    parsed = clients.parse(ConfigFile(tmp_path / "config.toml", "codex", "user", "codex_toml"), text)
    assert [s.name for s in parsed.servers] == ["good"] and parsed.unreadable == ["odd"]
