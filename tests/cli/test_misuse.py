"""The CLI the way people misuse it, on a demo inventory: every mistake is one readable line on
stderr and the documented exit code, and every --format is honoured or refused, never ignored."""

from __future__ import annotations

import csv
import io
import json
import shutil

import pytest

from tests.conftest import invoke


def one_line_error(result, code: int = 2) -> str:
    assert result.code == code, (result.code, result.out, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nhi: error: "), result.err
    assert result.out == ""
    return lines[0]


@pytest.mark.parametrize(
    "args",
    [
        ("agents", "show", "ops-copilot"),
        ("inventory", "show", "AKIANWOPSCOPILOT0001"),
        ("rules", "show", "admin_grant"),
        ("restore", "1", "--dry-run"),
    ],
)
def test_csv_on_a_one_object_view_is_refused_not_a_table(demo_db, args):
    # these commands used to print their Rich table when asked for CSV, so a script piping
    # `--format csv` into a spreadsheet got box-drawing characters and exit 0
    line = one_line_error(invoke("--db", demo_db, *args, "--format", "csv"))
    assert "--format must be table or json" in line


def test_agents_list_csv_is_csv(demo_db):
    result = invoke("--db", demo_db, "agents", "list", "--format", "csv")
    assert result.code == 0, result.err
    rows = list(csv.DictReader(io.StringIO(result.out)))
    rogue = next(r for r in rows if r["agent"] == "ops-copilot")
    assert rogue["owner"] == "dana.lee@northwind.example"
    assert {rogue[p] for p in ("scoped", "delegated", "auditable", "revocable")} == {"FAIL"}
    assert "analytics-agent" in {r["agent"] for r in rows}
    assert "┃" not in result.out and "│" not in result.out


def test_findings_rule_typo_is_an_error_not_zero_findings(demo_db):
    line = one_line_error(invoke("--db", demo_db, "findings", "list", "--rule", "credential_max_ag"))
    assert "'credential_max_ag'" in line and "nhi rules list" in line
    one_line_error(invoke("--db", demo_db, "findings", "list", "--rule", "nope_*"))
    ok = invoke("--db", demo_db, "findings", "list", "--rule", "credential_*", "--format", "json")
    assert ok.code == 0, ok.err
    found = json.loads(ok.out)
    assert found and all(f["rule_id"].startswith("credential_") for f in found)


@pytest.mark.parametrize(
    "args, code, needle",
    [
        (("findings", "list", "--format", "nope"), 2, "'nope' is not one of"),
        (("report", "--format", "nope"), 2, "'nope' is not one of"),
        (("findings", "list", "--severity", "urgent"), 2, "--severity 'urgent'"),
        (("findings", "list", "--status", "nope"), 2, "--status 'nope'"),
        (("findings", "list", "--scan", "999"), 2, "no scan 999"),
        (("report", "--scan", "999"), 2, "scan 999 does not exist"),
        (("diff", "2", "1"), 2, "must be older"),
        (("rules", "show", "no_such_rule"), 2, "no rule 'no_such_rule'"),
        (("agents", "show", "nobody"), 2, "no agent named 'nobody'"),
        (("inventory", "show", "AKIANWOPS"), 2, "did you mean: AKIANWOPSCOPILOT0001"),
        (("query", "DELETE FROM identity"), 2, "query failed"),
        (("revoke", "log", "999"), 2, "no revocation 999"),
    ],
)
def test_wrong_values_are_one_line_and_exit_2(demo_db, args, code, needle):
    result = invoke("--db", demo_db, *args)
    assert result.code == code, (result.code, result.err)
    assert needle in result.err
    assert "Traceback" not in result.err and result.out == ""


def test_fail_on_unknown_severity_is_a_usage_error(demo_db):
    result = invoke("--db", demo_db, "scan", "--demo", "--fail-on", "urgent")
    assert result.code == 2
    assert "'urgent' is not one of" in result.err


@pytest.mark.parametrize(
    "args",
    [
        ("findings", "list"),
        ("findings", "list", "--new"),
        ("agents", "list"),
        ("agents", "show", "ops-copilot"),
        ("report",),
        ("diff",),
        ("inventory", "list"),
        ("inventory", "show", "AKIANWOPSCOPILOT0001"),
        ("rules", "list"),
        ("rules", "show", "admin_grant"),
        ("revoke", "log"),
        ("query", "SELECT 1 AS x"),
    ],
)
def test_json_is_valid_json_on_stdout_alone(demo_db, args):
    result = invoke("--db", demo_db, *args, "--format", "json")
    assert result.code == 0, result.err
    json.loads(result.out)
    assert result.err == ""


def test_no_scan_yet_and_unwritable_output_are_exit_4_like_report(tmp_path, monkeypatch):
    # the README's table: 4 = could not run (no scan in the inventory yet, --output unwritable);
    # `nhi report` and `nhi diff` said 4 while `nhi findings` said 2 for the same situations
    monkeypatch.delenv("OPENAI_ADMIN_KEY", raising=False)
    (tmp_path / "nhi.yaml").write_text("providers:\n  openai:\n    endpoint: http://127.0.0.1:9\n", encoding="utf-8")
    assert invoke("scan").code == 4  # no Admin key: nothing scanned, but the inventory file exists
    assert (tmp_path / "nhi.db").exists()
    for args in (("findings", "list"), ("findings", "baseline"), ("report",), ("diff",)):
        line = one_line_error(invoke(*args), code=4)
        assert "no scans yet" in line, args


def test_baseline_to_an_unwritable_place_is_exit_4(demo_db, tmp_path):
    line = one_line_error(
        invoke("--db", demo_db, "findings", "baseline", "-o", tmp_path / "missing" / "b.json"), code=4
    )
    assert "cannot write" in line
    assert one_line_error(invoke("--db", demo_db, "report", "-o", tmp_path / "missing" / "r.html"), code=4)


def test_revoke_on_a_demo_inventory_without_demo_is_refused(demo_db):
    # `nhi agents show` printed "nhi revoke --agent ops-copilot" for the demo; run as printed,
    # that sent real revoke calls for the demo's ids to the real providers with whatever
    # credentials the shell had. Now the hint says --demo and revoke refuses without it.
    shown = invoke("--db", demo_db, "agents", "show", "ops-copilot", "--format", "json")
    assert json.loads(shown.out)["revoke_command"] == "nhi revoke --demo --agent ops-copilot"
    before = invoke("--db", demo_db, "revoke", "log", "--format", "json")
    line = one_line_error(invoke("--db", demo_db, "revoke", "--agent", "ops-copilot", "--yes"))
    assert "add --demo" in line and "nothing was changed" in line
    assert invoke("--db", demo_db, "revoke", "log", "--format", "json").out == before.out


def test_restore_on_a_demo_inventory_without_demo_is_refused(demo_db, tmp_path):
    # As revoke: restoring a demo revocation without --demo would send real restore calls
    # (reactivate keys, remove deny policies) for the demo's ids to the real providers.
    db = tmp_path / "nhi.db"
    shutil.copyfile(demo_db, db)
    revoked = invoke(
        "--db", db, "revoke", "--reason", "test", "--demo", "--agent", "ops-copilot", "--yes", "--format", "json"
    )
    assert revoked.code == 0, revoked.err
    revocation_id = json.loads(revoked.out)["revocation_id"]
    before = invoke("--db", db, "revoke", "log", "--format", "json").out
    line = one_line_error(invoke("--db", db, "restore", str(revocation_id), "--yes"))
    assert "add --demo" in line and "nothing was changed" in line
    assert invoke("--db", db, "revoke", "log", "--format", "json").out == before  # no restore attempted


def test_findings_list_reads_in_an_80_column_log(nhi, tmp_path, monkeypatch):
    assert nhi("-q", "scan", "--demo", "--provider", "aws").code == 0
    monkeypatch.setenv("COLUMNS", "80")
    result = nhi("findings", "list", "--severity", "critical")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].endswith("findings")
    # a header line per finding with severity, status, rule and resource, the reason indented below
    assert any(line.startswith("critical new        admin_grant  aws:ops-copilot") for line in lines)
    reason = lines[lines.index(next(line for line in lines if "aws:ops-copilot" in line)) + 1]
    assert reason.startswith("    Identity ops-copilot has administrator access")


def test_list_commands_read_in_an_80_column_log(nhi, monkeypatch):
    assert nhi("-q", "scan", "--demo", "--provider", "aws").code == 0
    monkeypatch.setenv("COLUMNS", "80")
    agents = nhi("agents", "list").out.splitlines()
    assert agents[0].endswith("agents")
    head = next(line for line in agents if line.startswith("ops-copilot (high)"))
    assert "owner dana.lee@northwind.example" in head and head.rstrip().endswith("on aws")
    cells = agents[agents.index(head) + 1].split()
    assert cells[0::2] == ["scoped", "delegated", "auditable", "revocable"]
    assert cells[1] == "FAIL" and cells[3] == "FAIL"  # AdministratorAccess; an IAM user records no one
    inventory = nhi("inventory", "list", "--kind", "iam_user").out.splitlines()
    key = next(i for i, line in enumerate(inventory) if line.endswith("user/agents/ops-copilot"))
    assert "name: ops-copilot" in inventory[key + 1] and "kind: iam_user" in inventory[key + 1]


def test_an_in_memory_inventory_never_passes_a_gate(nhi, tmp_path, monkeypatch):
    """--db :memory: used to scan into a file named ':memory:', print empty tables and exit 0
    despite --fail-on high. It is refused before any provider is called, by every spelling."""
    result = nhi("scan", "--demo", "--db", ":memory:", "--fail-on", "high")
    assert result.code == 2
    assert result.err.splitlines() == [
        "nhi: error: --db :memory: (an in-memory inventory) is not supported: the gate would read an empty one; "
        'for a one-shot run use a temporary file, e.g. --db "$(mktemp -d)/nhi.db"'
    ]
    assert result.out == "" and list(tmp_path.iterdir()) == []
    monkeypatch.setenv("NHI_DB", "file::memory:?cache=shared")
    assert nhi("scan", "--demo", "--fail-on", "high").code == 2
    (tmp_path / "nhi.yaml").write_text("db: ':memory:'\n")
    monkeypatch.delenv("NHI_DB")
    assert nhi("findings", "list").code == 2


def test_inventory_show_accepts_a_name_as_revoke_does(nhi, demo_db):
    by_name = nhi("--db", demo_db, "inventory", "show", "jenkins-legacy", "--format", "json")
    assert by_name.code == 0, by_name.err
    assert json.loads(by_name.out)["id"] == "arn:aws:iam::123456789012:user/jenkins-legacy"
    by_key = nhi("--db", demo_db, "inventory", "show", "AKIANWJENKINSLEG001", "--format", "json")
    assert json.loads(by_key.out)["id"] == "arn:aws:iam::123456789012:user/jenkins-legacy"
    # ops-copilot is the name of identities in several providers: each is listed, none guessed
    ambiguous = nhi("--db", demo_db, "inventory", "show", "ops-copilot")
    assert ambiguous.code == 2 and len(ambiguous.err.strip().splitlines()) == 1
    assert "arn:aws:iam::123456789012:user/agents/ops-copilot" in ambiguous.err
    assert "anthropic:key/apikey_01NwOpsCopilot" in ambiguous.err
