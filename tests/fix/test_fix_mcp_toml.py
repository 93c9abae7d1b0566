"""`nhi fix mcp` on Codex's config.toml: what tomlkit writes back faithfully is rewritten
with only the moved keys changed (comments, blank lines, line ends, indentation and mode kept);
what it cannot is refused whole, with the reason on one line and exit 3, and nothing written."""

from __future__ import annotations

import stat

import pytest
from fix_helpers import GH, OPENAI, SLACK, assert_no_secret, files_holding, sourced, write

from nhi_connectors.mcp.fix_toml import faithful

pytest.importorskip("tomlkit")

# A Codex config as people keep it: comments above and beside keys, a profile table after the
# servers, a secret in an env inline table, a bearer token, and one header in a sub-table.
CODEX = f"""# ~/.codex/config.toml
model = "o3"                  # default model
approval_policy = "on-request"

# --- MCP servers ---------------------------------------------------------

[mcp_servers.github]
command = "npx"               # pinned below
args = ["-y", "@modelcontextprotocol/server-github@2025.4.8"]
env = {{ GITHUB_PERSONAL_ACCESS_TOKEN = "{GH}" }}  # the team's bot account

[mcp_servers.remote]
url = "https://mcp.example.com/mcp"
# issued by the platform team
bearer_token = "{OPENAI}"
startup_timeout_sec = 20

# headers sent with every request
[mcp_servers.remote.http_headers]
X-Slack-Token = "{SLACK}"
X-Team = "platform"            # routing

[profiles.fast]
model = "o4-mini"
"""

FIXED = """# ~/.codex/config.toml
model = "o3"                  # default model
approval_policy = "on-request"

# --- MCP servers ---------------------------------------------------------

[mcp_servers.github]
command = "npx"               # pinned below
args = ["-y", "@modelcontextprotocol/server-github@2025.4.8"]
env = {  }  # the team's bot account
env_vars = ["GITHUB_PERSONAL_ACCESS_TOKEN"]

[mcp_servers.remote]
url = "https://mcp.example.com/mcp"
# issued by the platform team
bearer_token_env_var = "REMOTE_TOKEN"
startup_timeout_sec = 20
env_http_headers = {X-Slack-Token = "REMOTE_X_SLACK_TOKEN"}

# headers sent with every request
[mcp_servers.remote.http_headers]
X-Team = "platform"            # routing

[profiles.fast]
model = "o4-mini"
"""


def fix(nhi, tmp_path, config):
    return nhi("fix", "mcp", str(config), "--secrets-file", str(tmp_path / "s.env"), "--yes")


def test_a_commented_codex_config_changes_only_in_the_moved_keys(nhi, tmp_path):
    config = write(tmp_path / ".codex/config.toml", CODEX, 0o640)
    result = fix(nhi, tmp_path, config)
    assert result.code == 0, result.err
    # every comment, blank line and unrelated key as it was; bearer_token_env_var on the line
    # of bearer_token, the other new keys after their server's last key, not below the comment
    # of the table that follows
    assert config.read_bytes() == FIXED.encode()
    assert stat.S_IMODE(config.stat().st_mode) == 0o640
    backup = config.with_name("config.toml.bak")
    assert backup.read_bytes() == CODEX.encode() and stat.S_IMODE(backup.stat().st_mode) == 0o640
    assert sourced(tmp_path / "s.env", "GITHUB_PERSONAL_ACCESS_TOKEN") == GH
    assert sourced(tmp_path / "s.env", "REMOTE_TOKEN") == OPENAI
    assert sourced(tmp_path / "s.env", "REMOTE_X_SLACK_TOKEN") == SLACK
    assert_no_secret(result.out + result.err)
    assert files_holding(tmp_path) == [".codex/config.toml.bak", "s.env"]


def test_crlf_and_indented_tables_keep_their_line_ends_and_indentation(nhi, tmp_path):
    # tomlkit writes an added key with LF and no indentation: nhi gives it the file's own
    text = (
        f'[mcp_servers.a]\r\n    command = "a"\r\n    env = {{ GITHUB_TOKEN = "{GH}" }}\r\n\r\n'
        '[profiles.x]\r\n    model = "o3"\r\n'
    )
    config = write(tmp_path / ".codex/config.toml", text)
    result = fix(nhi, tmp_path, config)
    assert result.code == 0, result.err
    assert (
        config.read_bytes()
        == text.replace(
            f'env = {{ GITHUB_TOKEN = "{GH}" }}\r\n', 'env = {  }\r\n    env_vars = ["GITHUB_TOKEN"]\r\n'
        ).encode()
    )
    assert_no_secret(result.out + result.err)
    assert files_holding(tmp_path) == [".codex/config.toml.bak", "s.env"]


def test_a_secret_written_across_lines_or_with_escapes_is_moved(nhi, tmp_path):
    escaped = GH.replace("_", "\\u005F")
    text = (
        f'[mcp_servers.a]\ncommand = "a"\nbearer_token = """\n{GH}"""\n\n'
        f'[mcp_servers.b]\ncommand = "b"\nbearer_token = "{escaped}"\n'
    )
    config = write(tmp_path / ".codex/config.toml", text)
    result = fix(nhi, tmp_path, config)
    assert result.code == 0, result.err
    assert config.read_text() == (
        '[mcp_servers.a]\ncommand = "a"\nbearer_token_env_var = "A_TOKEN"\n\n'
        '[mcp_servers.b]\ncommand = "b"\nbearer_token_env_var = "A_TOKEN"\n'
    )  # one value, one variable
    assert sourced(tmp_path / "s.env", "A_TOKEN") == GH
    assert files_holding(tmp_path) == [".codex/config.toml.bak", "s.env"]


def test_a_server_written_as_an_inline_table_keeps_its_line(nhi, tmp_path):
    text = f'[mcp_servers]\nremote = {{ url = "https://mcp.example.com/mcp", bearer_token = "{OPENAI}" }}  # prod\n'
    config = write(tmp_path / ".codex/config.toml", text)
    result = fix(nhi, tmp_path, config)
    assert result.code == 0, result.err
    assert config.read_text() == text.replace(f'bearer_token = "{OPENAI}"', 'bearer_token_env_var = "REMOTE_TOKEN"')
    assert sourced(tmp_path / "s.env", "REMOTE_TOKEN") == OPENAI
    assert files_holding(tmp_path) == [".codex/config.toml.bak", "s.env"]


REFUSED = {
    # tomlkit deletes a key with the comment on its line: the comment cannot be kept
    "comment": (
        f'[mcp_servers.a]\ncommand = "a"\nbearer_token = "{GH}"  # rotate in March\n',
        "not_round_trippable: the comment on line 3 would be lost with the key that moves "
        "(TOML keeps no comment without its key): put it on a line of its own first",
    ),
    # a dotted-key table emptied by the move is dropped whole: the file would read differently
    "dotted": (
        f'[mcp_servers.a]\ncommand = "a"\nenv.GITHUB_TOKEN = "{GH}"\n',
        "not_round_trippable: the rewritten file would not read as the intended document "
        "(mcp_servers.a.env would differ: the TOML library rewrites it)",
    ),
    "dotted server": (
        f'[mcp_servers]\na.command = "a"\na.env.GITHUB_TOKEN = "{GH}"\nb.command = "b"\n',
        "not_round_trippable: the rewritten file would not read as the intended document "
        "(mcp_servers.a.env would differ: the TOML library rewrites it)",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_what_tomlkit_cannot_write_back_is_refused_and_nothing_written(nhi, tmp_path, case):
    text, reason = REFUSED[case]
    config = write(tmp_path / ".codex/config.toml", text, 0o640)
    result = fix(nhi, tmp_path, config)
    assert result.code == 3
    assert result.err.splitlines()[0] == f"nhi: {config}: not rewritten: {reason}"
    assert config.read_bytes() == text.encode() and stat.S_IMODE(config.stat().st_mode) == 0o640
    assert sorted(p.name for p in config.parent.iterdir()) == ["config.toml"]  # no .bak
    assert not (tmp_path / "s.env").exists()
    assert_no_secret(result.out + result.err)
    assert files_holding(tmp_path) == [".codex/config.toml"]


def test_a_changed_line_that_held_no_secret_is_not_faithful():
    # the safety net behind the cases above: a line tomlkit would rewrite on its own
    old = 'a = 1\nb = "SECRET"\nc = [1,2]\n'
    assert faithful(old, 'a = 1\nc = [1,2]\nv = "B"\n', ["SECRET"]) is None
    assert faithful(old, 'a = 1\nc = [1, 2]\nv = "B"\n', ["SECRET"]) == (
        "not_round_trippable: line 3, which holds no moved secret, would change (syntax the TOML library rewrites)"
    )
    assert faithful("a = 1\r\nb = 'SECRET'\r\n", 'a = 1\r\nv = "B"\n', ["SECRET"]) == (
        "not_round_trippable: the rewritten file would mix line endings"
    )
