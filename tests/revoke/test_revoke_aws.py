"""`nhi revoke` / `nhi restore` against moto through the real CLI and the real AWS connector."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from moto.core import set_initial_no_auth_action_count

ACCOUNT = "123456789012"


def _json(result) -> dict:
    assert result.out, result.err
    return json.loads(result.out)


def _denied(call) -> str:
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response["Error"]["Code"]


def test_revoke_kills_the_key_and_old_role_sessions_under_enforcement_and_restore_revives_them(estate, nhi, sign_as):
    sign_as("operator")  # an admin user: moto checks every call once enforcement is on
    old_session = estate.client("sts", key="operator").assume_role(
        RoleArn=estate.role_arn, RoleSessionName="agent-session"
    )["Credentials"]

    @set_initial_no_auth_action_count(0)
    def enforced():
        agent_iam = estate.client("iam", key="ops-copilot")
        session_iam = estate.client("iam", session=old_session)
        assert agent_iam.list_users()["Users"] and session_iam.list_users()["Users"]  # both work before

        result = nhi("revoke", "ops-copilot", "ops-copilot-role", "--yes", "--reason", "rogue agent", "-f", "json")
        assert result.code == 0, result.err
        revoke = _json(result)
        assert {s["status"] for s in revoke["steps"]} == {"done"}
        assert _denied(agent_iam.list_users) in ("InvalidClientTokenId", "AccessDenied", "AccessDeniedException")
        assert _denied(session_iam.list_users) in ("AccessDenied", "AccessDeniedException")

        result = nhi("restore", str(revoke["revocation_id"]), "--yes", "-f", "json")
        assert result.code == 0, result.err
        assert agent_iam.list_users()["Users"] and session_iam.list_users()["Users"]  # both work again
        # the console password was deleted: irreversible, said so, not restored
        assert "cannot be undone" in result.err
        assert (
            _denied(lambda: estate.client("iam", key="operator").get_login_profile(UserName="ops-copilot"))
            == "NoSuchEntity"
        )

    enforced()


def _key_status(estate, user: str) -> list[str]:
    return [k["Status"] for k in estate.client("iam").list_access_keys(UserName=user)["AccessKeyMetadata"]]


def test_dry_run_makes_no_mutating_call_and_is_recorded(estate, nhi):
    result = nhi("revoke", "--agent", "ops-copilot", "--dry-run", "--reason", "drill")
    assert result.code == 0, result.err
    assert "IRREVERSIBLE" in result.out and "ADMIN" in result.out  # plan with blast radius
    assert estate.moto.mutating() == {}  # counted server side: not one Update/Put/Delete
    assert sum(estate.moto.calls.values()) == 0  # planning reads the inventory, not AWS
    assert _key_status(estate, "ops-copilot") == ["Active"]
    log = _json(nhi("revoke", "log", "-f", "json"))
    assert log[0]["status"] == "dry_run" and log[0]["dry_run"] is True and log[0]["reason"] == "drill"
    assert log[0]["targets"] == ["agent:ops-copilot"] and log[0]["steps"] == 4


def test_rerun_is_idempotent_and_the_inventory_shows_the_key_inactive(estate, nhi):
    key_id, secret = estate.keys["ops-copilot"]
    first = nhi("revoke", "--reason", "test", "ops-copilot", "--yes", "-f", "json")
    assert first.code == 0, first.err
    assert _key_status(estate, "ops-copilot") == ["Inactive"]
    second = nhi("revoke", "--reason", "test", "ops-copilot", "--yes", "-f", "json")
    assert second.code == 0, second.err
    assert [s["status"] for s in _json(second)["steps"]] == ["already_done"] * 3
    rows = _json(nhi("inventory", "list", "--what", "credentials", "-f", "json"))
    assert {r["id"]: r["status"] for r in rows}[key_id] == "inactive"
    assert secret not in first.out + second.out + first.err + second.err  # the fake secret never lands
    assert secret.encode() not in Path("nhi.db").read_bytes()


def test_access_key_target_deactivates_only_that_key_and_delete_is_explicit(estate, nhi):
    key_id = estate.keys["ops-copilot"][0]
    plan = nhi("revoke", key_id, "--delete", "--dry-run")
    assert "delete access key" in plan.out and "cannot be undone" in plan.out
    result = nhi("revoke", "--reason", "test", key_id, "--yes", "-f", "json")
    assert result.code == 0, result.err
    assert [s["action"] for s in _json(result)["steps"]] == ["deactivate_key"]
    assert set(estate.moto.mutating()) == {"iam:UpdateAccessKey"}
    assert _key_status(estate, "ops-copilot") == ["Inactive"]


def test_access_denied_is_recorded_and_exits_5_while_other_targets_complete(estate, nhi, sign_as):
    sign_as("reader")  # may read everything, change nothing

    @set_initial_no_auth_action_count(0)
    def enforced():
        result = nhi("revoke", "--reason", "test", "ops-copilot", "--yes", "-f", "json")
        assert result.code == 5, result.err
        steps = _json(result)["steps"]
        failed = [s for s in steps if s["status"] == "failed"]
        assert failed and all("AccessDenied" in s["detail"] for s in failed)
        return _json(nhi("revoke", "log", str(_json(result)["revocation_id"]), "-f", "json"))

    log = enforced()
    assert log["status"] == "failed" and log["operator"]
    assert any("AccessDenied" in (s["error"] or "") for s in log["steps"])
    assert _key_status(estate, "ops-copilot") == ["Active"]


def test_one_failing_target_does_not_stop_the_others(estate, nhi):
    estate.moto.faults["iam:PutRolePolicy"] = (403, "AccessDenied", "explicit deny in an SCP")
    result = nhi("revoke", "--reason", "test", "ops-copilot", "ops-copilot-role", "--yes", "-f", "json")
    assert result.code == 5
    by_action = {s["action"]: s for s in _json(result)["steps"]}
    assert by_action["revoke_sessions"]["status"] == "failed"
    assert "AccessDenied: explicit deny in an SCP" == by_action["revoke_sessions"]["detail"]
    assert by_action["deactivate_user_keys"]["status"] == "done"
    assert _key_status(estate, "ops-copilot") == ["Inactive"]
    assert _json(nhi("revoke", "log", "-f", "json"))[0]["status"] == "partial"


def test_protected_identity_is_refused_without_force(estate, nhi):
    result = nhi("revoke", "--reason", "test", "break-glass", "--yes")
    assert result.code == 2
    assert "is protected" in result.err and "--force" in result.err and "*break-glass*" in result.err
    assert estate.moto.mutating() == {} and _key_status(estate, "break-glass") == ["Active"]
    assert _json(nhi("revoke", "log", "-f", "json"))[0]["status"] == "refused"
    forced = nhi("revoke", "--reason", "test", "break-glass", "--yes", "--force")
    assert forced.code == 0, forced.err
    assert _key_status(estate, "break-glass") == ["Inactive"]


def test_unknown_and_ambiguous_targets_list_candidates_and_change_nothing(estate, nhi):
    unknown = nhi("revoke", "ops-copilt", "--yes")
    assert unknown.code == 2 and "unknown target 'ops-copilt'" in unknown.err and "no candidates" in unknown.err
    near = nhi("revoke", "copilot", "--yes")
    assert near.code == 2 and f"arn:aws:iam::{ACCOUNT}:user/ops-copilot" in near.err
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    )
    estate.client("iam").create_role(RoleName="ops-copilot", AssumeRolePolicyDocument=trust)
    assert nhi("scan").code == 0
    estate.moto.calls.clear()
    ambiguous = nhi("revoke", "ops-copilot", "--yes")
    assert ambiguous.code == 2 and "ambiguous target 'ops-copilot'" in ambiguous.err
    assert "user/ops-copilot" in ambiguous.err and "role/ops-copilot" in ambiguous.err
    assert "nothing was changed" in ambiguous.err
    assert sum(estate.moto.calls.values()) == 0
    assert nhi("revoke", "--agent", "nobody", "--yes").code == 2


def test_refuses_to_act_without_yes_when_stdin_is_not_a_terminal(estate, nhi):
    result = nhi("revoke", "--reason", "test", "ops-copilot")
    assert result.code == 2 and "stdin is not a terminal" in result.err and "--yes" in result.err
    assert estate.moto.mutating() == {}


class _Terminal:
    """A stdin that is a terminal and answers the confirmation."""

    def __init__(self, answer: str):
        self.lines = [answer + "\n"]

    def isatty(self) -> bool:
        return True

    def readline(self, *_):
        return self.lines.pop(0) if self.lines else ""

    def read(self, *_):
        return self.readline()


def test_interactive_confirmation(estate, nhi, monkeypatch):
    import sys

    monkeypatch.setattr(sys, "stdin", _Terminal("n"))
    declined = nhi("revoke", "--reason", "test", "ops-copilot")
    # Saying no is a refusal with its own exit code, not an interruption (130).
    assert declined.code == 6 and estate.moto.mutating() == {}
    # (the answer is not echoed by this fake terminal, so the prompt and the error share a line)
    assert declined.err.rstrip().endswith("nhi: error: not confirmed: declined at the prompt; nothing was changed")
    assert "interrupted" not in declined.err
    monkeypatch.setattr(sys, "stdin", _Terminal("y"))
    accepted = nhi("revoke", "--reason", "test", "ops-copilot")
    assert accepted.code == 0, accepted.err
    assert "Revoke 1 target(s) now" in accepted.err
    assert _key_status(estate, "ops-copilot") == ["Inactive"]


def test_plan_out_then_plan_executes_exactly_the_reviewed_plan_and_refuses_tampering(estate, nhi, tmp_path):
    written = nhi("revoke", "--agent", "ops-copilot", "--block-assume", "--plan-out", "plan.json")
    assert written.code == 0, written.err
    assert estate.moto.mutating() == {}
    document = json.loads((tmp_path / "plan.json").read_text())
    actions = [s["action"] for i in document["plan"]["items"] for s in i["steps"]]
    assert sorted(actions) == sorted(
        ["deactivate_user_keys", "deny_all_policy", "delete_login_profile", "revoke_sessions", "block_assume"]
    )

    tampered = json.loads(json.dumps(document))
    tampered["plan"]["items"][0]["steps"][0]["params"]["user_name"] = "break-glass"
    (tmp_path / "tampered.json").write_text(json.dumps(tampered))
    refused = nhi("revoke", "--plan", "tampered.json", "--yes")
    assert refused.code == 2 and "signature does not match" in refused.err
    (tmp_path / "garbage.json").write_text("{not json")
    assert nhi("revoke", "--plan", "garbage.json", "--yes").code == 2
    assert nhi("revoke", "--plan", "missing.json", "--yes").code == 2
    assert estate.moto.mutating() == {}

    executed = nhi("revoke", "--reason", "test", "--plan", "plan.json", "--yes", "-f", "json")
    assert executed.code == 0, executed.err
    assert [s["action"] for s in _json(executed)["steps"]] == actions
    trust = estate.client("iam").get_role(RoleName="ops-copilot-role")["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Effect"] == "Deny"
    restored = nhi("restore", str(_json(executed)["revocation_id"]), "--yes", "-f", "json")
    assert restored.code == 0, restored.err
    trust = estate.client("iam").get_role(RoleName="ops-copilot-role")["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Effect"] == "Allow"
    assert estate.client("iam").list_role_policies(RoleName="ops-copilot-role")["PolicyNames"] == ["access"]
    assert estate.client("iam").list_user_policies(UserName="ops-copilot")["PolicyNames"] == ["access"]
    log = _json(nhi("revoke", "log", "-f", "json"))
    assert log[0]["action"] == "restore" and log[0]["restores"] == _json(executed)["revocation_id"]


def test_agent_revoke_kills_every_credential_in_one_command(estate, nhi):
    result = nhi("revoke", "--agent", "ops-copilot", "--yes", "--reason", "rogue", "-f", "json")
    assert result.code == 0, result.err
    targets = {s["target"] for s in _json(result)["steps"]}
    assert targets == {f"arn:aws:iam::{ACCOUNT}:user/ops-copilot", f"arn:aws:iam::{ACCOUNT}:role/ops-copilot-role"}
    assert _key_status(estate, "ops-copilot") == ["Inactive"]
    assert _key_status(estate, "break-glass") == ["Active"]


def test_restore_refuses_a_dry_run_and_an_unknown_id(estate, nhi):
    dry = _json(nhi("revoke", "ops-copilot", "--dry-run", "-f", "json"))
    result = nhi("restore", str(dry["revocation_id"]), "--yes")
    assert result.code == 2 and "dry run" in result.err
    assert nhi("restore", "999", "--yes").code == 2


def test_throttling_that_does_not_clear_fails_the_step_after_bounded_retries(estate, nhi):
    estate.moto.faults["iam:UpdateAccessKey"] = (400, "Throttling", "Rate exceeded")
    result = nhi("revoke", "--reason", "test", estate.keys["ops-copilot"][0], "--yes", "-f", "json")
    assert result.code == 5
    (step,) = _json(result)["steps"]
    assert step["status"] == "failed" and step["detail"] == "Throttling: Rate exceeded"
    assert estate.moto.calls["iam:UpdateAccessKey"] == 3  # retried, then given up: the operator re-runs
    assert _json(nhi("revoke", "log", "-f", "json"))[0]["status"] == "failed"


def test_identity_in_a_member_account_is_revoked_through_the_organization_role(estate, nhi, tmp_path):
    org = estate.client("organizations")
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(AccountName="prod", Email="prod@northwind.example")["CreateAccountStatus"]["AccountId"]
    creds = estate.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole", RoleSessionName="seed"
    )["Credentials"]
    member_iam = estate.client("iam", session=creds)
    member_iam.create_user(UserName="prod-ops-copilot")
    key_id = member_iam.create_access_key(UserName="prod-ops-copilot")["AccessKey"]["AccessKeyId"]
    config = (
        (tmp_path / "nhi.yaml")
        .read_text()
        .replace("    aws_managed_policies: known\n", "    aws_managed_policies: known\n    org: true\n")
    )
    (tmp_path / "nhi.yaml").write_text(config)
    assert nhi("scan").code == 0
    result = nhi("revoke", "--reason", "test", key_id, "--yes", "-f", "json")
    assert result.code == 0, result.err
    (step,) = _json(result)["steps"]
    assert step["scope"] == member and step["status"] == "done"
    statuses = [k["Status"] for k in member_iam.list_access_keys(UserName="prod-ops-copilot")["AccessKeyMetadata"]]
    assert statuses == ["Inactive"]
    assert "sts:AssumeRole" in _json(result)["api_calls"]
