"""Issue 20 item 9: YAML bombs, undecodable rule files, and rule text in reports.

The bombs run in a subprocess limited to 1 GiB of address space: before the fix, a 500-byte
file expanded to gigabytes; with the limit, a regression fails the test instead of the machine."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from nhi_cli.errors import ExitCode
from tests.conftest import invoke

# the classic "billion laughs": 9 levels of 9 references, 9^9 strings once expanded (~500 bytes)
BOMB = "a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)
RULE_YAML = """id: {id}
title: "{title}"
severity: high
property: revocable
description: Every identity.
risk: None.
remediation: None.
frameworks: {{owasp_nhi: [NHI7]}}
"""
RULE_SQL = "SELECT id AS resource_id, 'identity' AS resource_type, 'Seen.' AS reason FROM v_identities"


def run_limited(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    def limit():
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    return subprocess.run(
        [sys.executable, "-m", "nhi_cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limit if os.name == "posix" else None,
        env={**os.environ, "NHI_TRUST_CWD_CONFIG": "1"},
    )


def test_the_bomb_is_a_bomb():
    assert len(BOMB) < 600 and BOMB.count("*") == 72


def test_an_alias_bomb_in_nhi_yaml_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "nhi.yaml").write_text("version: 1\nowner_tags: [owner]\n" + BOMB.replace("a:", "x_a:", 1))
    done = run_limited(["scan"], tmp_path)
    assert done.returncode == ExitCode.USAGE, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "nhi.yaml:" in lines[0] and "aliases (*name) are not allowed" in lines[0]


def make_rule(root: Path, rule_id: str, yaml_text: str | bytes, sql: str = RULE_SQL) -> Path:
    folder = root / rule_id
    folder.mkdir(parents=True)
    (folder / "rule.yaml").write_bytes(yaml_text if isinstance(yaml_text, bytes) else yaml_text.encode())
    (folder / "rule.sql").write_text(sql)
    return folder


def test_an_alias_bomb_in_a_rule_params_default_is_a_broken_rule(tmp_path):
    text = (
        RULE_YAML.format(id="bomb", title="Bomb")
        + "params:\n  n:\n    description: x\n    default:\n"
        + "".join("      " + line + "\n" for line in BOMB.splitlines())
    )
    make_rule(tmp_path / "rules", "bomb", text)
    done = run_limited(["rules", "list", "--rules-dir", str(tmp_path / "rules")], tmp_path)
    assert done.returncode == ExitCode.USAGE, done.stderr
    assert "rule.yaml" in done.stderr and "aliases (*name) are not allowed" in done.stderr
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr


def test_a_rule_yaml_that_is_not_utf8_is_a_broken_rule(tmp_path):
    make_rule(tmp_path / "rules", "latin", RULE_YAML.format(id="latin", title="Caf\xe9").encode("latin-1"))
    result = invoke("rules", "list", "--rules-dir", tmp_path / "rules")
    assert result.code == ExitCode.USAGE
    assert "rule.yaml" in result.err and "not UTF-8" in result.err and "internal error" not in result.err


def test_a_deeply_nested_nhi_yaml_is_refused(tmp_path):
    (tmp_path / "nhi.yaml").write_text("owner_tags: " + "[" * 5000 + "]" * 5000 + "\n")
    result = invoke("scan")
    assert result.code == ExitCode.USAGE
    assert "nested deeper than" in result.err and "internal error" not in result.err


HOSTILE_TITLE = "Click [here](https://evil.example/x) @octocat <img src=x onerror=alert(1)> **now**"


def test_a_user_rule_title_is_inert_in_markdown(tmp_path):
    project = tmp_path / "proj"
    project.mkdir()
    (project / ".mcp.json").write_text(json.dumps({"mcpServers": {"docs": {"command": "npx"}}}))
    make_rule(tmp_path / "rules", "hostile", RULE_YAML.format(id="hostile", title=HOSTILE_TITLE))
    result = invoke("scan", "--mcp-path", project, "--rules-dir", tmp_path / "rules", "-f", "markdown")
    assert result.code in (0, 1), result.err
    assert "hostile" in result.out
    # outside code spans, nothing of the title remains to be rendered as a link, mention or HTML
    outside = re.sub(r"(`+)(?:(?!\1).)+?\1", "", result.out)
    for fragment in ("](https://evil", "@octocat", "<img", "**now**"):
        assert fragment not in outside, fragment
