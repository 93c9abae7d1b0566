"""`nhi fix mcp`: plaintext secrets of MCP configs moved into the clients' references.

Every test runs the real CLI in-process on files written as a user's clients would write
them, and reads back the files, the secrets file and the shell's view of it. The secret values
are fake (right format, no account behind them)."""

from __future__ import annotations

import json
import os
import stat

import pytest
from fix_helpers import GH, OPENAI, SLACK, assert_no_secret, memory_keyring, sourced, write

from nhi_connectors.mcp import jsonc

# Claude Code's project file as people write it: a BOM, comments, trailing commas, CRLF.
CLAUDE = (
    "\ufeff{\r\n"
    "  // servers of this project\r\n"
    '  "mcpServers": {\r\n'
    '    "github": {\r\n'
    '      "command": "npx",\r\n'
    '      "args": ["-y", "@modelcontextprotocol/server-github"],\r\n'
    f'      "env": {{"GITHUB_PERSONAL_ACCESS_TOKEN": "{GH}", /* rotated monthly */ }},\r\n'
    "    },\r\n"
    '    "remote": {"type": "http", "url": "https://mcp.example.com/mcp",\r\n'
    f'               "headers": {{"Authorization": "Bearer {OPENAI}"}}}},\r\n'
    "  },\r\n"
    "}\r\n"
)


def test_help_everywhere(nhi):
    for args in (["fix", "--help"], ["fix", "mcp", "--help"]):
        result = nhi(*args)
        assert result.code == 0, result.err
        assert "secret" in result.out
    assert "--secrets-file" in nhi("fix", "mcp", "--help").out


def test_dry_run_is_the_default_and_writes_nothing(nhi, tmp_path):
    config = write(tmp_path / "proj/.mcp.json", CLAUDE, 0o640)
    result = nhi("fix", "mcp", str(tmp_path / "proj"), "--secrets-file", str(tmp_path / "s.env"))
    assert result.code == 0, result.err
    assert config.read_bytes() == CLAUDE.encode()
    assert sorted(p.name for p in (tmp_path / "proj").iterdir()) == [".mcp.json"]
    assert not (tmp_path / "s.env").exists()
    # the diff shows the reference that will replace each secret, the secret masked
    assert '+      "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "${GITHUB_PERSONAL_ACCESS_TOKEN}"' in result.out
    assert '-      "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "****"' in result.out
    assert '"Bearer ${REMOTE_AUTHORIZATION}"' in result.out
    assert "dry run: 2 secret(s) in 1 file(s) would be moved" in result.err
    assert_no_secret(result.out + result.err)


def test_yes_rewrites_keeping_comments_commas_bom_crlf_and_mode(nhi, tmp_path):
    config = write(tmp_path / "proj/.mcp.json", CLAUDE, 0o640)
    secrets = tmp_path / "s.env"
    result = nhi("fix", "mcp", str(config), "--secrets-file", str(secrets), "--yes")
    assert result.code == 0, result.err
    expected = CLAUDE.replace(GH, "${GITHUB_PERSONAL_ACCESS_TOKEN}").replace(OPENAI, "${REMOTE_AUTHORIZATION}")
    assert config.read_bytes() == expected.encode()  # only the two values changed, byte for byte
    assert stat.S_IMODE(config.stat().st_mode) == 0o640
    backup = config.with_name(".mcp.json.bak")
    assert backup.read_bytes() == CLAUDE.encode()
    assert stat.S_IMODE(backup.stat().st_mode) == 0o640
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    assert sourced(secrets, "GITHUB_PERSONAL_ACCESS_TOKEN") == GH
    assert sourced(secrets, "REMOTE_AUTHORIZATION") == OPENAI
    doc = jsonc.loads(config.read_text())
    assert doc["mcpServers"]["github"]["env"] == {"GITHUB_PERSONAL_ACCESS_TOKEN": "${GITHUB_PERSONAL_ACCESS_TOKEN}"}
    assert_no_secret(result.out + result.err + config.read_text())
    # a second run finds nothing left to move
    again = nhi("fix", "mcp", str(config), "--secrets-file", str(secrets), "--yes")
    assert again.code == 0 and "nothing to rewrite" in again.err


def test_cursor_and_windsurf_use_env_colon_and_gemini_dollar_brace(nhi, tmp_path, monkeypatch):
    body = {"mcpServers": {"slack": {"command": "npx", "args": ["-y", "slack-mcp"], "env": {"SLACK_BOT_TOKEN": SLACK}}}}
    home = tmp_path / "home"
    cursor = write(home / ".cursor/mcp.json", json.dumps(body, indent=2))
    windsurf = write(home / ".codeium/windsurf/mcp_config.json", json.dumps(body, indent=2))
    gemini = write(home / ".gemini/settings.json", json.dumps(body, indent=2))
    monkeypatch.setenv("HOME", str(home))  # no path: the current user's own configs
    result = nhi("fix", "mcp", "--secrets-file", str(tmp_path / "s.env"), "--yes")
    assert result.code == 0, result.err
    assert json.loads(cursor.read_text())["mcpServers"]["slack"]["env"]["SLACK_BOT_TOKEN"] == "${env:SLACK_BOT_TOKEN}"
    assert json.loads(windsurf.read_text())["mcpServers"]["slack"]["env"]["SLACK_BOT_TOKEN"] == "${env:SLACK_BOT_TOKEN}"
    assert json.loads(gemini.read_text())["mcpServers"]["slack"]["env"]["SLACK_BOT_TOKEN"] == "${SLACK_BOT_TOKEN}"
    # one value, one variable, written once
    lines = (tmp_path / "s.env").read_text().splitlines()
    assert lines == ["export SLACK_BOT_TOKEN=" + SLACK]


def test_claude_desktop_and_unknown_forms_are_refused_not_invented(nhi, tmp_path):
    text = json.dumps({"mcpServers": {"gh": {"command": "npx", "env": {"GITHUB_TOKEN": GH}}}}, indent=2)
    desktop = write(tmp_path / "claude_desktop_config.json", text)
    result = nhi("fix", "mcp", str(desktop), "--secrets-file", str(tmp_path / "s.env"), "--yes")
    assert result.code == 3
    assert "gh: env GITHUB_TOKEN: not rewritten: Claude Desktop expands no variable" in result.err
    assert desktop.read_text() == text
    assert not (tmp_path / "s.env").exists()
    assert_no_secret(result.out + result.err)


def test_a_default_of_a_reference_is_refused_and_the_rest_moved(nhi, tmp_path):
    text = json.dumps(
        {"mcpServers": {"a": {"command": "x", "env": {"GH": f"${{GH_TOKEN:-{GH}}}", "SLACK_BOT_TOKEN": SLACK}}}}
    )
    config = write(tmp_path / ".mcp.json", text)
    result = nhi("fix", "mcp", str(config), "--print-exports", "--yes")
    assert result.code == 3
    assert "env GH default: not rewritten: the secret is the default of a reference" in result.err
    doc = json.loads(config.read_text())
    assert doc["mcpServers"]["a"]["env"] == {"GH": f"${{GH_TOKEN:-{GH}}}", "SLACK_BOT_TOKEN": "${A_SLACK_BOT_TOKEN}"}
    assert result.out == f"export A_SLACK_BOT_TOKEN={SLACK}\n"  # only the export lines on stdout


def test_a_file_that_does_not_round_trip_is_refused(nhi, tmp_path):
    # a duplicate key: clients disagree on which one wins, so no edit can be trusted
    text = '{"mcpServers": {"a": {"command": "x", "env": {"SLACK_BOT_TOKEN": "VALUE"}}}, "mcpServers": {}}'.replace(
        "VALUE", SLACK
    )
    config = write(tmp_path / ".mcp.json", text)
    result = nhi("fix", "mcp", str(config), "--secrets-file", str(tmp_path / "s.env"), "--yes")
    # the parser keeps the last "mcpServers" (empty): nothing found, nothing to do; now the other way
    assert config.read_text() == text
    text = '{"mcpServers": {}, "mcpServers": {"a": {"command": "x", "env": {"SLACK_BOT_TOKEN": "VALUE"}}}}'.replace(
        "VALUE", SLACK
    )
    write(config, text)
    result = nhi("fix", "mcp", str(config), "--secrets-file", str(tmp_path / "s.env"), "--yes")
    assert result.code == 3
    assert "not rewritten: not_round_trippable: a duplicate key" in result.err
    assert config.read_text() == text
    assert not (tmp_path / "s.env").exists() and not config.with_name(".mcp.json.bak").exists()


def test_escaped_secret_is_re_encoded_and_still_round_trips(nhi, tmp_path):
    escaped = SLACK.replace("-", "\\u002d")  # the same string, written with JSON escapes
    text = '{"mcpServers": {"a": {"command": "x", "env": {"SLACK_BOT_TOKEN": "VALUE"}}}}'.replace("VALUE", escaped)
    config = write(tmp_path / ".mcp.json", text)
    result = nhi("fix", "mcp", str(config), "--secrets-file", str(tmp_path / "s.env"), "--yes")
    assert result.code == 0, result.err
    assert config.read_text() == text.replace(f'"{escaped}"', '"${A_SLACK_BOT_TOKEN}"')


def test_yes_without_a_place_for_the_values_writes_nothing(nhi, tmp_path):
    config = write(tmp_path / ".mcp.json", CLAUDE)
    result = nhi("fix", "mcp", str(config), "--yes")
    assert result.code == 2
    assert "--yes needs a place for the values" in result.err
    assert config.read_bytes() == CLAUDE.encode()
    assert not config.with_name(".mcp.json.bak").exists()


def test_hostile_names_are_sanitised_and_values_quoted(nhi, tmp_path):
    value = "Zq9'$(touch\tpwned)`touch\tpwned`\"x;y"  # a password under a telling name, full of shell syntax
    server = 'evil"; touch pwned; echo "'
    text = json.dumps({"mcpServers": {server: {"command": "x", "env": {"DB_PASSWORD$(id)": value}}}})
    config = write(tmp_path / ".mcp.json", text)
    secrets = tmp_path / "s.env"
    result = nhi("fix", "mcp", str(config), "--secrets-file", str(secrets), "--yes")
    assert result.code == 0, result.err
    name = "EVIL_TOUCH_PWNED_ECHO_DB_PASSWORD_ID"
    assert json.loads(config.read_text())["mcpServers"][server]["env"] == {"DB_PASSWORD$(id)": "${" + name + "}"}
    assert sourced(secrets, name) == value
    assert not (tmp_path / "pwned").exists()


def test_existing_secrets_file_is_added_to_never_replaced(nhi, tmp_path):
    secrets = write(tmp_path / "s.env", "export KEEP=me\n", 0o600)
    config = write(tmp_path / ".mcp.json", CLAUDE)
    result = nhi("fix", "mcp", str(config), "--secrets-file", str(secrets), "--yes")
    assert result.code == 0, result.err
    assert secrets.read_text().startswith("export KEEP=me\n")
    assert sourced(secrets, "KEEP") == "me" and sourced(secrets, "REMOTE_AUTHORIZATION") == OPENAI
    # one others can read is not written to, and then no config is touched
    loose = write(tmp_path / "loose.env", "", 0o644)
    other = write(tmp_path / "b/.mcp.json", CLAUDE)
    result = nhi("fix", "mcp", str(other), "--secrets-file", str(loose), "--yes")
    assert result.code == 4
    assert "others can read it" in result.err
    assert other.read_bytes() == CLAUDE.encode() and loose.read_text() == ""


def test_a_second_backup_does_not_replace_the_first(nhi, tmp_path):
    config = write(tmp_path / ".mcp.json", CLAUDE)
    write(tmp_path / ".mcp.json.bak", "older", 0o600)
    result = nhi("fix", "mcp", str(config), "--print-exports", "--yes")
    assert result.code == 0, result.err
    assert (tmp_path / ".mcp.json.bak").read_text() == "older"
    assert (tmp_path / ".mcp.json.bak.1").read_bytes() == CLAUDE.encode()


def test_symlinks_out_of_a_given_folder_are_refused_a_named_link_writes_its_target(nhi, tmp_path):
    outside = write(tmp_path / "elsewhere/real.json", CLAUDE)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".mcp.json").symlink_to(outside)
    result = nhi("fix", "mcp", str(repo), "--secrets-file", str(tmp_path / "s.env"), "--yes")
    assert result.code == 3
    assert "outside_tree" in result.err
    assert outside.read_bytes() == CLAUDE.encode()
    # a link named on the command line: its target is rewritten, the link stays a link
    link = tmp_path / "dotfiles/.mcp.json"
    link.parent.mkdir()
    link.symlink_to(outside)
    result = nhi("fix", "mcp", str(link), "--secrets-file", str(tmp_path / "s.env"), "--yes")
    assert result.code == 0, result.err
    assert link.is_symlink() and os.readlink(link) == str(outside)
    assert GH not in outside.read_text() and "${GITHUB_PERSONAL_ACCESS_TOKEN}" in outside.read_text()
    assert (tmp_path / "elsewhere/real.json.bak").read_bytes() == CLAUDE.encode()


def test_no_secret_in_any_output_or_file_but_the_chosen_one(nhi, tmp_path):
    tree = tmp_path / "tree"
    write(tree / ".mcp.json", CLAUDE)
    write(tree / ".cursor/mcp.json", CLAUDE)
    write(tree / "claude_desktop_config.json", CLAUDE)  # refused: keeps its secrets, untouched
    before = {p: p.read_bytes() for p in tree.rglob("*") if p.is_file()}
    secrets = tmp_path / "chosen.env"
    outputs = ""
    for extra in ([], ["--yes"]):
        result = nhi("fix", "mcp", str(tree), "--secrets-file", str(secrets), *extra)
        outputs += result.out + result.err
    assert_no_secret(outputs)
    for path in tree.rglob("*"):
        if not path.is_file() or path.name.endswith(".bak"):
            continue  # a backup is the original, as it was
        if path.name == "claude_desktop_config.json":
            assert path.read_bytes() == before[path]
            continue
        assert_no_secret(path.read_text())
    assert all(value in secrets.read_text() for value in (GH, OPENAI))


def test_keychain_through_a_registered_backend(nhi, tmp_path):
    keyring = pytest.importorskip("keyring")
    previous = keyring.get_keyring()
    backend = memory_keyring()
    keyring.set_keyring(backend)
    try:
        config = write(tmp_path / ".mcp.json", CLAUDE)
        result = nhi("fix", "mcp", str(config), "--keychain", "--yes")
    finally:
        keyring.set_keyring(previous)
    assert result.code == 0, result.err
    assert backend.get_password("nhi-mcp", "GITHUB_PERSONAL_ACCESS_TOKEN") == GH
    assert backend.get_password("nhi-mcp", "REMOTE_AUTHORIZATION") == OPENAI
    assert_no_secret(result.out + result.err + config.read_text())


def test_default_includes_the_projects_claude_code_lists(nhi, tmp_path, monkeypatch):
    home, project = tmp_path / "home", tmp_path / "work/api"
    write(home / ".claude.json", json.dumps({"projects": {str(project): {"mcpServers": {}}}}))
    config = write(project / ".mcp.json", CLAUDE)
    monkeypatch.setenv("HOME", str(home))
    result = nhi("fix", "mcp", "--secrets-file", str(tmp_path / "s.env"), "--yes")
    assert result.code == 0, result.err
    assert "${GITHUB_PERSONAL_ACCESS_TOKEN}" in config.read_text()
    assert sourced(tmp_path / "s.env", "GITHUB_PERSONAL_ACCESS_TOKEN") == GH


def test_hard_linked_file_is_refused_and_dry_run_wins_over_yes(nhi, tmp_path):
    config = write(tmp_path / "a/.mcp.json", CLAUDE)
    os.link(config, tmp_path / "other-name.json")
    result = nhi("fix", "mcp", str(config), "--print-exports", "--yes")
    assert result.code == 3
    assert "hard_links: the file has 2 names" in result.err
    assert config.read_bytes() == CLAUDE.encode() and result.out == ""
    single = write(tmp_path / "b/.mcp.json", CLAUDE)
    result = nhi("fix", "mcp", str(single), "--print-exports", "--yes", "--dry-run")
    assert result.code == 0, result.err
    assert single.read_bytes() == CLAUDE.encode() and not single.with_name(".mcp.json.bak").exists()
    assert result.out == ""  # no export line: nothing was moved
    assert_no_secret(result.err)


def test_a_secrets_file_inside_a_work_tree_is_warned_about(nhi, tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    config = write(repo / ".mcp.json", CLAUDE)
    result = nhi("fix", "mcp", str(repo), "--secrets-file", str(repo / "mcp.env"), "--yes")
    assert result.code == 0, result.err
    assert f"warning: {repo / 'mcp.env'} is inside the git work tree {repo}" in result.err
    assert "${REMOTE_AUTHORIZATION}" in config.read_text()


def test_claude_code_user_file_is_refused_its_expansion_is_undocumented(nhi, tmp_path):
    text = json.dumps({"mcpServers": {"gh": {"command": "npx", "env": {"GITHUB_TOKEN": GH}}}}, indent=2)
    user = write(tmp_path / ".claude.json", text)
    result = nhi("fix", "mcp", str(user), "--print-exports", "--yes")
    assert result.code == 3
    assert "gh: env GITHUB_TOKEN: not rewritten: Claude Code documents ${VAR} expansion for .mcp.json" in result.err
    assert user.read_text() == text and result.out == ""


def test_a_url_keeps_its_shape_with_each_secret_in_it_referenced(nhi, tmp_path):
    url = "https://user:Pw9QeFhX8Bj0MkXJ1b@db.example.com/mcp?token=qtok-87it8xL2OqXOdlWtzvPQx0y9&x=1"
    config = write(tmp_path / ".cursor/mcp.json", json.dumps({"mcpServers": {"db": {"url": url}}}))
    result = nhi("fix", "mcp", str(config), "--secrets-file", str(tmp_path / "s.env"), "--yes")
    assert result.code == 0, result.err
    assert json.loads(config.read_text())["mcpServers"]["db"]["url"] == (
        "https://user:${env:DB_URL_PASSWORD}@db.example.com/mcp?token=${env:DB_URL_QUERY_TOKEN}&x=1"
    )
    assert sourced(tmp_path / "s.env", "DB_URL_PASSWORD") == "Pw9QeFhX8Bj0MkXJ1b"
    assert "Pw9QeFhX8Bj0MkXJ1b" not in result.out + result.err


def test_a_fifo_or_a_missing_path_is_one_line_not_a_hang(nhi, tmp_path):
    fifo = tmp_path / ".mcp.json"
    os.mkfifo(fifo)
    result = nhi("fix", "mcp", str(fifo))
    assert result.code == 3
    assert result.err.strip().splitlines()[0].endswith("not rewritten: not_a_file: not a regular file")
    missing = nhi("fix", "mcp", str(tmp_path / "nope.json"))
    assert missing.code == 2
    assert missing.err.strip() == f"nhi: error: {tmp_path / 'nope.json'}: no such file or folder"


def test_terminal_escapes_in_the_file_are_shown_inert_in_the_diff(nhi, tmp_path):
    # raw control characters in a comment, on the line before the secret: in the diff's context
    text = '{"mcpServers": {"a": {"command": "x",\n// \x1b]0;pwned\x07\n"env": {"SLACK_BOT_TOKEN": "' + SLACK + '"}}}}'
    config = write(tmp_path / ".mcp.json", text)
    result = nhi("fix", "mcp", str(config))
    assert result.code == 0, result.err
    assert "\x1b" not in result.out and "\x07" not in result.out
    assert " // \\u001b]0;pwned\\u0007" in result.out


def test_claude_code_managed_config_is_refused_it_is_the_administrators(nhi, tmp_path):
    # /etc/claude-code/managed-mcp.json under a temporary system root, named and in a folder
    text = json.dumps({"mcpServers": {"corp": {"command": "npx", "env": {"GITHUB_TOKEN": GH}}}}, indent=2)
    managed = write(tmp_path / "root/etc/claude-code/managed-mcp.json", text, 0o644)
    for target in (managed, managed.parent):
        result = nhi("fix", "mcp", str(target), "--secrets-file", str(tmp_path / "s.env"), "--yes")
        assert result.code == 3
        assert result.err.splitlines()[0] == (
            f"nhi: {managed}#corp: env GITHUB_TOKEN: not rewritten: managed-mcp.json is Claude Code's managed "
            "config, deployed by an administrator for every user of the machine: change it where it is deployed from"
        )
        assert managed.read_text() == text and stat.S_IMODE(managed.stat().st_mode) == 0o644
        assert sorted(p.name for p in managed.parent.iterdir()) == ["managed-mcp.json"]  # no .bak
        assert not (tmp_path / "s.env").exists()
        assert_no_secret(result.out + result.err)


def test_a_token_as_a_urls_user_name_becomes_a_reference(nhi, tmp_path):
    token = "Zk8vQm2Lw9Xr4Tp6Hy1Jc5Nd7Fg0Sa3EuB6nR1qW"  # fake: 40 letters and digits
    url = f"https://{token}:x-oauth-basic@github.com/acme/tools.git"
    config = write(tmp_path / ".cursor/mcp.json", json.dumps({"mcpServers": {"git": {"url": url}}}))
    result = nhi("fix", "mcp", str(config), "--secrets-file", str(tmp_path / "s.env"), "--yes")
    assert result.code == 0, result.err
    assert json.loads(config.read_text())["mcpServers"]["git"]["url"] == (
        "https://${env:GIT_URL_TOKEN}:x-oauth-basic@github.com/acme/tools.git"
    )
    assert sourced(tmp_path / "s.env", "GIT_URL_TOKEN") == token
    assert token not in result.out + result.err and token[8:24] not in result.out + result.err
    assert token not in config.read_text()
