"""`nhi revoke` / `nhi restore` of GCP keys and service accounts against the IAM gRPC fake,
which records every call, so the tests see exactly what reached the provider."""

from __future__ import annotations

import json

import grpc

from tests.conftest import invoke

OPS = "ops-copilot@nw-ml-prod.iam.gserviceaccount.com"
OPS_KEY = f"projects/nw-ml-prod/serviceAccounts/{OPS}/keys/5f3c1a9e0b7d4c2a8e6f1b3d5c7a9e0b2d4f6a81"
MUTATING = ("Disable", "Enable", "Delete")


def mutations(fake) -> list[tuple[str, str]]:
    return [(m, name.rsplit("/", 1)[-1]) for m, name in fake.iam.calls if m.startswith(MUTATING)]


def key_state(fake, email: str) -> dict[str, bool]:
    return {k["name"].rsplit("/", 1)[-1]: bool(k.get("disabled")) for k in fake.iam.keys[email]}


def sa_disabled(fake, email: str) -> bool:
    project = email.split("@")[1].split(".")[0]
    return bool(next(a for a in fake.iam.accounts[project] if a["email"] == email).get("disabled"))


def log(revocation_id=None):
    """The revocation log as `nhi revoke log -f json` shows it (newest first)."""
    result = invoke(
        "revoke", "log", *([str(revocation_id)] if revocation_id else []), "--config", "nhi.yaml", "-f", "json"
    )
    assert result.code == 0, result.err
    return json.loads(result.out)


def scanned(gcp_config):
    gcp_config(projects=["nw-ml-prod"])
    assert invoke("scan", "--config", "nhi.yaml", "-q").code == 0


def test_revoke_key_disables_it_verifies_and_restore_enables_it(gcp_fake, gcp_config):
    scanned(gcp_config)
    result = invoke("revoke", OPS_KEY, "--config", "nhi.yaml", "--yes", "--reason", "leaked")
    assert result.code == 0, result.err
    assert mutations(gcp_fake) == [("DisableServiceAccountKey", OPS_KEY.rsplit("/", 1)[-1])]
    assert key_state(gcp_fake, OPS)[OPS_KEY.rsplit("/", 1)[-1]] is True
    # verified by reading back: a Get after the Disable
    methods = [m for m, _ in gcp_fake.iam.calls]
    assert methods[-2:] == ["DisableServiceAccountKey", "GetServiceAccountKey"]
    revocation = [r for r in log() if r["action"] == "revoke"][0]
    assert revocation["status"] == "succeeded"

    restored = invoke("restore", str(revocation["id"]), "--config", "nhi.yaml", "--yes")
    assert restored.code == 0, restored.err
    assert mutations(gcp_fake)[-1] == ("EnableServiceAccountKey", OPS_KEY.rsplit("/", 1)[-1])
    assert key_state(gcp_fake, OPS)[OPS_KEY.rsplit("/", 1)[-1]] is False


def test_revoke_service_account_disables_keys_then_the_account(gcp_fake, gcp_config):
    scanned(gcp_config)
    result = invoke("revoke", "--reason", "test", OPS, "--config", "nhi.yaml", "--yes")
    assert result.code == 0, result.err
    # the engine may run the key's and the account's steps side by side: compare as a set
    assert sorted(m for m, _ in mutations(gcp_fake)) == ["DisableServiceAccount", "DisableServiceAccountKey"]
    assert sa_disabled(gcp_fake, OPS)
    rid = [r for r in log() if r["action"] == "revoke"][0]["id"]
    assert invoke("restore", str(rid), "--config", "nhi.yaml", "--yes").code == 0
    assert not sa_disabled(gcp_fake, OPS)
    assert not any(key_state(gcp_fake, OPS).values())


def test_delete_only_with_the_flag_and_it_cannot_be_restored(gcp_fake, gcp_config):
    scanned(gcp_config)
    assert invoke("revoke", "--reason", "test", OPS_KEY, "--config", "nhi.yaml", "--yes").code == 0
    assert OPS_KEY.rsplit("/", 1)[-1] in key_state(gcp_fake, OPS)  # disabled, still there
    result = invoke("revoke", "--reason", "test", OPS_KEY, "--config", "nhi.yaml", "--yes", "--delete")
    assert result.code == 0, result.err
    assert OPS_KEY.rsplit("/", 1)[-1] not in key_state(gcp_fake, OPS)
    steps = [{k: s[k] for k in ("action", "status", "reversible")} for r in log() for s in log(r["id"])["steps"]]
    assert {"action": "disable_key", "status": "already_done", "reversible": 1} in steps
    assert {"action": "delete_key", "status": "done", "reversible": 0} in steps


def test_dry_run_calls_nothing_mutating(gcp_fake, gcp_config):
    scanned(gcp_config)
    result = invoke("revoke", OPS, "--config", "nhi.yaml", "--dry-run")
    assert result.code == 0, result.err
    assert mutations(gcp_fake) == []


def test_refused_disable_is_a_failed_step(gcp_fake, gcp_config):
    scanned(gcp_config)
    gcp_fake.iam.fail("DisableServiceAccountKey", grpc.StatusCode.PERMISSION_DENIED)
    result = invoke("revoke", "--reason", "test", OPS_KEY, "--config", "nhi.yaml", "--yes")
    assert result.code == 5
    step = log(log()[0]["id"])["steps"][-1]
    assert step["status"] == "failed" and "PERMISSION_DENIED" in step["error"]
    assert key_state(gcp_fake, OPS)[OPS_KEY.rsplit("/", 1)[-1]] is False


def test_service_agent_is_not_revocable(gcp_fake, gcp_config):
    scanned(gcp_config)
    result = invoke(
        "revoke",
        "--reason",
        "test",
        "service-412345678901@gcp-sa-aiplatform.iam.gserviceaccount.com",
        "--config",
        "nhi.yaml",
        "--yes",
    )
    assert result.code != 0
    assert mutations(gcp_fake) == []
    assert "service agent" in result.out + result.err
