"""`nhi fix mcp` on the clients whose reference is not a plain ``${VAR}``: VS Code's
``${input:id}`` prompts (an ``inputs`` entry added beside the servers) and Codex's TOML
settings that take a secret from the environment by name."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest
from fix_helpers import GH, OPENAI, SLACK, assert_no_secret, memory_keyring, sourced, write

from nhi_connectors.mcp import clients, discovery, jsonc
from nhi_connectors.mcp.detect import scan_server

pytest.importorskip("tomlkit")

CODEX = f"""\ufeff# Codex: ~/.codex/config.toml
model = "o3"  # the default model

[mcp_servers.github]
command = "npx"   # launched through npx
args = ["-y", "@modelcontextprotocol/server-github"]
env = {{ "GITHUB_PERSONAL_ACCESS_TOKEN" = "{GH}", "GITHUB_HOST" = "github.com" }}

[mcp_servers.remote]
url = "https://mcp.example.com/mcp"
bearer_token = "{OPENAI}"

# headers sent to the server
[mcp_servers.remote.http_headers]
# the bot's token
X-Slack-Token = "{SLACK}"
X-Team = "platform"
"""


def found_values(path: Path) -> list[str]:
    """What the scan still finds in a file, read as its client's file."""
    config = discovery.classify_given_file(path)
    parsed = clients.parse(config, path.read_text(encoding="utf-8"))
    return [f.value for server in parsed.servers for f in scan_server(server.spec).found]


def test_codex_secrets_move_to_the_settings_that_name_a_variable(nhi, tmp_path):
    config = write(tmp_path / "repo/.codex/config.toml", CODEX, 0o644)
    secrets = tmp_path / "s.env"
    result = nhi("fix", "mcp", str(tmp_path / "repo"), "--secrets-file", str(secrets), "--yes")
    assert result.code == 0, result.err
    text = config.read_text(encoding="utf-8")
    assert text.startswith('\ufeff# Codex: ~/.codex/config.toml\nmodel = "o3"  # the default model\n')
    assert 'command = "npx"   # launched through npx' in text and "# headers sent to the server" in text
    assert 'X-Team = "platform"' in text
    doc = tomllib.loads(text.lstrip("\ufeff"))
    github, remote = doc["mcp_servers"]["github"], doc["mcp_servers"]["remote"]
    assert github["env"] == {"GITHUB_HOST": "github.com"}
    assert github["env_vars"] == ["GITHUB_PERSONAL_ACCESS_TOKEN"]  # forwarded under the name the server reads
    assert "bearer_token" not in remote and remote["bearer_token_env_var"] == "REMOTE_TOKEN"
    assert remote["http_headers"] == {"X-Team": "platform"}
    assert remote["env_http_headers"] == {"X-Slack-Token": "REMOTE_X_SLACK_TOKEN"}
    assert found_values(config) == []
    assert sourced(secrets, "GITHUB_PERSONAL_ACCESS_TOKEN") == GH
    assert sourced(secrets, "REMOTE_TOKEN") == OPENAI
    assert sourced(secrets, "REMOTE_X_SLACK_TOKEN") == SLACK
    backup = config.with_name("config.toml.bak")
    assert backup.read_bytes() == CODEX.encode() and stat.S_IMODE(backup.stat().st_mode) == 0o644
    assert stat.S_IMODE(config.stat().st_mode) == 0o644
    assert_no_secret(result.out + result.err + text)


def test_codex_secret_in_args_is_refused_and_a_taken_name_too(nhi, tmp_path):
    text = (
        '[mcp_servers.cli]\ncommand = "srv"\nargs = ["--api-key=' + SLACK + '"]\n\n'
        '[mcp_servers.a]\ncommand = "a"\nenv = { GITHUB_TOKEN = "' + GH + '" }\n\n'
        '[mcp_servers.b]\ncommand = "b"\nenv = { GITHUB_TOKEN = "ghp_ZZWKBCo8IrKLsA6ukNIMqWwRgmAo0000XyZ9" }\n'
    )
    config = write(tmp_path / ".codex/config.toml", text)
    result = nhi("fix", "mcp", str(config), "--print-exports", "--yes")
    assert result.code == 3
    assert "cli: args[0]: not rewritten: Codex takes no variable in 'args'" in result.err
    assert "b: env GITHUB_TOKEN: not rewritten: Codex forwards GITHUB_TOKEN by name" in result.err
    doc = tomllib.loads(config.read_text())
    assert doc["mcp_servers"]["a"] == {"command": "a", "env": {}, "env_vars": ["GITHUB_TOKEN"]}
    assert result.out == f"export GITHUB_TOKEN={GH}\n"


VSCODE = (
    "\ufeff{\r\n"
    "\t// servers of this workspace\r\n"
    '\t"inputs": [\r\n'
    '\t\t{"type": "promptString", "id": "db", "description": "database", "password": true},\r\n'
    "\t],\r\n"
    '\t"servers": {\r\n'
    f'\t\t"github": {{"command": "npx", "args": ["-y", "gh", "--token={GH}"]}},\r\n'
    '\t\t"remote": {"type": "http", "url": "https://x.example.com/mcp",'
    f' "headers": {{"Authorization": "Bearer {OPENAI}"}}}}\r\n'
    "\t}\r\n"
    "}\r\n"
)


def test_vscode_secrets_become_password_prompts(nhi, tmp_path):
    config = write(tmp_path / "repo/.vscode/mcp.json", VSCODE)
    result = nhi("fix", "mcp", str(tmp_path / "repo"), "--secrets-file", str(tmp_path / "s.env"), "--yes")
    assert result.code == 0, result.err
    text = config.read_bytes().decode("utf-8")
    expected = (
        VSCODE.replace(f"--token={GH}", "--token=${input:github-token}")
        .replace(f"Bearer {OPENAI}", "Bearer ${input:remote-authorization}")
        .replace(
            '"password": true},\r\n',
            '"password": true},\r\n'
            '\t\t{"type": "promptString", "id": "github-token", "description": '
            '"GITHUB_TOKEN (moved out of this file by nhi fix mcp)", "password": true},\r\n'
            '\t\t{"type": "promptString", "id": "remote-authorization", "description": '
            '"REMOTE_AUTHORIZATION (moved out of this file by nhi fix mcp)", "password": true},\r\n',
            1,
        )
    )
    # the entries go after the last input, before its trailing comma: nothing else moves
    assert text == expected
    doc = jsonc.loads(text)
    assert [i["id"] for i in doc["inputs"]] == ["db", "github-token", "remote-authorization"]
    assert all(i["password"] is True and i["type"] == "promptString" for i in doc["inputs"])
    parsed = clients.parse(discovery.classify_given_file(config), text)
    assert set(parsed.inputs) == {"db", "github-token", "remote-authorization"}
    assert found_values(config) == []
    assert_no_secret(result.out + result.err + text)


@pytest.mark.parametrize("inputs", [None, "[]"])
def test_vscode_inputs_are_created_when_missing_or_empty(nhi, tmp_path, inputs):
    head = "{\n" + (f'  "inputs": {inputs},\n' if inputs else "")
    text = head + '  "servers": {\n    "slack": {"command": "x", "env": {"SLACK_BOT_TOKEN": "' + SLACK + '"}}\n  }\n}\n'
    config = write(tmp_path / ".vscode/mcp.json", text)
    result = nhi("fix", "mcp", str(config), "--print-exports", "--yes")
    assert result.code == 0, result.err
    doc = jsonc.loads(config.read_text())
    assert doc["servers"]["slack"]["env"] == {"SLACK_BOT_TOKEN": "${input:slack-bot-token}"}
    assert doc["inputs"] == [
        {
            "type": "promptString",
            "id": "slack-bot-token",
            "description": "SLACK_BOT_TOKEN (moved out of this file by nhi fix mcp)",
            "password": True,
        }
    ]
    assert result.out == f"export SLACK_BOT_TOKEN={SLACK}\n"


def test_vscode_user_settings_get_inputs_under_mcp(nhi, tmp_path, monkeypatch):
    home = tmp_path / "home"
    settings = write(
        home / ".config/Code/User/settings.json",
        '{\n  "editor.tabSize": 2,\n  "mcp": {\n    "servers": {\n'
        '      "slack": {"command": "x", "env": {"SLACK_BOT_TOKEN": "' + SLACK + '"}}\n    }\n  }\n}\n',
    )
    monkeypatch.setenv("HOME", str(home))
    result = nhi("fix", "mcp", "--secrets-file", str(tmp_path / "s.env"), "--yes")
    assert result.code == 0, result.err
    doc = jsonc.loads(settings.read_text())
    assert doc["editor.tabSize"] == 2
    assert [i["id"] for i in doc["mcp"]["inputs"]] == ["slack-bot-token"]
    assert doc["mcp"]["servers"]["slack"]["env"]["SLACK_BOT_TOKEN"] == "${input:slack-bot-token}"


def test_no_secret_leaves_vscode_or_codex_files_but_into_the_keychain(nhi, tmp_path):
    keyring = pytest.importorskip("keyring")
    tree = tmp_path / "tree"
    write(tree / ".vscode/mcp.json", VSCODE)
    write(tree / ".codex/config.toml", CODEX)
    previous, backend = keyring.get_keyring(), memory_keyring()
    keyring.set_keyring(backend)
    try:
        outputs = "".join(
            r.out + r.err for r in (nhi("fix", "mcp", str(tree)), nhi("fix", "mcp", str(tree), "--keychain", "--yes"))
        )
    finally:
        keyring.set_keyring(previous)
    assert_no_secret(outputs)
    for path in tree.rglob("*"):
        if path.is_file() and ".bak" not in path.name:
            assert_no_secret(path.read_text(encoding="utf-8"))
    assert set(backend.store.values()) == {GH, OPENAI, SLACK}
    assert {service for service, _ in backend.store} == {"nhi-mcp"}
