"""The kill switch cannot be forged, replayed, tampered with or blocked (issue 20, items 3-5).

Each test replays an attack as it was reproduced against the old revoke and shows it now
fails safely: one line on stderr, exit 2, and not one mutating call at the provider.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import nhi_cli.rules
from nhi_cli.revoke.keys import load_key
from nhi_cli.revoke.planfile import sign
from nhi_cli.rules.engine import run_rule
from nhi_cli.rules.loader import load_rule
from nhi_cli.store import open_store

ACCOUNT = "123456789012"
BREAK_GLASS = f"arn:aws:iam::{ACCOUNT}:user/break-glass"
ATTACKER_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "arn:aws:iam::666666666666:root"}}
    ],
}


def _json(result):
    assert result.out, result.err
    return json.loads(result.out)


def _one_line(result, code: int = 2) -> str:
    assert result.code == code, (result.code, result.err)
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.err, result.err
    return lines[0]


def _key_status(estate, user: str) -> list[str]:
    return [k["Status"] for k in estate.client("iam").list_access_keys(UserName=user)["AccessKeyMetadata"]]


def _salt(tmp_path) -> str:
    store = open_store(tmp_path / "nhi.db", create=False)
    try:
        return store.secret_salt
    finally:
        store.close()


def _write_plan(nhi, tmp_path, *args, name="plan.json") -> dict:
    written = nhi("revoke", *args, "--plan-out", name)
    assert written.code == 0, written.err
    return json.loads((tmp_path / name).read_text())


def _save(tmp_path, name: str, document: dict) -> str:
    (tmp_path / name).write_text(json.dumps(document))
    return name


# --- item 3: signing key, binding, re-checks ------------------------------------------------------
def test_meta_secrets_are_invisible_to_query_and_to_rules(estate, nhi, tmp_path):
    salt = _salt(tmp_path)
    for sql in ("select value from meta", "select * from meta", "select group_concat(value) from meta m"):
        result = nhi("query", sql, "-f", "json")
        line = _one_line(result)
        assert "meta.value" in line and salt not in result.out + result.err
    assert nhi("query", "select key from meta", "-f", "json").code == 0  # which secrets exist is not secret
    rule, problems = load_rule(Path(nhi_cli.rules.__file__).parent / "builtin" / "admin_grant")
    assert not problems
    rule.sql = "SELECT value AS resource_id, 'identity' AS resource_type, 'x.' AS reason FROM meta"
    store = open_store(tmp_path / "nhi.db", create=False)
    try:  # on the scan's own writable connection, where rules run
        with pytest.raises(sqlite3.DatabaseError, match="prohibited"):
            run_rule(store.conn, rule)
    finally:
        store.close()
    key = tmp_path / "nhi.db.revoke-key"
    assert key.exists() is False or oct(key.stat().st_mode & 0o777) == "0o600"


def test_forged_plan_retargeted_to_the_break_glass_user_is_refused(estate, nhi, tmp_path):
    document = _write_plan(nhi, tmp_path, "ops-copilot")
    assert oct((tmp_path / "nhi.db.revoke-key").stat().st_mode & 0o777) == "0o600"
    forged = json.loads(json.dumps(document))
    item = forged["plan"]["items"][0]
    item["target"].update(id=BREAK_GLASS, name="break-glass", given="break-glass")
    item["protected_by"] = None  # the plan's word on protection is not taken
    ours, theirs = estate.keys["ops-copilot"][0], estate.keys["break-glass"][0]
    for step in item["steps"]:  # exactly the steps nhi would plan for the break-glass user
        step["target_id"] = BREAK_GLASS
        step["params"] = json.loads(
            json.dumps(step["params"]).replace("ops-copilot", "break-glass").replace(ours, theirs)
        )
        step["description"] = step["description"].replace("ops-copilot", "break-glass").replace(ours, theirs)

    # 1. signed with the salt, as `nhi query "select value from meta"` used to hand out
    forged["signature"] = sign(forged["plan"], _salt(tmp_path).encode())
    line = _one_line(nhi("revoke", "--plan", _save(tmp_path, "salted.json", forged), "--yes", "--reason", "x"))
    assert "signature does not match" in line and "nothing was changed" in line

    # 2. even signed with the real key, the targets are re-resolved and protected: re-checked
    key = load_key(tmp_path / "nhi.db", create=False)
    forged["signature"] = sign(forged["plan"], key)
    line = _one_line(nhi("revoke", "--plan", _save(tmp_path, "keyed.json", forged), "--yes", "--reason", "x"))
    assert "break-glass" in line and "is protected" in line and "--force" in line

    # 3. the target left alone, only a step's parameters pointed at the break-glass user
    sneaky = json.loads(json.dumps(document))
    deny = next(s for s in sneaky["plan"]["items"][0]["steps"] if s["action"] == "deny_all_policy")
    deny["params"]["user_name"] = "break-glass"
    sneaky["signature"] = sign(sneaky["plan"], key)
    line = _one_line(nhi("revoke", "--plan", _save(tmp_path, "sneaky.json", sneaky), "--yes", "--reason", "x"))
    assert "not what nhi plans for it now" in line

    assert estate.moto.mutating() == {} and _key_status(estate, "break-glass") == ["Active"]
    assert estate.client("iam").list_user_policies(UserName="break-glass")["PolicyNames"] == ["access"]


def test_a_plan_runs_once(estate, nhi, tmp_path):
    _write_plan(nhi, tmp_path, estate.keys["ops-copilot"][0])
    first = nhi("revoke", "--plan", "plan.json", "--yes", "--reason", "leaked key", "-f", "json")
    assert first.code == 0, first.err
    revocation_id = _json(first)["revocation_id"]
    assert nhi("restore", str(revocation_id), "--yes").code == 0
    calls = dict(estate.moto.mutating())
    line = _one_line(nhi("revoke", "--plan", "plan.json", "--yes", "--reason", "again"))
    assert f"already executed as revocation {revocation_id}" in line
    assert estate.moto.mutating() == calls and _key_status(estate, "ops-copilot") == ["Active"]


def test_a_plan_is_bound_to_its_scan(estate, nhi, tmp_path):
    _write_plan(nhi, tmp_path, "ops-copilot")
    assert nhi("scan", "-q").code == 0
    line = _one_line(nhi("revoke", "--plan", "plan.json", "--yes", "--reason", "x"))
    assert "inventory has changed since" in line and "make a new one" in line
    assert estate.moto.mutating() == {}


def test_a_plan_from_another_inventory_is_refused(estate, nhi, tmp_path):
    _write_plan(nhi, tmp_path, "ops-copilot")
    assert nhi("--db", "other.db", "scan", "-q").code == 0  # the same estate, another inventory
    line = _one_line(nhi("--db", "other.db", "revoke", "--plan", "plan.json", "--yes", "--reason", "x"))
    assert "written for another inventory" in line
    assert estate.moto.mutating() == {} and _key_status(estate, "ops-copilot") == ["Active"]


def test_an_expired_plan_is_refused(estate, nhi, tmp_path):
    document = _write_plan(nhi, tmp_path, "ops-copilot")
    document["plan"]["expires_at"] = "2020-01-01T00:00:00Z"  # re-signed: only the expiry can refuse it
    document["signature"] = sign(document["plan"], load_key(tmp_path / "nhi.db", create=False))
    line = _one_line(nhi("revoke", "--plan", _save(tmp_path, "old.json", document), "--yes", "--reason", "x"))
    assert "expired at 2020-01-01T00:00:00Z" in line
    assert estate.moto.mutating() == {}


def test_a_real_revoke_needs_a_reason_and_records_who_and_as_whom(estate, nhi, monkeypatch):
    line = _one_line(nhi("revoke", "ops-copilot", "--yes"))
    assert "--reason is required" in line and estate.moto.mutating() == {}
    monkeypatch.setenv("USER", "dana")
    monkeypatch.delenv("NHI_OPERATOR", raising=False)
    monkeypatch.delenv("GITHUB_ACTOR", raising=False)
    monkeypatch.delenv("GITLAB_USER_LOGIN", raising=False)
    by_env = _json(nhi("revoke", "ops-copilot", "--yes", "--reason", "rogue agent", "-f", "json"))
    by_flag = _json(nhi("revoke", "ops-copilot", "--yes", "--reason", "again", "--operator", "oncall-2", "-f", "json"))
    env_entry = _json(nhi("revoke", "log", str(by_env["revocation_id"]), "-f", "json"))
    flag_entry = _json(nhi("revoke", "log", str(by_flag["revocation_id"]), "-f", "json"))
    assert (env_entry["operator"], env_entry["operator_source"]) == ("dana", "env USER")
    assert (flag_entry["operator"], flag_entry["operator_source"]) == ("oncall-2", "--operator")
    assert env_entry["reason"] == "rogue agent" and env_entry["integrity"] == "ok"
    assert env_entry["callers"]["aws"].startswith("arn:aws:") and ACCOUNT in env_entry["callers"]["aws"]


# --- item 4: an authenticated log --------------------------------------------------------------
def _tamper(log_file: Path, kind: str, edit) -> None:
    conn = sqlite3.connect(log_file)
    try:  # an attacker with write access to the file drops the append-only triggers first
        conn.execute("DROP TRIGGER entry_append_only_u")
        for seq, body in conn.execute("SELECT seq, body FROM entry WHERE kind = ?", (kind,)).fetchall():
            new = edit(json.loads(body))
            if new is not None:
                conn.execute("UPDATE entry SET body = ? WHERE seq = ?", (json.dumps(new, sort_keys=True), seq))
        conn.commit()
    finally:
        conn.close()


def test_restore_shows_the_documents_it_writes_and_refuses_a_tampered_entry(estate, nhi, tmp_path):
    revoked = nhi("revoke", "ops-copilot-role", "--block-assume", "--yes", "--reason", "rogue", "-f", "json")
    assert revoked.code == 0, revoked.err
    rid = _json(revoked)["revocation_id"]
    shown = nhi("restore", str(rid), "--dry-run")
    assert shown.code == 0, shown.err
    assert "writes back" in shown.out and f"arn:aws:iam::{ACCOUNT}:root" in shown.out  # the old trust, exactly

    def swap_trust(body):
        if (body.get("restore_data") or {}).get("previous_trust"):
            body["restore_data"]["previous_trust"] = ATTACKER_TRUST
            return body
        return None

    _tamper(tmp_path / "nhi.db.revocations", "step_finished", swap_trust)
    assert "failed at entry" in _json(nhi("revoke", "log", str(rid), "-f", "json"))["integrity"]
    line = _one_line(nhi("restore", str(rid), "--yes"))
    assert f"refusing to restore revocation {rid}" in line and "does not authenticate" in line
    trust = estate.client("iam").get_role(RoleName="ops-copilot-role")["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Effect"] == "Deny"  # still blocked; the attacker's trust never written
    assert "666666666666" not in json.dumps(trust)


# --- item 5: never blocked, never half-logged ----------------------------------------------------
def _hold_inventory_lock(tmp_path) -> subprocess.Popen:
    code = (
        "import sqlite3, sys, time\n"
        "c = sqlite3.connect('nhi.db', isolation_level=None)\n"
        "c.execute('BEGIN IMMEDIATE')\n"
        "print('locked', flush=True)\n"
        "time.sleep(300)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], cwd=tmp_path, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_revoke_completes_while_another_process_holds_the_inventory_write_lock(estate, nhi, tmp_path):
    holder = _hold_inventory_lock(tmp_path)
    try:
        result = nhi("revoke", "ops-copilot", "--yes", "--reason", "rogue agent", "-f", "json")
        assert result.code == 0, result.err
        assert {s["status"] for s in _json(result)["steps"]} == {"done"}
        assert "the inventory is busy" in result.err  # statuses wait for the next scan, the kill does not
        assert _key_status(estate, "ops-copilot") == ["Inactive"]
        log = _json(nhi("revoke", "log", "-f", "json"))
        assert log[0]["status"] == "succeeded" and log[0]["integrity"] == "ok"
    finally:
        holder.kill()
        holder.wait()


def test_a_sigkilled_attempt_is_marked_interrupted_on_the_next_run(estate, nhi, tmp_path):
    key_id = estate.keys["ops-copilot"][0]
    release = threading.Event()
    estate.moto.holds["iam:UpdateAccessKey"] = release  # the provider got the call, has not answered
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    child = subprocess.Popen(
        [sys.executable, "-m", "nhi_cli", "revoke", key_id, "--yes", "--reason", "leak", "-q"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while estate.moto.calls["iam:UpdateAccessKey"] == 0:
            assert child.poll() is None, child.stderr.read()
            assert time.monotonic() < deadline, "the revoke never reached UpdateAccessKey"
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait()
    finally:
        release.set()
        if child.poll() is None:
            child.kill()
            child.wait()
    listed = nhi("revoke", "log", "-f", "json")
    assert listed.code == 0, listed.err
    assert listed.err == ""
    entry = _json(listed)[0]
    assert entry["status"] == "interrupted" and entry["integrity"] == "ok"
    detail = _json(nhi("revoke", "log", str(entry["id"]), "-f", "json"))
    (step,) = detail["steps"]
    assert step["action"] == "deactivate_key" and step["status"] == "unknown"  # it may have acted
    assert (
        detail["interrupted"]["steps_unknown"] == [1]
        and "may have changed the provider" in detail["interrupted"]["note"]
    )
    again = nhi("revoke", key_id, "--yes", "--reason", "finish the job", "-f", "json")  # steps are idempotent
    assert again.code == 0, again.err
    assert _key_status(estate, "ops-copilot") == ["Inactive"]
