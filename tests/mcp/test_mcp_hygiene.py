"""Hygiene rules end to end: a scan of real configs, then the findings a user lists. Each rule
has a server that must alarm and one beside it that must pass."""

from __future__ import annotations

import json
import os

import pytest
from mcp_helpers import write_config

TOKEN = "ghp_" + "Tq7Lm2Xv9Rb4Kc8Nw3Yz6Pd1Hf5Js0Ag2Ue7W"


@pytest.fixture
def findings(nhi, tmp_path):
    home = tmp_path / "home"
    cursor = home / ".cursor/mcp.json"
    cursor.parent.mkdir(parents=True)
    cursor.write_text(
        json.dumps(
            {
                "mcpServers": {
                    "unpinned": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"]},
                    "latest": {"command": "npx", "args": ["-y", "@playwright/mcp@latest"]},
                    "pinned": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory@2025.4.25"]},
                    "uvx-pinned": {"command": "uvx", "args": ["mcp-server-fetch==2025.4.7"]},
                    "uvx-unpinned": {"command": "uvx", "args": ["mcp-server-time"]},
                    "range": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory@^2025.4.0"]},
                    "dist-tag": {"command": "npx", "args": ["-y", "@playwright/mcp@beta"]},
                    "prerelease": {"command": "npx", "args": ["-y", "@playwright/mcp@0.0.30-beta.1"]},
                    "image": {"command": "docker", "args": ["run", "-i", "--rm", "ghcr.io/github/github-mcp-server"]},
                    "digest": {"command": "docker", "args": ["run", "-i", "mcp/fetch@sha256:" + "a1" * 32]},
                    "lookalike": {"command": "npx", "args": ["-y", "@modelcontextprotocoI/server-github@1.0.0"]},
                    "shell": {"command": "bash", "args": ["-c", "exec npx -y tool@1.0.0 --token $TOOL_TOKEN"]},
                    "shell-plain": {"command": "sh", "args": ["-c", "exec npx -y tool@1.0.0"]},
                    "cmdline": {"command": "npx", "args": ["-y", "gh-tool@1.0.0", "--token", TOKEN]},
                    "remote-open": {"url": "https://tools.northwind.example/mcp"},
                    "remote-auth": {"url": "https://tools.northwind.example/mcp", "headers": {"Authorization": "${T}"}},
                    "remote-http": {"url": "http://tools.northwind.example/mcp", "headers": {"X-Api-Key": "${K}"}},
                    "local-http": {"url": "http://localhost:3000/mcp"},
                }
            }
        )
    )
    private = home / ".gemini/settings.json"
    private.parent.mkdir(parents=True)
    private.write_text(json.dumps({"mcpServers": {"private": {"command": "x@1.0.0", "env": {"GH_TOKEN": TOKEN}}}}))
    os.chmod(cursor, 0o644)
    os.chmod(private, 0o600)
    write_config(tmp_path, home=home)
    assert nhi("scan", "-q").code in (0, 1)
    result = nhi("findings", "list", "-f", "json")
    rows = json.loads(result.out)
    out: dict[str, set[str]] = {}
    for row in rows:
        out.setdefault(row["rule_id"], set()).add(row["resource_id"].rsplit("#", 1)[-1])
    return out


def test_unpinned_launches(findings):
    # a version range or a dist-tag moves like latest; an exact (pre)release version is pinned
    assert findings["mcp_server_unpinned_launch"] == {
        "unpinned",
        "latest",
        "uvx-unpinned",
        "range",
        "dist-tag",
        "image",
        "remote-http",
    }


def test_lookalike_package(findings):
    assert findings["mcp_server_package_lookalike"] == {"lookalike"}


def test_shell_with_interpolation(findings):
    assert findings["mcp_server_shell_interpolation"] == {"shell"}


def test_secret_on_the_command_line(findings):
    assert findings["mcp_secret_on_command_line"] == {"cmdline"}


def test_remote_server_without_a_credential(findings):
    assert findings["mcp_remote_server_without_auth"] == {"remote-open"}


def test_config_with_secrets_readable_by_others(findings):
    # ~/.cursor/mcp.json is 0644 and holds a token on a command line; the 0600 file does not alarm
    assert findings["mcp_config_readable_by_others"] == {"cmdline"}
