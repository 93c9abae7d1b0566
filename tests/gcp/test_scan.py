"""`nhi scan` of GCP projects: real Google clients over gRPC and REST against local fakes."""

from __future__ import annotations

import json
from pathlib import Path

import grpc

from tests.conftest import invoke
from tests.gcp.conftest import PLANTED, query, scopes

ML = "nw-ml-prod"
OPS = "ops-copilot@nw-ml-prod.iam.gserviceaccount.com"
OPS_KEY = f"projects/{ML}/serviceAccounts/{OPS}/keys/5f3c1a9e0b7d4c2a8e6f1b3d5c7a9e0b2d4f6a81"


def scan(*extra: str):
    return invoke("scan", "--config", "nhi.yaml", "--format", "json", *extra)


def test_org_discovery_scans_active_projects_and_marks_the_denied_one(gcp_fake, gcp_config):
    result = scan()
    assert result.code == 3, result.err  # one project denied: the scan is incomplete
    by_scope = scopes(result.out)
    # nw-old is DELETE_REQUESTED and skipped; the ml projects sit in a sub-folder and are found
    assert set(by_scope) == {"nw-ml-prod", "nw-ml-dev", "nw-data", "nw-secret"}
    assert by_scope["nw-secret"]["status"] == "denied"
    assert by_scope["nw-secret"]["error_code"] == "PERMISSION_DENIED"
    assert by_scope[ML]["status"] == "complete"
    assert "nw-secret denied: PERMISSION_DENIED" in result.err
    ids = {r["id"] for r in query("SELECT id FROM v_identities WHERE provider = 'gcp'")}
    assert OPS in ids and "etl@nw-data.iam.gserviceaccount.com" in ids


def test_service_accounts_are_paginated_and_calls_reported_per_project(gcp_fake, gcp_config):
    result = scan()
    calls = scopes(result.out)[ML]["api_calls"]
    # 6 SAs at 2 per page: 3 pages; keys and SA policies are one call per SA (the API's shape)
    assert calls["iam:ListServiceAccounts"] == 3
    assert calls["iam:ListServiceAccountKeys"] == 6
    assert calls["iam:GetIamPolicy"] == 6
    assert calls["cloudresourcemanager:GetIamPolicy"] == 1
    assert calls["policyanalyzer:activities.query"] == 2
    assert "iam:GetServiceAccountKey" not in calls  # no per-key calls
    rows = query("SELECT COUNT(*) AS n FROM v_identities WHERE scope = ? AND is_platform = 0", ML)
    assert rows[0]["n"] == 6
    # read-only: the fake saw no mutating method
    assert not [m for m, _ in gcp_fake.iam.calls if m.startswith(("Disable", "Enable", "Delete"))]


def test_key_that_never_expires_and_disabled_sa_with_enabled_key(gcp_fake, gcp_config):
    scan()
    key = query("SELECT * FROM v_credentials WHERE id = ?", OPS_KEY)[0]
    assert key["kind"] == "sa_key" and key["status"] == "active"
    assert key["expires_at"] is None and key["never_expires"] == 1 and key["supports_expiry"] == 1
    assert key["created_at"] == "2024-10-20T09:15:00Z"
    assert key["key_id"] == "5f3c1a9e0b7d4c2a8e6f1b3d5c7a9e0b2d4f6a81"
    assert key["last_used_at"] == "2025-11-27T07:00:00Z"  # Policy Analyzer key activity
    assert json.loads(key["attrs"])["origin"] == "GOOGLE_PROVIDED"
    trainer = query(
        "SELECT enabled, active_credentials FROM v_identities WHERE id = ?",
        "trainer@nw-ml-prod.iam.gserviceaccount.com",
    )[0]
    assert trainer == {"enabled": 0, "active_credentials": 1}
    statuses = {
        r["name"]: r["status"]
        for r in query(
            "SELECT name, status, expires_at FROM v_credentials WHERE identity_id = ?",
            "feature-store@nw-ml-prod.iam.gserviceaccount.com",
        )
    }
    assert statuses == {
        "fe00fe00fe00fe00fe00fe00fe00fe00fe00fe00": "active",
        "fe11fe11fe11fe11fe11fe11fe11fe11fe11fe11": "inactive",
    }
    # system-managed keys are not requested by default
    assert not query("SELECT id FROM v_credentials WHERE kind = 'sa_system_key'")


def test_grants_flag_owner_editor_and_key_admin_and_keep_conditions(gcp_fake, gcp_config):
    scan()
    grants = {(g["identity_id"], g["action"]): g for g in query("SELECT * FROM v_grants WHERE provider = 'gcp'")}
    owner = grants[(OPS, "roles/owner")]
    assert owner["is_admin"] == 1 and owner["is_full_wildcard"] == 1 and owner["condition"] is None
    assert grants[(OPS, "roles/iam.serviceAccountKeyAdmin")]["is_admin"] == 1
    assert grants[("412345678901-compute@developer.gserviceaccount.com", "roles/editor")]["is_admin"] == 1
    conditional = grants[("feature-store@nw-ml-prod.iam.gserviceaccount.com", "roles/bigquery.dataViewer")]
    assert conditional["is_admin"] == 0
    assert json.loads(conditional["condition"])["title"] == "features-only"


def test_impersonation_trust_at_project_and_sa_level(gcp_fake, gcp_config):
    scan()
    trusts = query("SELECT * FROM v_trusts WHERE provider = 'gcp'")
    batch = [t for t in trusts if t["identity_id"] == "batch-runner@nw-ml-prod.iam.gserviceaccount.com"]
    domain = [t for t in batch if t["principal"] == "domain:northwind.example"]
    assert domain and domain[0]["principal_type"] == "account"
    assert domain[0]["action"] == "roles/iam.serviceAccountTokenCreator"
    # a project-level serviceAccountUser binding reaches every SA of the project
    group = {
        t["identity_id"]
        for t in trusts
        if t["principal"] == "group:ml-engineers@northwind.example" and t["scope"] == ML and not t["conditions"]
    }
    assert len(group) == 6
    gke = [t for t in trusts if t["principal_type"] == "oidc"]
    assert gke and gke[0]["subject_condition"] == "features/reader"


def test_default_and_platform_identities_and_owner_from_description(gcp_fake, gcp_config):
    scan()
    rows = {r["id"]: r for r in query("SELECT * FROM v_identities WHERE provider = 'gcp'")}
    agent = rows["service-412345678901@gcp-sa-aiplatform.iam.gserviceaccount.com"]
    assert agent["is_platform"] == 1
    assert json.loads(agent["attrs"])["agent_platform"] == "vertex_ai"
    assert rows["412345678901@cloudservices.gserviceaccount.com"]["is_platform"] == 1
    assert json.loads(rows["412345678901-compute@developer.gserviceaccount.com"]["attrs"])["default_sa"] == "compute"
    assert json.loads(rows["nw-ml-prod@appspot.gserviceaccount.com"]["attrs"])["default_sa"] == "app_engine"
    assert rows[OPS]["owner"] == "dana.lee@northwind.example" and rows[OPS]["owner_source"] == "description"
    assert rows["trainer@nw-ml-prod.iam.gserviceaccount.com"]["owner"] == "sam.ortiz@northwind.example"
    assert rows["batch-runner@nw-ml-prod.iam.gserviceaccount.com"]["owner"] is None
    assert rows[OPS]["last_used_at"] == "2025-11-27T07:00:00Z"


def test_policy_analyzer_denied_is_a_gap_not_unused(gcp_fake, gcp_config):
    result = scan()
    data = scopes(result.out)["nw-data"]
    assert data["status"] == "partial"
    assert data["gaps"][0]["what"].startswith("last authentication")
    assert data["gaps"][0]["code"] == "PERMISSION_DENIED"
    etl = query("SELECT last_used_at, attrs FROM v_identities WHERE id = 'etl@nw-data.iam.gserviceaccount.com'")[0]
    assert etl["last_used_at"] is None
    assert json.loads(etl["attrs"])["last_used_unknown"] is True  # unused rules skip it
    key = query("SELECT attrs FROM v_credentials WHERE identity_id = 'etl@nw-data.iam.gserviceaccount.com'")[0]
    assert json.loads(key["attrs"])["last_used_unknown"] is True


def test_unavailable_and_429_are_retried_then_succeed(gcp_fake, gcp_config):
    gcp_fake.iam.fail("ListServiceAccounts", grpc.StatusCode.UNAVAILABLE, times=2)
    gcp_fake.iam.fail("ListServiceAccountKeys", grpc.StatusCode.RESOURCE_EXHAUSTED, times=1)
    gcp_fake.http.fault("POST", rf"/v3/projects/{ML}:getIamPolicy", 429, Retry_After="0")
    gcp_config(projects=[ML])
    result = scan()
    assert result.code == 0, result.err
    calls = scopes(result.out)[ML]["api_calls"]
    assert calls["iam:ListServiceAccounts"] == 3 + 2  # every attempt is counted
    assert calls["cloudresourcemanager:GetIamPolicy"] == 2
    assert query("SELECT COUNT(*) AS n FROM v_identities WHERE scope = ?", ML)[0]["n"] == 8


def test_outage_that_does_not_clear_fails_only_that_project(gcp_fake, gcp_config):
    gcp_config(projects=[ML, "nw-data"], max_retries=1)
    gcp_fake.iam.fail("ListServiceAccounts", grpc.StatusCode.UNAVAILABLE, times=2, project=ML)
    result = scan()
    assert result.code == 3
    by_scope = scopes(result.out)
    assert by_scope[ML]["status"] == "error" and by_scope[ML]["error_code"] == "UNAVAILABLE"
    assert by_scope["nw-data"]["status"] == "partial"  # still scanned (its gap: Policy Analyzer)


def test_denied_project_keeps_its_earlier_records(gcp_fake, gcp_config):
    gcp_fake.estate["deniedProjects"].clear()
    assert scan().code == 0
    vault = "vault-sync@nw-secret.iam.gserviceaccount.com"
    assert query("SELECT id FROM v_identities WHERE id = ?", vault)
    gcp_fake.estate["deniedProjects"]["nw-secret"] = "revoked"
    result = scan()
    assert result.code == 3
    assert scopes(result.out)["nw-secret"]["status"] == "denied"
    assert query("SELECT id FROM v_identities WHERE id = ?", vault)  # not marked removed
    assert query("SELECT removed_at FROM identity WHERE id = ?", vault)[0]["removed_at"] is None


def test_explicit_projects_skip_discovery(gcp_fake, gcp_config):
    gcp_config(projects=["nw-data"])
    result = scan()
    assert set(scopes(result.out)) == {"nw-data"}
    assert not gcp_fake.http.calls("GET", r"/v3/projects:search")


def test_planted_key_material_never_lands(gcp_fake, gcp_config):
    result = scan()
    listed = invoke("inventory", "--format", "json")
    blob = Path("nhi.db").read_bytes()
    for secret in PLANTED:
        assert secret not in result.out + result.err + listed.out + listed.err
        assert secret.encode() not in blob


def test_unknown_gcp_setting_is_a_config_error(gcp_fake, gcp_config):
    gcp_config(iam_endpiont="x")
    result = scan()
    assert result.code == 2
    assert "providers.gcp.iam_endpiont: unknown setting" in result.err
    assert "Traceback" not in result.err


def test_missing_google_credentials_cannot_run(monkeypatch, tmp_path):
    # a key file path that does not exist: google.auth.default fails at once, no network
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    monkeypatch.setenv("NO_GCE_CHECK", "True")
    (tmp_path / "nhi.yaml").write_text("version: 1\nproviders:\n  gcp:\n    organization: '1'\n")
    result = scan()
    assert result.code == 4, (result.out, result.err)
    assert "no Google credentials" in result.err
    assert "Traceback" not in result.err


def test_folder_scope_walks_only_that_folder(gcp_fake, gcp_config):
    gcp_config(organization=None, folder="420000000001")
    result = scan()
    assert result.code == 0, result.err
    assert set(scopes(result.out)) == {ML, "nw-ml-dev"}
    assert scopes(result.out)[ML]["scope_name"] == "Northwind ML prod"
