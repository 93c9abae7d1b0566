"""`nhi scan --mcp-path`: CI scans a checkout's committed MCP configs, nothing else."""

from __future__ import annotations

import json
import subprocess

import planted
from mcp_helpers import write_config


def test_mcp_path_on_a_repository_scans_its_project_configs(nhi, tmp_path, tree, inventory):
    repo = tree / "repo"
    result = nhi("scan", "--mcp-path", str(repo), "-f", "json")  # no nhi.yaml at all
    assert result.code == 0, result.err
    scopes = json.loads(result.out)["scopes"]
    assert [s["scope"] for s in scopes] == [repo.as_posix()]  # the machine's home is not read
    assert scopes[0]["api_calls"] == {"directory_walk": 1, "files_read": 3, "git": 1}
    inv = inventory()
    rows = inv.rows(
        "SELECT id, json_extract(attrs, '$.client') AS client, json_extract(attrs, '$.committed') AS c "
        "FROM v_identities ORDER BY id"
    )
    assert {r["client"] for r in rows} == {"claude_code", "cursor", "vscode"}
    assert all(r["c"] == 1 for r in rows)  # project configs inside a git work tree
    assert inv.credential_for(planted.GITLAB)["attrs"]["committed"] is True


def test_mcp_path_on_a_single_file(nhi, tmp_path, tree, inventory):
    path = tree / "repo/.vscode/mcp.json"
    assert nhi("scan", "--mcp-path", str(path)).code == 0
    names = {r["name"] for r in inventory().rows("SELECT name FROM v_identities")}
    assert names == {"github", "fetch", "aws-docs"}


def test_mcp_path_adds_to_a_configured_home_and_skips_dependency_folders(nhi, tmp_path, tree, inventory):
    vendored = tree / "repo/node_modules/some-pkg/.mcp.json"
    vendored.parent.mkdir(parents=True)
    vendored.write_text('{"mcpServers": {"vendored": {"command": "x"}}}')
    write_config(tmp_path, home=tree / "home")
    result = nhi("scan", "--mcp-path", str(tree / "repo"), "-f", "json")
    assert result.code == 0
    assert sorted(s["scope"] for s in json.loads(result.out)["scopes"]) == sorted(["~", (tree / "repo").as_posix()])
    assert not inventory().rows("SELECT id FROM v_identities WHERE name = 'vendored'")


def test_mcp_path_that_does_not_exist_is_a_usage_error(nhi, tmp_path):
    result = nhi("scan", "--mcp-path", str(tmp_path / "nope"))
    assert result.code == 2
    assert result.err.strip().count("\n") == 0 and "--mcp-path" in result.err and "no such file" in result.err


def test_claude_code_projects_listed_in_claude_json_are_read(nhi, tmp_path, inventory):
    home, project = tmp_path / "home", tmp_path / "work/robot-arm"
    project.mkdir(parents=True)
    (project / ".mcp.json").write_text(
        '{"mcpServers": {"gitlab": {"type": "http", "url": "https://g.example/mcp",'
        ' "headers": {"PRIVATE-TOKEN": "' + planted.GITLAB + '"}}}}'
    )
    home.mkdir()
    (home / ".claude.json").write_text(json.dumps({"projects": {str(project): {"mcpServers": {}}}}))
    write_config(tmp_path, home=home)
    assert nhi("scan").code == 0
    cred = inventory().credential_for(planted.GITLAB)
    assert cred["locations"] == [
        {"location": f"{project.as_posix()}/.mcp.json#gitlab", "context": "headers PRIVATE-TOKEN"}
    ]


def test_a_configured_path_that_is_gone_is_a_failed_scope(nhi, tmp_path, tree):
    write_config(tmp_path, discover=False, paths=[tree / "repo", tmp_path / "gone"])
    result = nhi("scan", "-f", "json")
    assert result.code == 3  # scan incomplete: the other path is still inventoried
    scopes = {s["scope"]: s for s in json.loads(result.out)["scopes"]}
    assert scopes[(tmp_path / "gone").as_posix()]["error_code"] == "not_found"
    assert scopes[(tree / "repo").as_posix()]["status"] == "complete"


def test_git_status_of_project_configs(nhi, tmp_path, tree, inventory):
    repo = tree / "repo"
    (repo / ".gitignore").write_text(".cursor/\n")  # the Cursor config is ignored from now on
    subprocess.run(["git", "-C", str(repo), "rm", "-q", "--cached", "-r", ".cursor"], check=True)
    (repo / "tools").mkdir()
    (repo / "tools/.mcp.json").write_text('{"mcpServers": {"new": {"command": "x"}}}')  # not added yet
    assert nhi("scan", "--mcp-path", str(repo)).code == 0
    inv = inventory()
    status = {
        r["id"].split(repo.as_posix(), 1)[1]: (r["s"], r["c"])
        for r in inv.rows(
            "SELECT id, json_extract(attrs, '$.git_status') AS s, json_extract(attrs, '$.committed') AS c "
            "FROM v_identities"
        )
    }
    assert status["/.mcp.json#gitlab"] == ("tracked", 1)
    assert status["/.cursor/mcp.json#assistant"] == ("ignored", 0)
    assert status["/tools/.mcp.json#new"] == ("untracked", 1)
    # one finding per secret per file: "<credential id>@<file relative to the repository root>"
    rule = {
        r["resource_id"]
        for r in inv.rows("SELECT resource_id FROM finding WHERE rule_id = 'mcp_secret_in_repository_config'")
    }
    assert inv.credential_for(planted.GITLAB)["id"] + "@.mcp.json" in rule
    assert not any(
        r.startswith(inv.credential_for(planted.SHARED_OPENAI)["id"]) for r in rule
    )  # only in an ignored file here
