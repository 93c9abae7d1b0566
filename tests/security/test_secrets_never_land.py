"""Secrets never land: the whole demo, every read command, every byte nhi wrote.

One demo estate (a copy of fixtures/demo with extra secrets planted where provider APIs can
return them) is scanned once per module with every provider. Then every read command runs on
the inventory, a second scan feeds `nhi diff`, and a dry-run revoke of the rogue agent writes
a plan. No planted or run-time secret, nor a distinctive 12-character piece of one, may appear
in stdout, stderr, a report or plan file, the database or its -wal/-shm files.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import invoke
from tests.security.secret_scan import database_files, find_leaks, load_planted, moto_secrets, plant_estate

REPORT_FORMATS = ("table", "json", "sarif", "markdown", "csv", "html", "ocsf")


class Run:
    """Everything one module's commands printed and wrote."""

    def __init__(self, root: Path):
        self.root = root
        self.db = root / "nhi.db"
        self.outputs: dict[str, bytes] = {}
        self.codes: dict[str, int] = {}
        self.secrets: dict[str, str | None] = {}

    def nhi(self, *args: str, ok=(0, 1)) -> str:
        label = "nhi " + " ".join(args)
        result = invoke("--db", str(self.db), *args)
        assert result.code in ok, f"{label}: exit {result.code}: {result.err[-500:]}"
        self.codes[label] = result.code
        self.outputs[f"stdout of {label}"] = result.out.encode()
        self.outputs[f"stderr of {label}"] = result.err.encode()
        return result.out

    def files(self) -> dict[str, bytes]:
        out = dict(self.outputs)
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and path.parent == self.root / "out":
                out[f"file {path.name}"] = path.read_bytes()
        out.update({f"database {k}": v for k, v in database_files(self.db).items()})
        return out

    def hints(self) -> list[str]:
        conn = sqlite3.connect(self.db)
        try:
            return [h for (h,) in conn.execute("SELECT DISTINCT hint FROM credential WHERE hint IS NOT NULL")]
        finally:
            conn.close()


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> Run:
    root = tmp_path_factory.mktemp("secrets-never-land")
    run = Run(root)
    (root / "out").mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        for var in ("NHI_DB", "NHI_CONFIG", "AWS_PROFILE", "AWS_ENDPOINT_URL", "NHI_DEBUG"):
            mp.delenv(var, raising=False)
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
        mp.setenv("NO_COLOR", "1")
        mp.setenv("COLUMNS", "200")
        run.secrets.update(plant_estate(root / "estate"))
        mp.setenv("NHI_DEMO_ESTATE", str(root / "estate"))
        planted = load_planted()
        run.secrets.update(dict.fromkeys(planted.ALL_SECRETS))
        from nhi_connectors.anthropic.fake import DEMO_ADMIN_KEY as ANTHROPIC_ADMIN
        from nhi_connectors.azure.fake import TOKEN as AZURE_TOKEN
        from nhi_connectors.openai.fake import DEMO_ADMIN_KEY as OPENAI_ADMIN

        # The demo authenticates with these; the OpenAI one is also listed as an admin key,
        # so its hint 'sk-admin-DEM...demo' may show.
        run.secrets.update({OPENAI_ADMIN: None, ANTHROPIC_ADMIN: None, AZURE_TOKEN: None})

        run.nhi("-v", "scan", "--demo")
        run.secrets.update(moto_secrets())
        _read_everything(run)
        run.nhi("scan", "--demo", "-q", "-f", "json")
        run.secrets.update(moto_secrets())
        run.nhi("diff")
        run.nhi("diff", "-f", "json")
        run.nhi("diff", "-f", "markdown", "-o", str(root / "out" / "diff.md"))
        run.nhi("revoke", "--dry-run", "--agent", "ops-copilot", "--demo")
        run.nhi("revoke", "--dry-run", "--agent", "ops-copilot", "--demo", "-f", "json")
        run.nhi("revoke", "--agent", "ops-copilot", "--demo", "--plan-out", str(root / "out" / "plan.json"))
        run.secrets.update(moto_secrets())
        run.nhi("revoke", "log")
        run.nhi("revoke", "log", "-f", "json")
    return run


def _ids(run: Run, sql: str) -> list[str]:
    return [row[next(iter(row))] for row in json.loads(run.nhi("query", sql, "-f", "json"))]


def _read_everything(run: Run) -> None:
    out = run.root / "out"
    for fmt in ("table", "json", "csv"):
        run.nhi("inventory", "list", "-f", fmt)
        run.nhi("inventory", "list", "--what", "credentials", "-f", fmt)
        run.nhi("findings", "list", "-f", fmt)
        run.nhi("agents", "list", "-f", fmt)
        run.nhi("rules", "list", "-f", fmt)
    # several identities and credentials of every provider, the rogue agent's first
    ids = _ids(run, "SELECT id FROM v_identities WHERE name LIKE '%ops-copilot%' OR id LIKE '%ops-copilot%'")
    ids += _ids(run, "SELECT MIN(id) AS id FROM v_identities GROUP BY provider")
    ids += _ids(run, "SELECT MIN(id) AS id FROM v_credentials GROUP BY provider, kind")
    assert len(ids) > 15
    for target in dict.fromkeys(ids):
        run.nhi("inventory", "show", target)
        run.nhi("inventory", "show", target, "-f", "json")
    for view in ("v_identities", "v_credentials", "v_grants", "v_trusts", "v_credential_locations"):
        run.nhi("query", f"SELECT * FROM {view}", "-f", "csv")
    for table in ("finding", "finding_occurrence", "scope_result", "identity_history", "credential_history"):
        run.nhi("query", f"SELECT * FROM {table}", "-f", "json")
    rule_ids = [r["id"] for r in json.loads(run.nhi("rules", "list", "-f", "json"))]
    for rule in rule_ids[:5] + [r for r in rule_ids if r.startswith("mcp_")]:
        run.nhi("rules", "show", rule)
    agents = [a["name"] for a in json.loads(run.nhi("agents", "list", "-f", "json"))]
    assert "ops-copilot" in agents
    for agent in agents:
        run.nhi("agents", "show", agent)
        run.nhi("agents", "show", agent, "-f", "json")
    for fmt in REPORT_FORMATS:
        run.nhi("report", "-f", fmt)
        run.nhi("report", "-f", fmt, "-o", str(out / f"report.{fmt}"))
    for fmt in ("table", "json", "csv"):
        run.nhi("report", "--what", "inventory", "-f", fmt, "-o", str(out / f"inventory.{fmt}"))


def test_every_command_of_the_tour_ran(demo_run):
    """The sweep below is only as good as what ran: every command group, every format."""
    labels = " | ".join(demo_run.codes)
    for needle in (
        "scan --demo",
        "inventory show",
        "query",
        "findings list",
        "rules show",
        "agents show",
        "report -f html",
        "report --what inventory",
        "diff",
        "revoke --dry-run",
        "revoke log",
    ):
        assert needle in labels
    written = {p.name for p in (demo_run.root / "out").iterdir()}
    assert {"report.html", "report.sarif", "plan.json", "diff.md", "inventory.csv"} <= written
    assert len(demo_run.secrets) > 40  # planted in the estate copy, the MCP list, and moto's keys


def test_the_planted_secrets_were_really_in_the_estate_nhi_scanned(demo_run):
    """A sanity check on the test itself: the fakes served what was planted."""
    estate = demo_run.root / "estate"
    blob = b"".join(p.read_bytes() for p in estate.rglob("*") if p.is_file())
    planted_here = [s for s in demo_run.secrets if s.encode() in blob]
    assert len(planted_here) > 25
    plan = json.loads((demo_run.root / "out" / "plan.json").read_text())
    assert "AKIANWOPSCOPILOT0001" in json.dumps(plan)  # the plan is about the rogue agent


def test_no_secret_lands_in_any_output_file_or_database(demo_run):
    leaks = find_leaks(demo_run.secrets, demo_run.files(), hints=demo_run.hints())
    assert leaks == [], "\n".join(leaks[:40])


def test_the_stored_hints_show_no_more_than_a_provider_does(demo_run):
    for hint in demo_run.hints():
        head, _, tail = hint.partition("...")
        if hint.startswith(("AKIA", "ASIA", "SHA256:")) or len(hint) == 40:  # ids and fingerprints
            continue
        assert len(head) <= 20 and len(tail) <= 8, hint


def test_verbose_and_debug_error_paths_leak_nothing(tmp_path, monkeypatch):
    """Errors with NHI_DEBUG=1 and -v: a provider refusing the key, a key with a trailing
    newline (HTTP forbids it in a header: httpx's error quotes the header value), a bad
    query, an unknown revoke target."""
    from nhi_cli.kit.http_fake import FakeHttpServer, reply

    monkeypatch.setenv("NHI_DEBUG", "1")
    openai_key = "sk-admin-Qm7RvT2xWpL9kZc4NbY8hJ3sDf6GtE1uA0oIiK5e"
    anthropic_key = "sk-ant-admin01-Hy4Tq9WmZr2Lx7Vc5Nb8Kj3Pd6Fs1Ga0EuRoYiXw9Zt4Mq7BvAA"
    fake = FakeHttpServer()
    fake.route(
        "GET",
        r"/.*",
        lambda req: reply({"error": {"type": "authentication_error", "message": "invalid x-api-key"}}, 401),
    )
    with fake:
        Path("nhi.yaml").write_text(
            "providers:\n"
            f"  openai: {{endpoint: '{fake.url}/v1', admin_key: \"{openai_key}\\n\"}}\n"
            f"  anthropic: {{endpoint: '{fake.url}', admin_key: '{anthropic_key}'}}\n",
            encoding="utf-8",
        )
        results = [
            invoke("-v", "scan"),
            invoke("-v", "scan", "-f", "json"),
            invoke("-v", "query", "SELECT secret FROM nowhere"),
            invoke("-v", "revoke", "--dry-run", "no-such-identity"),
            invoke("-v", "inventory", "show", "no-such-identity"),
        ]
    assert results[0].code == 3, results[0].err
    assert "openai:default error: invalid_request" in results[0].err  # the newline key, named without its value
    assert "anthropic:default denied" in results[0].err
    blobs = {f"output {i}": (r.out + r.err).encode() for i, r in enumerate(results)}
    blobs.update(database_files(tmp_path / "nhi.db"))
    # The requests carried the keys: the header is what the errors must not quote.
    assert any(anthropic_key in (c.headers.get("x-api-key") or "") for c in fake.calls())
    leaks = find_leaks({openai_key: None, anthropic_key: None}, blobs)
    assert leaks == [], "\n".join(leaks)


def test_every_report_diff_and_plan_file_written_is_owner_only(demo_run):
    import stat

    for path in sorted((demo_run.root / "out").iterdir()):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, f"{path.name} is {oct(path.stat().st_mode)}"
    for name in ("nhi.db", "nhi.db-wal", "nhi.db-shm"):
        path = demo_run.root / name
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
