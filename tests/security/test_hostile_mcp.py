"""Issue 20 item 10: MCP config trees written by an attacker.

Each hostile file is a gap of its own scope (``partial``; an unreadable local file is a gap,
not a failed scan, as tests/mcp/test_mcp_broken_files.py states) while the other scopes complete;
a config symlinked from outside a scanned tree is not read as that tree's; secrets inside a
`command` string or a URL path are found, and their values are nowhere in the inventory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import db_rows, invoke

KEY = "sk-proj-Pm4Qn7Rs1Tu3Vw5Xy7Za9Bc1De3Fg5Hi7Jk9T3BlbkFJLm1No3Pq5"


def repo(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / ".mcp.json").write_text(text)
    return folder


@pytest.fixture
def healthy(tmp_path) -> Path:
    return repo(
        tmp_path, "healthy", json.dumps({"mcpServers": {"llm": {"command": "x", "env": {"OPENAI_API_KEY": KEY}}}})
    )


def scopes(out: str) -> dict[str, dict]:
    return {Path(s["scope"]).name: s for s in json.loads(out)["scopes"]}


def assert_healthy_complete(found: dict[str, dict]) -> None:
    assert found["healthy"]["status"] == "complete"
    assert [r["n"] for r in db_rows("SELECT COUNT(*) AS n FROM v_credentials WHERE provider = 'mcp'")] == [1]


def test_a_3000_deep_file_is_a_gap_and_the_other_scope_completes(tmp_path, healthy):
    deep = repo(tmp_path, "deep", '{"mcpServers": {"a": {"env": ' + "[" * 3000 + "]" * 3000 + "}}}")
    result = invoke("scan", "--mcp-path", deep, "--mcp-path", healthy, "-f", "json")
    assert result.code in (0, 1), result.err  # before: RecursionError, every scope lost
    found = scopes(result.out)
    assert found["deep"]["status"] == "partial"
    assert [g["code"] for g in found["deep"]["gaps"]] == ["too_deep"]
    assert_healthy_complete(found)


def test_a_100000_server_file_is_a_gap_and_the_other_scope_completes(tmp_path, healthy):
    servers = {f"s{i}": {"command": "npx", "args": ["pkg"]} for i in range(100_000)}
    huge = repo(tmp_path, "huge", json.dumps({"mcpServers": servers}))
    assert (huge / ".mcp.json").stat().st_size > 2_500_000
    result = invoke("scan", "--mcp-path", huge, "--mcp-path", healthy, "-f", "json")
    assert result.code in (0, 1), result.err
    found = scopes(result.out)
    assert found["huge"]["status"] == "partial"
    assert [g["code"] for g in found["huge"]["gaps"]] == ["too_many_servers"]
    assert_healthy_complete(found)
    assert db_rows("SELECT COUNT(*) AS n FROM identity")[0]["n"] == 1  # nothing of the huge file stored
    assert (tmp_path / "nhi.db").stat().st_size < 2_000_000


def test_the_limits_are_settings(tmp_path, healthy):
    servers = {f"s{i}": {"command": "npx"} for i in range(5)}
    five = repo(tmp_path, "five", json.dumps({"mcpServers": servers}))
    (tmp_path / "nhi.yaml").write_text(json.dumps({"providers": {"mcp": {"discover": False, "max_servers": 4}}}))
    found = scopes(invoke("scan", "--mcp-path", five, "-f", "json").out)
    assert [g["code"] for g in found["five"]["gaps"]] == ["too_many_servers"]


def test_a_config_symlinked_from_outside_the_tree_is_not_the_repositorys(tmp_path, healthy):
    private = tmp_path / "home" / ".claude.json"
    private.parent.mkdir()
    private.write_text(
        json.dumps({"mcpServers": {"mine": {"command": "x", "env": {"GITHUB_TOKEN": "ghp_" + "Ab1" * 12}}}})
    )
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / ".mcp.json").symlink_to(private)
    result = invoke("scan", "--mcp-path", checkout, "--mcp-path", healthy, "-f", "json")
    found = scopes(result.out)
    assert [g["code"] for g in found["checkout"]["gaps"]] == ["outside_tree"]
    names = [r["name"] for r in db_rows("SELECT name FROM v_identities")]
    assert "mine" not in names
    sarif = invoke("report", "-f", "sarif").out
    assert "checkout/.mcp.json" not in sarif and "home/.claude.json" not in sarif


COMMAND_SECRET = "Qw3rTy9uIoP1aS2dF4gH6jK8lZ0xC7vB"
PATH_TOKEN = "T9x8C7v6B5n4M3q2W1e0R9t8"


def test_secrets_in_a_command_string_and_a_url_path_are_found_and_never_stored(tmp_path):
    text = json.dumps(
        {
            "mcpServers": {
                "cli": {"command": f"npx -y some-mcp-server --api-key={COMMAND_SECRET} --verbose"},
                "hook": {"url": f"https://hooks.example.com/services/T000/B000/{PATH_TOKEN}"},
                "keyed": {"url": f"https://mcp.example.com/key/{COMMAND_SECRET[::-1]}/sse"},
            }
        }
    )
    checkout = repo(tmp_path, "checkout", text)
    result = invoke("scan", "--mcp-path", checkout, "-f", "json")
    assert result.code in (0, 1), result.err
    kinds = sorted(r["t"] for r in db_rows("SELECT json_extract(attrs, '$.secret_type') AS t FROM v_credentials"))
    assert kinds == ["named_secret", "url_path_secret", "url_path_secret"]
    attrs = {r["name"]: json.loads(r["attrs"]) for r in db_rows("SELECT name, attrs FROM v_identities")}
    assert attrs["cli"]["command"] == "npx -y some-mcp-server --api-key=*** --verbose"
    assert attrs["hook"]["url"] == "https://hooks.example.com/services/T000/B000/***"
    assert attrs["keyed"]["url"] == "https://mcp.example.com/key/***/sse"
    shown = invoke("inventory", "show", "mcp:" + checkout.as_posix() + "/.mcp.json#cli", "-f", "json")
    assert shown.code == 0, shown.err
    everything = (tmp_path / "nhi.db").read_bytes() + shown.out.encode()
    for secret in (COMMAND_SECRET, PATH_TOKEN, COMMAND_SECRET[::-1]):
        assert secret.encode() not in everything
