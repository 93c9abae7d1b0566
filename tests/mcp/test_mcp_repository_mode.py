"""Repository mode: `nhi scan --mcp-path .` in a repository gives one finding per secret per
file, each at the file's path relative to the repository root and the line the secret is on, in
the table, in JSON and in SARIF (artifactLocation.uri + region.startLine); never a path of the
machine that scanned."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest

RULE = "mcp_secret_in_repository_config"
GH = "ghp_" + "Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8"
OPENAI = "sk-proj-" + "Rm4x9QpL2vN8tY6wK3jH5gF7dS1aZ0cX4bV8nM2qW6eR9tY3uI"
SCHEMA = Path(__file__).resolve().parents[2] / "nhi_cli" / "reports" / "schemas" / "sarif-schema-2.1.0.json"


@pytest.fixture
def repository(tmp_path, monkeypatch):
    repo = tmp_path / "checkout"
    (repo / ".cursor").mkdir(parents=True)
    (repo / ".vscode").mkdir()
    (repo / ".mcp.json").write_text(  # the token on line 6
        '{\n  "mcpServers": {\n    "github": {\n      "command": "npx",\n      "env": {\n'
        f'        "GITHUB_PERSONAL_ACCESS_TOKEN": "{GH}"\n      }}\n    }}\n  }}\n}}\n'
    )
    (repo / ".cursor" / "mcp.json").write_text(  # the same token on line 3, and an OpenAI key on line 4
        '{"mcpServers": {\n  "gh": {"command": "npx",\n'
        f'    "env": {{"GITHUB_PERSONAL_ACCESS_TOKEN": "{GH}",\n'
        f'             "OPENAI_API_KEY": "{OPENAI}"}}}}}}}}\n'
    )
    (repo / ".vscode" / "mcp.json").write_text(  # a reference: nothing to report
        '{"servers": {"gh": {"command": "npx", "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "${input:gh}"}}}}\n'
    )
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    monkeypatch.chdir(repo)
    return repo


def test_one_finding_per_secret_per_file_at_its_relative_path_and_line(nhi, repository):
    db = repository.parent / "nhi.db"  # outside the checkout
    sarif = nhi("--db", db, "-q", "scan", "--mcp-path", ".", "--format", "sarif")
    assert sarif.code == 0, sarif.err
    doc = json.loads(sarif.out)
    jsonschema.Draft7Validator(json.loads(SCHEMA.read_text())).validate(doc)
    places = sorted(
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in doc["runs"][0]["results"]
        if r["ruleId"] == RULE
    )
    assert places == [(".cursor/mcp.json", 3), (".cursor/mcp.json", 4), (".mcp.json", 6)]
    # where each result points, and what it is called: nothing of the machine that scanned
    assert str(repository) not in json.dumps(
        [(r["locations"], r["message"]) for r in doc["runs"][0]["results"] if r["ruleId"] == RULE]
    )

    listed = json.loads(nhi("--db", db, "findings", "list", "--rule", RULE, "--format", "json").out)
    assert sorted((f["evidence"]["file"], f["evidence"]["line"]) for f in listed) == [
        (".cursor/mcp.json", 3),
        (".cursor/mcp.json", 4),
        (".mcp.json", 6),
    ]
    assert all(f["resource_type"] == "location" for f in listed)

    table = nhi("--db", db, "findings", "list", "--rule", RULE).out
    assert "config .mcp.json at line 6." in " ".join(table.split())
    for secret in (GH, OPENAI):
        assert secret not in sarif.out + json.dumps(listed) + table
