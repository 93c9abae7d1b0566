"""`nhi mcp lock` and drift: the lock holds no secret, a scan of the locked tree is clean, an
added server and a changed launch line are flagged, a rotated secret is not a change."""

from __future__ import annotations

import json

import planted
from mcp_helpers import FIXTURES, assert_nowhere, copy_tree, write_config

from nhi_connectors.mcp.lock import LOCK_NAME


def _lock_findings(nhi, tmp_path, repo) -> dict[str, set[str]]:
    write_config(tmp_path, discover=False, paths=[repo])
    assert nhi("scan", "-q").code in (0, 1)
    rows = json.loads(nhi("findings", "list", "-f", "json").out)
    out: dict[str, set[str]] = {}
    for row in rows:
        if row["rule_id"] in ("mcp_server_not_in_lock", "mcp_server_launch_changed"):
            out.setdefault(row["rule_id"], set()).add(row["resource_id"].split(repo.as_posix() + "/", 1)[1])
    return out


def test_lock_then_drift(nhi, tmp_path):
    repo = copy_tree(FIXTURES / "mcp" / "clients" / "project", tmp_path / "repo")
    result = nhi("mcp", "lock", str(repo))
    assert result.code == 0, result.err
    assert json.loads(result.out)["servers"] == 10
    lock_text = (repo / LOCK_NAME).read_text()
    secrets = {v: None for v, place in planted.CLIENT_SECRETS.items() if place[2].startswith("project/")}
    assert_nowhere(secrets, lock_text, result.out, result.err)
    github = next(s for s in json.loads(lock_text)["servers"] if s["file"] == ".github/mcp.json")
    assert (github["command"], github["package"], github["version"]) == (
        "docker",
        "ghcr.io/github/github-mcp-server",
        None,
    )

    assert _lock_findings(nhi, tmp_path, repo) == {}

    # a rotated secret is not a change of the launch line
    roo = repo / ".roo/mcp.json"
    roo.write_text(roo.read_text().replace("glpat-MTCFGI9JxBObO8xjwzWC", "glpat-Zq8W2xYp4Lk0Nb7Vc3Rd"))
    # a new server, and a changed package version
    mcp = repo / ".amazonq/mcp.json"
    doc = json.loads(mcp.read_text())
    doc["mcpServers"]["cdk"]["args"] = ["awslabs.cdk-mcp-server@1.0.9"]
    doc["mcpServers"]["extra"] = {"command": "npx", "args": ["-y", "extra-mcp@2.0.0"]}
    mcp.write_text(json.dumps(doc))
    assert _lock_findings(nhi, tmp_path, repo) == {
        "mcp_server_launch_changed": {".amazonq/mcp.json#cdk"},
        "mcp_server_not_in_lock": {".amazonq/mcp.json#extra"},
    }

    assert nhi("mcp", "lock", str(repo)).code == 0  # accepting the change
    assert _lock_findings(nhi, tmp_path, repo) == {}


def test_a_broken_lock_file_is_a_gap(nhi, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".mcp.json").write_text('{"mcpServers": {"a": {"command": "npx", "args": ["a@1.0.0"]}}}')
    (repo / LOCK_NAME).write_text("{not json")
    write_config(tmp_path, discover=False, paths=[repo])
    result = nhi("scan", "-f", "json")
    scope = json.loads(result.out)["scopes"][0]
    assert scope["status"] == "partial"
    assert [g["code"] for g in scope["gaps"]] == ["malformed_lock"]


def test_lock_needs_a_folder(nhi, tmp_path):
    result = nhi("mcp", "lock", str(tmp_path / "nope"))
    assert result.code == 2 and "not a folder" in result.err
