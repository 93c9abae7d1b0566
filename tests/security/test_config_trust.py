"""Issue 20 item 1: a nhi.yaml found in the working directory (a cloned repository, a pull
request's checkout) is data, not instructions. It cannot send the environment's credentials to a
listener of its author's choice, move the inventory, add rules or hide findings.

The attacker's listener is a real loopback HTTP server that records every request; the assertion
is that nothing (in particular no Authorization header) ever reaches it."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from nhi_cli.errors import ExitCode
from tests.conftest import db_rows

ADMIN_KEY = "sk-admin-TESTPLANTEDADMINKEY0000000000000000000000trust"  # fake: must reach nobody
GITHUB_TOKEN = "ghp_TESTPLANTEDtoken000000000000000000trust"


class Listener:
    """Records (method, path, headers) of every request it is sent; answers 200 {}."""

    def __init__(self):
        self.requests: list[tuple[str, str, dict]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self):
                outer.requests.append((self.command, self.path, dict(self.headers)))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_POST = do_PUT = do_DELETE = _record

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def attacker():
    listener = Listener()
    yield listener
    listener.close()


@pytest.fixture
def untrusted(monkeypatch):
    """The default: nobody opted in to trusting the working directory's nhi.yaml."""
    monkeypatch.delenv("NHI_TRUST_CWD_CONFIG", raising=False)


def plant(data: dict) -> None:
    Path("nhi.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")


def test_repository_nhi_yaml_cannot_send_admin_keys_to_its_listener(nhi, attacker, untrusted, monkeypatch):
    monkeypatch.setenv("OPENAI_ADMIN_KEY", ADMIN_KEY)
    monkeypatch.setenv("ANTHROPIC_ADMIN_KEY", ADMIN_KEY)
    monkeypatch.setenv("GITHUB_TOKEN", GITHUB_TOKEN)
    # even a user who allowed loopback endpoints in general does not allow a repository to pick one
    monkeypatch.setenv("NHI_ALLOW_ENDPOINTS", "127.0.0.1")
    plant(
        {
            "providers": {
                "openai": {"endpoint": attacker.url + "/v1"},
                "anthropic": {"endpoint": attacker.url},
                "github": {"endpoint": attacker.url, "orgs": ["x"]},
                "aws": {"endpoint": attacker.url},
            }
        }
    )
    for provider in ("openai", "anthropic", "github", "aws"):
        result = nhi("scan", "--provider", provider)
        assert result.code == ExitCode.USAGE, (provider, result.err)
        lines = [line for line in result.err.splitlines() if line.startswith("nhi: error:")]
        assert len(lines) == 1 and f"providers.{provider}.endpoint" in lines[0] and "not trusted" in lines[0]
    assert attacker.requests == []


def test_revoke_also_refuses_the_repository_endpoint(nhi, attacker, untrusted, monkeypatch):
    monkeypatch.setenv("OPENAI_ADMIN_KEY", ADMIN_KEY)
    plant({"providers": {"openai": {"endpoint": attacker.url + "/v1"}}})
    nhi("revoke", "openai:key_1", "--yes", "--reason", "test")
    assert attacker.requests == []


def test_explicit_config_is_trusted_for_a_loopback_endpoint(nhi, attacker, untrusted, monkeypatch):
    """The same file named with --config is the user's decision: the request is made (with the key),
    which proves the refusal above came from where the file was found, not from its content."""
    monkeypatch.setenv("OPENAI_ADMIN_KEY", ADMIN_KEY)
    plant({"providers": {"openai": {"endpoint": attacker.url + "/v1"}}})
    nhi("--config", "nhi.yaml", "scan")
    assert attacker.requests and attacker.requests[0][2].get("Authorization") == f"Bearer {ADMIN_KEY}"


@pytest.mark.parametrize(
    "endpoint,fragment",
    [
        ("http://api.example.test/v1", "is not https"),
        ("https://api.example.test/v1", "NHI_ALLOW_ENDPOINTS=api.example.test"),
    ],
)
def test_non_default_endpoints_need_https_and_an_opt_in_outside_the_file(nhi, endpoint, fragment, monkeypatch):
    """Even a trusted file (kept in a repository a pull request can edit) cannot name a new host:
    the host must also be allowed by NHI_ALLOW_ENDPOINTS. Refused before any connection."""
    monkeypatch.setenv("OPENAI_ADMIN_KEY", ADMIN_KEY)
    Path("mine.yaml").write_text(yaml.safe_dump({"providers": {"openai": {"endpoint": endpoint}}}))
    result = nhi("--config", "mine.yaml", "scan")
    assert result.code == ExitCode.USAGE
    assert fragment in result.err and "providers.openai.endpoint" in result.err
    if endpoint.startswith("http:"):  # an allow-list entry does not make plain http acceptable
        monkeypatch.setenv("NHI_ALLOW_ENDPOINTS", "api.example.test")
        result = nhi("--config", "mine.yaml", "scan")
        assert result.code == ExitCode.USAGE and "is not https" in result.err


def project_with_a_planted_key(tmp_path) -> Path:
    """A checkout whose .mcp.json holds a plaintext key: a real scan finds it (exit 1 at high)."""
    project = tmp_path / "proj"
    project.mkdir()
    key = "sk-proj-Pm4Qn7Rs1Tu3Vw5Xy7Za9Bc1De3Fg5Hi7Jk9T3BlbkFJLm1No3Pq5"
    (project / ".mcp.json").write_text(
        '{"mcpServers": {"llm": {"command": "x", "env": {"OPENAI_API_KEY": "' + key + '"}}}}'
    )
    return project


def test_repository_file_cannot_move_the_inventory_or_hide_findings(nhi, tmp_path, untrusted):
    """db, suppressions, rules (dirs, disable, params), people, fail_on and MCP paths from a
    working-directory file are listed on stderr and not applied."""
    project = project_with_a_planted_key(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / ".mcp.json").write_text('{"mcpServers": {"extra": {"command": "y"}}}')
    evil_rules = tmp_path / "evil-rules"
    evil_rules.mkdir()
    plant(
        {
            "db": str(elsewhere / "moved.db"),
            "rules": {"dirs": [str(evil_rules)], "disable": ["mcp_secret_in_repository_config"], "params": {}},
            "suppressions": [
                {"rule": "*", "resource": "*", "reason": "hide all", "owner": "x", "expires": "2999-01-01"}
            ],
            "fail_on": "critical",
            "people": str(elsewhere / "people.csv"),
            "providers": {"mcp": {"discover": False, "paths": [str(elsewhere)]}},
        }
    )
    result = nhi("scan", "--mcp-path", str(project), "--fail-on", "high")
    note = [line for line in result.err.splitlines() if "not trusted" in line]
    assert len(note) == 1, result.err
    for setting in ("db", "rules", "suppressions", "people", "fail_on", "providers.mcp.paths"):
        assert setting in note[0]
    assert not (elsewhere / "moved.db").exists() and Path("nhi.db").exists()
    # the extra MCP path was not read; the planted key's finding is open, not suppressed
    assert [r["scope"] for r in db_rows("SELECT scope FROM scope_result")] == [project.as_posix()]
    statuses = {r["status"] for r in db_rows("SELECT status FROM finding")}
    assert statuses and "suppressed" not in statuses
    assert result.code == ExitCode.FINDINGS


def test_opting_in_outside_the_repository_applies_the_file(nhi, tmp_path, monkeypatch):
    """NHI_TRUST_CWD_CONFIG=1 (or --config nhi.yaml) is the user's explicit decision."""
    monkeypatch.setenv("NHI_TRUST_CWD_CONFIG", "1")
    project = project_with_a_planted_key(tmp_path)
    plant({"db": "moved.db"})
    result = nhi("scan", "--mcp-path", str(project))
    assert "not trusted" not in result.err
    assert (tmp_path / "moved.db").exists()


def test_user_level_config_is_trusted_and_the_repository_cannot_override_its_db(nhi, tmp_path, untrusted, monkeypatch):
    xdg = tmp_path / "xdg"
    (xdg / "nhi").mkdir(parents=True)
    (xdg / "nhi" / "nhi.yaml").write_text(yaml.safe_dump({"db": str(tmp_path / "mine.db")}))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    project = project_with_a_planted_key(tmp_path)
    plant({"db": str(tmp_path / "theirs.db"), "owner_tags": ["team"]})
    result = nhi("scan", "--mcp-path", str(project))
    assert (tmp_path / "mine.db").exists() and not (tmp_path / "theirs.db").exists(), result.err
