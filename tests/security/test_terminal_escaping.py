"""Attacker-controlled text is inert on a terminal.

Anyone who can create an identity (or write an MCP config, or name a folder) chooses its
name. Terminal escape sequences (screen clear, OSC 8 hyperlinks, C1 CSI, bidi overrides) must
print as visible escapes, and Rich markup (``[red]``, ``[link=...]``, an unmatched ``[/x]``)
as the characters it is, in every table nhi prints.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import invoke

OSC8 = "\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\"
EVIL = f"evil {OSC8} \x1b[2J[red]x[/red] [link=http://evil.example]y[/link] [/x] \x9b31m \u202eZ"
RAW = ("\x1b", "\x9b", "\u202e")


@pytest.fixture
def hostile(tmp_path):
    project = tmp_path / "proj\x1b[2J[bold]"
    project.mkdir()
    server = {
        "command": "npx",
        "args": ["-y", "tool"],
        "env": {"OPENAI_API_KEY": "sk-proj-Ab3Cd5Ef7Gh9Ij1Kl3Mn5Op7Qr9St1Uv3Wx5Yz7T3BlbkFJAb3Cd5Ef7"},
    }
    (project / ".mcp.json").write_text(json.dumps({"mcpServers": {EVIL: server}}), encoding="utf-8")
    Path("nhi.yaml").write_text(
        json.dumps(
            {
                "agents": [{"name": "evil-agent", "description": EVIL, "identities": ["*"]}],
                "providers": {"mcp": {"discover": False, "paths": [str(project)]}},
            }
        ),
        encoding="utf-8",
    )
    scan = invoke("scan")
    assert scan.code in (0, 1), scan.err
    return scan


def _inert(label: str, text: str) -> None:
    for char in RAW:
        assert char not in text, f"{label}: a raw {char!r} reached the terminal"


def test_every_table_prints_hostile_names_as_inert_text(hostile):
    identity = json.loads(invoke("query", "SELECT id FROM v_identities", "-f", "json").out)[0]["id"]
    credential = json.loads(invoke("query", "SELECT id FROM v_credentials", "-f", "json").out)[0]["id"]
    runs = {
        "scan summary": hostile,
        "inventory list": invoke("inventory", "list"),
        "inventory list credentials": invoke("inventory", "list", "--what", "credentials"),
        "inventory show identity": invoke("inventory", "show", identity),
        "inventory show credential": invoke("inventory", "show", credential),
        "agents list": invoke("agents", "list"),
        "agents show": invoke("agents", "show", "evil-agent"),
        "findings list": invoke("findings", "list"),
        "revoke plan": invoke("revoke", "--dry-run", "--agent", "evil-agent"),
        "revoke unknown target": invoke("revoke", "--dry-run", "evil"),
        "report table": invoke("report", "-f", "table"),
    }
    for label, result in runs.items():
        assert "internal error" not in result.err, f"{label}: {result.err}"  # an unmatched [/x] is no crash
        _inert(label, result.out + result.err)
    shows_name = ("inventory list", "inventory show identity", "revoke plan")
    for label in shows_name:
        out = runs[label].out + runs[label].err  # revoke: MCP-only targets are a note on stderr
        # markup printed as written, escapes visible (the name may fold across table lines)
        flat = "".join(out.split())
        assert "[red]x[/red]" in flat and "[link=http://evil.example]" in flat, label
        assert "\\u001b" in out, label
    assert "\\u001b[2J[bold]" in hostile.out  # the folder name in the scope column


def test_error_lines_quote_hostile_input_inertly(tmp_path):
    result = invoke("inventory", "show", "no-such\x1b[2J[red]x")
    assert result.code != 0
    _inert("error line", result.err)


def test_markup_safe_is_one_sanitiser_for_markup_and_control_characters():
    from rich.console import Console

    from nhi_cli.text import markup_safe

    console = Console(record=True, width=200, color_system=None)
    console.print(f"[bold]{markup_safe(EVIL)}[/]")
    printed = console.export_text()
    _inert("markup_safe", printed)
    assert "[red]x[/red]" in printed and "[/x]" in printed and "\\u001b]8;;http://evil.example" in printed
    assert markup_safe("tail\\") + "[/]"  # a trailing backslash cannot escape the closing tag
    console.print(f"[bold]{markup_safe('tail' + chr(92))}[/]")
