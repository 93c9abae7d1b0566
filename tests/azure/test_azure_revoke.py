"""Revoke and restore through the real CLI against the fake, asserting the calls it received."""

from __future__ import annotations

import json
from pathlib import Path

from azure_helpers import PLANTED, SUB_A, app_id, sp_id, write_config


def scanned(nhi, azure):
    write_config(azure)
    assert nhi("scan", "--config", "nhi.yaml", "--quiet").code == 0


def revoke(nhi, *args):
    result = nhi("revoke", "--reason", "test", *args, "--yes", "--format", "json", "--config", "nhi.yaml")
    return result, (json.loads(result.out) if result.out.strip() else {})


def restore(nhi, revocation_id):
    result = nhi("restore", str(revocation_id), "--yes", "--format", "json", "--config", "nhi.yaml")
    return result, (json.loads(result.out) if result.out.strip() else {})


def test_disable_service_principal_then_restore(nhi, azure):
    scanned(nhi, azure)
    azure.server.requests.clear()
    result, out = revoke(nhi, "deploy-bot")
    assert result.code == 0, result.err
    assert [s["action"] for s in out["steps"]] == ["disable_service_principal"]
    assert azure.sp(sp_id(1))["accountEnabled"] is False
    patches = azure.server.calls("PATCH", rf"/v1\.0/servicePrincipals/{sp_id(1)}")
    assert [p.json() for p in patches] == [{"accountEnabled": False}]
    assert len(azure.server.calls("GET", rf"/v1\.0/servicePrincipals/{sp_id(1)}")) == 2  # state before, read back
    assert (
        azure.sp(sp_id(1))["passwordCredentials"] == [] and azure.app(app_id(1))["passwordCredentials"]
    )  # no --delete

    again, out2 = revoke(nhi, "deploy-bot")
    assert again.code == 0 and out2["steps"][0]["status"] == "already_done"

    result, out = restore(nhi, out["revocation_id"])
    assert result.code == 0, result.err
    assert azure.sp(sp_id(1))["accountEnabled"] is True
    assert [p.json() for p in azure.server.calls("PATCH", rf"/v1\.0/servicePrincipals/{sp_id(1)}")][-1] == {
        "accountEnabled": True
    }


def test_remove_client_secret_is_irreversible_and_said_so(nhi, azure):
    scanned(nhi, azure)
    key = "5ec7e700-0000-4000-8000-000000000001"
    plan = nhi("revoke", key, "--dry-run", "--format", "json", "--config", "nhi.yaml")
    assert plan.code == 0, plan.err
    step = json.loads(plan.out)["plan"]["items"][0]["steps"][0]
    assert step["action"] == "remove_client_secret" and step["reversible"] is False
    assert "IRREVERSIBLE" in step["description"]
    assert azure.server.calls("POST") == []  # a dry run calls nothing that mutates

    result, out = revoke(nhi, key)
    assert result.code == 0, result.err
    posts = azure.server.calls("POST", rf"/v1\.0/applications/{app_id(1)}/removePassword")
    assert [p.json() for p in posts] == [{"keyId": key}]
    assert key not in {p["keyId"] for p in azure.app(app_id(1))["passwordCredentials"]}
    log = nhi("revoke", "log", str(out["revocation_id"]), "--format", "json", "--config", "nhi.yaml")
    assert PLANTED not in log.out and PLANTED not in result.out
    assert PLANTED.encode() not in Path("nhi.db").read_bytes()  # the fake served it on every GET

    undo, _ = restore(nhi, out["revocation_id"])
    assert undo.code == 0
    assert "cannot be undone" in undo.err
    assert key not in {p["keyId"] for p in azure.app(app_id(1))["passwordCredentials"]}


def test_remove_certificate_patches_key_credentials_and_restore_puts_it_back(nhi, azure):
    scanned(nhi, azure)
    key, other = "ce47c000-0000-4000-8000-000000000001", "ce47c000-0000-4000-8000-000000000002"
    result, out = revoke(nhi, key)
    assert result.code == 0, result.err
    patch = azure.server.calls("PATCH", rf"/v1\.0/applications/{app_id(1)}")
    assert len(patch) == 1
    sent = patch[0].json()["keyCredentials"]
    assert [k["keyId"] for k in sent] == [other] and sent[0]["key"]  # the kept certificate travels whole
    assert [k["keyId"] for k in azure.app(app_id(1))["keyCredentials"]] == [other]
    assert azure.server.calls("POST", r".*/removeKey") == []  # removeKey needs a proof nhi cannot sign

    result, _ = restore(nhi, out["revocation_id"])
    assert result.code == 0, result.err
    restored = {k["keyId"]: k for k in azure.app(app_id(1))["keyCredentials"]}
    assert set(restored) == {key, other}
    assert restored[key]["key"] == "UFVCTElDLUNFUlQt0001"  # the recorded public certificate


def test_managed_identity_role_assignments_removed_then_recreated(nhi, azure):
    scanned(nhi, azure)
    before = {
        a["name"]: a["properties"]["roleDefinitionId"]
        for a in azure.assignments(SUB_A)
        if a["properties"]["principalId"] == sp_id(4)
    }
    assert len(before) == 2
    result, out = revoke(nhi, "mi-runner")
    assert result.code == 0, result.err
    assert [s["action"] for s in out["steps"]] == ["remove_role_assignments"]
    deletes = azure.server.calls("DELETE")
    assert sorted(d.path.rsplit("/", 1)[-1] for d in deletes) == sorted(before)
    assert all(d.arg("api-version") == "2022-04-01" for d in deletes)
    assert not any(a["properties"]["principalId"] == sp_id(4) for a in azure.assignments(SUB_A))
    assert azure.server.calls("PATCH") == []  # a managed identity's service principal cannot be modified

    result, _ = restore(nhi, out["revocation_id"])
    assert result.code == 0, result.err
    puts = azure.server.calls("PUT")
    assert sorted(p.path.rsplit("/", 1)[-1] for p in puts) == sorted(before)
    after = {
        a["name"]: a["properties"]["roleDefinitionId"]
        for a in azure.assignments(SUB_A)
        if a["properties"]["principalId"] == sp_id(4)
    }
    assert after == before
    assert {a["properties"]["scope"] for a in azure.assignments(SUB_A) if a["name"] in before} == {
        f"/subscriptions/{SUB_A}",
        f"/subscriptions/{SUB_A}/resourceGroups/rg",
    }


def test_delete_also_removes_every_credential_certificates_first(nhi, azure):
    scanned(nhi, azure)
    result, out = revoke(nhi, "deploy-bot", "--delete")
    assert result.code == 0, result.err
    actions = [s["action"] for s in out["steps"]]
    assert actions[0] == "disable_service_principal"
    assert actions.index("remove_certificate") < actions.index("remove_client_secret")
    assert azure.app(app_id(1))["passwordCredentials"] == [] and azure.app(app_id(1))["keyCredentials"] == []
    logged = nhi("revoke", "log", str(out["revocation_id"]), "--config", "nhi.yaml", "-f", "json")
    assert len(json.loads(logged.out)["steps"]) == 5


def test_two_certificates_of_one_application_revoked_together_both_go(nhi, azure):
    # targets run concurrently and both steps rewrite the same keyCredentials list: without the
    # connector's per-object lock the second PATCH would put the first certificate back
    scanned(nhi, azure)
    certs = [dict(k) for k in azure.app(app_id(1))["keyCredentials"]]
    for _ in range(3):  # a race: try it a few times
        azure.app(app_id(1))["keyCredentials"] = [dict(k) for k in certs]
        result, _ = revoke(nhi, certs[0]["keyId"], certs[1]["keyId"])
        assert result.code == 0, result.err
        assert azure.app(app_id(1))["keyCredentials"] == []
