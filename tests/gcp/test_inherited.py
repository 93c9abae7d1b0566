"""Grants and impersonation inherited from the folders and the organization above a project."""

from __future__ import annotations

import json

from tests.conftest import invoke
from tests.gcp.conftest import query, scopes

ML, DEV = "nw-ml-prod", "nw-ml-dev"
ORG, FOLDER = "organizations/410000000001", "folders/420000000001"
BATCH = "batch-runner@nw-ml-prod.iam.gserviceaccount.com"
ETL = "etl@nw-data.iam.gserviceaccount.com"


def scan(*extra: str):
    return invoke("scan", "--config", "nhi.yaml", "--format", "json", *extra)


def test_owner_on_the_organization_is_flagged_naming_the_organization(gcp_fake, gcp_config):
    scan()
    grant = query("SELECT * FROM v_grants WHERE identity_id = ? AND action = 'roles/owner'", BATCH)
    assert len(grant) == 1  # once, in the SA's own project, not once per project below the org
    assert grant[0]["source"] == f"{ORG}#roles/owner" and grant[0]["source_type"] == "inherited_binding"
    assert grant[0]["resource"] == ORG and grant[0]["scope"] == ML
    assert grant[0]["is_admin"] == 1 and grant[0]["is_full_wildcard"] == 1
    finding = query("SELECT * FROM finding WHERE rule_id = 'admin_grant' AND resource_id = ?", BATCH)
    assert finding and ORG in finding[0]["reason"]
    # an SA of another project holding editor on the ml folder: flagged in its own project
    etl = query("SELECT * FROM v_grants WHERE identity_id = ? AND action = 'roles/editor'", ETL)
    assert [(g["source"], g["scope"]) for g in etl] == [(f"{FOLDER}#roles/editor", "nw-data")]
    assert query("SELECT * FROM finding WHERE rule_id = 'admin_grant' AND resource_id = ?", ETL)
    # SAs of unscanned or denied projects named in the org policy get no rows
    assert not query("SELECT * FROM v_grants WHERE identity_id LIKE 'vault-sync@%'")


def test_folder_level_token_creator_is_a_trust_on_every_sa_below(gcp_fake, gcp_config):
    scan()
    trusts = query("SELECT * FROM v_trusts WHERE principal = 'group:ml-oncall@northwind.example'")
    assert {t["scope"] for t in trusts} == {ML, DEV}  # nw-data is not under the folder
    assert len([t for t in trusts if t["scope"] == ML]) == 6
    assert {t["action"] for t in trusts} == {"roles/iam.serviceAccountTokenCreator"}
    # a conditional folder binding keeps its condition
    cond = query(
        "SELECT conditions FROM v_trusts WHERE identity_id = ? AND principal = ? AND conditions IS NOT NULL",
        "notebook@nw-ml-dev.iam.gserviceaccount.com",
        "group:ml-engineers@northwind.example",
    )
    assert json.loads(cond[0]["conditions"])["title"] == "business-hours"


def test_each_ancestor_policy_and_parent_is_read_once_per_scan(gcp_fake, gcp_config):
    result = scan()
    # two projects under the folder, four under the organization: one read each
    assert len(gcp_fake.http.calls("POST", rf"/v3/{FOLDER}:getIamPolicy")) == 1
    assert len(gcp_fake.http.calls("POST", rf"/v3/{ORG}:getIamPolicy")) == 1
    # the ancestry came from discovery: no GetProject / GetFolder at all
    assert not gcp_fake.http.calls("GET", r"/v3/projects/[^/:]+")
    assert not gcp_fake.http.calls("GET", r"/v3/folders/[^/:]+")
    totals: dict[str, int] = {}
    for scope in scopes(result.out).values():
        for call, n in scope["api_calls"].items():
            totals[call] = totals.get(call, 0) + n
    assert totals["cloudresourcemanager:folders.GetIamPolicy"] == 1
    assert totals["cloudresourcemanager:organizations.GetIamPolicy"] == 1
    # version 3 requested, so conditional bindings come back
    body = gcp_fake.http.calls("POST", rf"/v3/{FOLDER}:getIamPolicy")[0].json()
    assert body["options"]["requestedPolicyVersion"] == 3


def test_explicit_projects_resolve_their_ancestry_once(gcp_fake, gcp_config):
    gcp_config(projects=[ML, DEV])
    result = scan()
    assert result.code == 0, result.err
    # one GetProject per project, the shared folder once, its policy and the org's once
    assert len(gcp_fake.http.calls("GET", r"/v3/projects/[^/:]+")) == 2
    assert len(gcp_fake.http.calls("GET", rf"/v3/{FOLDER}")) == 1
    assert len(gcp_fake.http.calls("POST", rf"/v3/{FOLDER}:getIamPolicy")) == 1
    assert len(gcp_fake.http.calls("POST", rf"/v3/{ORG}:getIamPolicy")) == 1
    assert query("SELECT id FROM v_grants WHERE identity_id = ? AND source = ?", BATCH, f"{ORG}#roles/owner")


def test_denied_folder_policy_is_a_gap_and_the_project_is_otherwise_complete(gcp_fake, gcp_config):
    gcp_fake.estate["deniedAncestors"][FOLDER] = "caller lacks resourcemanager.folders.getIamPolicy"
    gcp_config(projects=[ML])
    result = scan()
    assert result.code == 0, result.err  # partial, not incomplete
    scope = scopes(result.out)[ML]
    assert scope["status"] == "partial"
    [gap] = scope["gaps"]
    assert gap["what"] == f"IAM policy of {FOLDER} (inherited grants)"
    assert gap["code"] == "FORBIDDEN"  # the REST client's name for Google's 403 PERMISSION_DENIED
    assert "resourcemanager.folders.getIamPolicy" in gap["message"]
    # everything else is there: the project's own records and the org's inherited grant
    assert query("SELECT COUNT(*) AS n FROM v_identities WHERE scope = ? AND is_platform = 0", ML)[0]["n"] == 6
    assert query("SELECT id FROM v_grants WHERE identity_id = ? AND source = ?", BATCH, f"{ORG}#roles/owner")
    assert not query("SELECT id FROM v_trusts WHERE principal = 'group:ml-oncall@northwind.example'")


def test_ancestor_policies_can_be_turned_off(gcp_fake, gcp_config):
    gcp_config(projects=[DEV], ancestor_policies=False)
    result = scan()
    assert scopes(result.out)[DEV]["gaps"][0]["what"] == "inherited IAM policies"
    assert not gcp_fake.http.calls("POST", r"/v3/(folders|organizations)/[^/:]+:getIamPolicy")


def test_run_memo_computes_once_under_contention_and_shares_a_refusal():
    import threading
    import time

    from nhi_cli.kit.connector import ScopeDenied
    from nhi_connectors.gcp.ancestry import RunMemo

    memo, calls, results = RunMemo(), [], []

    def slow_policy():
        calls.append(1)
        time.sleep(0.05)
        return {"bindings": []}

    def denied():
        calls.append(2)
        raise ScopeDenied("PERMISSION_DENIED", "folders/1")

    def ask():
        results.append(memo.get("policy:organizations/1", slow_policy))
        try:
            memo.get("policy:folders/1", denied)
        except ScopeDenied as exc:
            results.append(exc.code)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls.count(1) == 1 and calls.count(2) == 1
    assert results.count("PERMISSION_DENIED") == 8 and results.count({"bindings": []}) == 8
