"""Scanning a tenant and its subscriptions through the real CLI, against the local fake."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from azure_helpers import PLANTED, SUB_A, SUB_B, TENANT, app_id, db_rows, scopes_of, sp_id, write_config


def scan(nhi, *extra):
    return nhi("scan", "--config", "nhi.yaml", "--format", "json", *extra)


def test_scan_inventories_identities_credentials_grants_and_people(nhi, azure):
    write_config(azure)
    result = scan(nhi)
    assert result.code == 0, result.err
    scopes = scopes_of(result.out)
    assert set(scopes) == {f"tenant:{TENANT}", f"subscription:{SUB_A}", f"subscription:{SUB_B}"}  # Disabled sub skipped
    assert all(s["status"] == "complete" for s in scopes.values())

    kinds = {r["name"]: r["kind"] for r in db_rows("SELECT name, kind FROM v_identities")}
    assert kinds["deploy-bot"] == "service_principal"
    assert kinds["mi-runner"] == "managed_identity"
    assert kinds["triage-agent"] == "agent_identity"
    assert kinds["orphan-app"] == "application"  # an app with no service principal holds its own credentials
    assert len(kinds) == 8

    # application credentials belong to the app's service principal, linked to the app object
    creds = {r["key_id"]: r for r in db_rows("SELECT * FROM v_credentials")}
    deploy = [c for c in creds.values() if c["identity_id"] == sp_id(1)]
    assert sorted(c["kind"] for c in deploy) == ["certificate", "certificate", "client_secret", "client_secret"]
    assert {json.loads(c["attrs"])["application_object_id"] for c in deploy} == {app_id(1)}
    old = next(c for c in deploy if c["name"] == "old")
    assert old["status"] == "expired" and old["hint"] == "dB2"
    assert json.loads(creds["5ec7e700-0000-4000-8000-000000000006"]["attrs"])["object"] == "servicePrincipal"
    assert creds["5ec7e700-0000-4000-8000-000000000003"]["days_to_expiry"] in (4, 5)
    ci = creds["5ec7e700-0000-4000-8000-000000000001"]
    assert ci["last_used_at"] is not None and ci["days_since_used"] == 3  # beta credential sign-in report
    assert old["last_used_at"] is None and "last_used_unknown" not in json.loads(old["attrs"])

    grants = db_rows("SELECT identity_name, action, source_type, resource, is_admin, is_privesc FROM v_grants")
    by = {(g["identity_name"], g["action"]): g for g in grants}
    assert by[("deploy-bot", "Directory.ReadWrite.All")]["is_admin"] == 1  # resolved from the well-known id
    assert by[("deploy-bot", "User.Read.All")]["is_admin"] == 0  # resolved from Graph's appRoles
    assert by[("triage-agent", "RoleManagement.ReadWrite.Directory")]["is_privesc"] == 1
    assert by[("saas-connector", "Directory.AccessAsUser.All")]["source_type"] == "delegated"
    assert by[("sp-with-own-secret", "Application Administrator")]["source_type"] == "directory_role"
    assert by[("sp-with-own-secret", "Application Administrator")]["is_admin"] == 1
    assert by[("mi-runner", "Owner")]["is_admin"] == 1  # Owner on the subscription
    assert by[("mi-runner", "Reader")]["is_admin"] == 0
    uaa = by[("deploy-bot", "User Access Administrator")]  # inherited from a management group
    assert uaa["is_admin"] == 1 and uaa["resource"].startswith("/providers/Microsoft.Management/managementGroups/")
    assert not any(g["action"] == "Owner" and g["identity_name"] is None for g in grants)  # user assignments skipped

    ids = {r["name"]: r for r in db_rows("SELECT * FROM v_identities")}
    assert ids["saas-connector"]["owner"] == "leo@contoso.example"
    assert json.loads(ids["saas-connector"]["attrs"])["multi_tenant"] is True
    assert json.loads(ids["saas-connector"]["attrs"])["acts_for_users"] is True
    assert json.loads(ids["external-saas"]["attrs"])["external_app"] is True
    assert (
        json.loads(ids["triage-agent"]["attrs"])["agent_identity_blueprint_id"]
        == "b1b1b1b1-0000-4000-8000-000000000001"
    )
    assert ids["deploy-bot"]["last_used_at"] is not None  # from the beta sign-in report
    agents = db_rows("SELECT identity_id, agent_name FROM v_rule_agents")
    assert {"identity_id": sp_id(5), "agent_name": "triage-agent"} in agents  # Entra Agent ID is evidence enough
    assert ids["Microsoft Graph"]["is_platform"] == 1
    people = {r["id"]: r["active"] for r in db_rows("SELECT id, active FROM v_people WHERE source = 'entra'")}
    assert people == {"ada@contoso.example": 1, "leo@contoso.example": 0, "mia@contoso.example": 1}


def test_paging_follows_absolute_next_links_and_uses_only_bulk_lists(nhi, azure):
    write_config(azure)
    result = scan(nhi)
    assert result.code == 0, result.err
    # Graph: 7 service principals in pages of 2 -> 4 pages each for the owners and appRoleAssignments expansions
    sp_lists = azure.server.calls("GET", r"/v1\.0/servicePrincipals")
    assert len(sp_lists) == 8
    assert sum(1 for r in sp_lists if r.arg("$skiptoken")) == 6
    assert {r.arg("$expand").split("(")[0] for r in sp_lists} == {"owners", "appRoleAssignments"}
    # ARM: 3 subscriptions and 4 role assignments in sub A -> nextLink followed
    assert len(azure.server.calls("GET", r"/subscriptions")) == 2
    assert (
        len(azure.server.calls("GET", rf"/subscriptions/{SUB_A}/providers/Microsoft\.Authorization/roleAssignments"))
        == 2
    )
    # no per-object call where $expand or a bulk list serves
    per_object = [
        r.path
        for r in azure.server.requests
        if re.search(r"/(servicePrincipals|applications|users)/[0-9a-f-]{36}", r.path)
    ]
    # ... except what an agent identity inherits from its blueprint: Graph has no bulk list of it
    assert per_object == [
        f"/beta/servicePrincipals/{sp_id(5)}/microsoft.graph.agentIdentity/inheritedAppRoleAssignments",
        f"/beta/servicePrincipals/{sp_id(5)}/microsoft.graph.agentIdentity/inheritedOauth2PermissionGrants",
    ]
    # API calls per scope are reported
    calls = scopes_of(result.out)[f"tenant:{TENANT}"]["api_calls"]
    assert calls["graph:GET /v1.0/servicePrincipals"] == 8
    assert calls["graph:GET /v1.0/organization"] == 1
    graph_calls = sum(v for k, v in calls.items() if k.startswith("graph:"))
    assert graph_calls == len([r for r in azure.server.requests if r.path.startswith(("/v1.0", "/beta"))])
    assert calls["arm:GET /subscriptions"] == 2  # discovery, reported with the first scope
    sub_calls = scopes_of(result.out)[f"subscription:{SUB_A}"]["api_calls"]
    assert sum(v for k, v in sub_calls.items() if "roleDefinitions" in k) == 2  # one bulk list, 3 defs in pages of 2


def test_sign_in_report_403_is_a_gap_and_the_scan_is_otherwise_complete(nhi, azure):
    azure.server.fault(
        "GET",
        r"/beta/reports/servicePrincipalSignInActivities",
        403,
        {
            "error": {
                "code": "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
                "message": "Neither tenant is B2C or tenant doesn't have premium license",
            }
        },
    )
    write_config(azure)
    result = scan(nhi)
    assert result.code == 0, result.err
    tenant = scopes_of(result.out)[f"tenant:{TENANT}"]
    assert tenant["status"] == "partial"
    assert tenant["gaps"][0]["code"] == "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
    assert "sign-in" in tenant["gaps"][0]["what"]
    assert len(db_rows("SELECT id FROM v_identities")) == 8
    assert len(db_rows("SELECT id FROM v_credentials")) == 7


def test_without_the_credential_report_last_use_is_marked_unknown(nhi, azure):
    azure.server.fault(
        "GET",
        r"/beta/reports/appCredentialSignInActivities",
        404,
        {"error": {"code": "Request_ResourceNotFound", "message": "beta report unavailable"}},
    )
    write_config(azure)
    result = scan(nhi)
    assert result.code == 0, result.err
    assert scopes_of(result.out)[f"tenant:{TENANT}"]["status"] == "partial"
    attrs = [json.loads(r["attrs"]) for r in db_rows("SELECT attrs FROM v_credentials")]
    assert attrs and all(a["last_used_unknown"] is True for a in attrs)  # unused-credential rules skip them


def test_throttling_waits_for_retry_after_then_succeeds(nhi, azure):
    azure.server.fault("GET", r"/v1\.0/applications", 429, {"error": {"code": "TooManyRequests"}}, Retry_After="1")
    write_config(azure)
    started = time.monotonic()
    result = scan(nhi)
    assert result.code == 0, result.err
    assert time.monotonic() - started >= 1.0  # the server asked for one second
    first_page = [r for r in azure.server.calls("GET", r"/v1\.0/applications") if not r.arg("$skiptoken")]
    assert len(first_page) == 2  # the throttled call, then its retry
    assert scopes_of(result.out)[f"tenant:{TENANT}"]["api_calls"]["graph:GET /v1.0/applications"] == 3


def test_denied_subscription_exits_3_and_keeps_its_earlier_records(nhi, azure):
    write_config(azure)
    assert scan(nhi).code == 0
    before = db_rows('SELECT identity_id, action FROM "grant" WHERE scope = ?', f"subscription:{SUB_B}")
    assert before == [{"identity_id": sp_id(2), "action": "Reader"}]

    azure.denied_subscriptions.add(SUB_B)
    result = scan(nhi)
    assert result.code == 3
    scopes = scopes_of(result.out)
    assert scopes[f"subscription:{SUB_B}"]["status"] == "denied"
    assert scopes[f"subscription:{SUB_B}"]["error_code"] == "AuthorizationFailed"
    assert scopes[f"subscription:{SUB_A}"]["status"] == "complete"
    assert scopes[f"tenant:{TENANT}"]["status"] == "complete"
    assert db_rows('SELECT identity_id, action FROM "grant" WHERE scope = ?', f"subscription:{SUB_B}") == before
    assert f"subscription:{SUB_B} denied" in result.err


def test_planted_secret_never_lands(nhi, azure):
    write_config(azure)
    result = scan(nhi)
    assert result.code == 0
    inventory = nhi("inventory", "--format", "json")
    for text in (result.out, result.err, inventory.out, inventory.err):
        assert PLANTED not in text
    assert PLANTED.encode() not in Path("nhi.db").read_bytes()
    # it was really served: the fake's payload carries it
    assert any(PLANTED in json.dumps(app) for app in azure.estate["applications"])


def test_a_malformed_object_is_a_gap_of_its_scope_not_a_lost_scan(nhi, azure):
    del azure.estate["servicePrincipals"][1]["displayName"]
    write_config(azure)
    result = scan(nhi)
    assert result.code == 0, result.err
    tenant = scopes_of(result.out)[f"tenant:{TENANT}"]
    assert tenant["status"] == "partial"
    (gap,) = tenant["gaps"]
    assert gap["code"] == "malformed_response" and gap["what"] == f"service principal {sp_id(1)}"
    assert scopes_of(result.out)[f"subscription:{SUB_A}"]["status"] == "complete"
    names = {r["name"] for r in db_rows("SELECT name FROM v_identities")}
    assert "deploy-bot" not in names and {"mi-runner", "triage-agent", "orphan-app"} <= names


def test_wrong_token_is_denied_not_empty(nhi, azure):
    write_config(azure, static_token="not-the-token")
    result = scan(nhi)
    assert result.code == 3
    statuses = {s["status"] for s in scopes_of(result.out).values()}
    assert statuses == {"denied"}
    assert db_rows("SELECT id FROM v_identities") == []


def test_subscription_discovery_denied_keeps_the_tenant(nhi, azure):
    azure.server.fault("GET", r"/subscriptions", 403, {"error": {"code": "AuthorizationFailed", "message": "no"}})
    write_config(azure)
    result = scan(nhi)
    assert result.code == 3
    scopes = scopes_of(result.out)
    assert scopes["subscriptions"]["status"] == "denied"
    assert scopes[f"tenant:{TENANT}"]["status"] == "complete"
    assert len(db_rows("SELECT id FROM v_identities")) == 8


def test_an_organization_answer_without_a_tenant_object_is_an_error_of_the_tenant_scope(nhi, azure):
    azure.server.fault("GET", r"/v1\.0/organization", 200, {"value": ["not-an-organization"]})
    write_config(azure)
    result = scan(nhi)
    assert result.code == 3, result.err  # incomplete, with one readable line: no traceback
    assert "Traceback" not in result.err
    scopes = scopes_of(result.out)
    assert (scopes["tenant:unknown"]["status"], scopes["tenant:unknown"]["error_code"]) == (
        "error",
        "MalformedResponse",
    )
    assert scopes[f"subscription:{SUB_A}"]["status"] == "complete"


def test_an_inherited_grant_list_that_is_not_a_list_is_a_gap_not_inherits_nothing(nhi, azure):
    azure.server.fault(
        "GET",
        rf"/beta/servicePrincipals/{sp_id(5)}/microsoft\.graph\.agentIdentity/inheritedOauth2PermissionGrants",
        200,
        {"value": {"id": "not-a-list"}},
    )
    write_config(azure)
    result = scan(nhi)
    assert result.code == 0, result.err
    tenant = scopes_of(result.out)[f"tenant:{TENANT}"]
    assert tenant["status"] == "partial"
    assert [(g["what"], g["code"]) for g in tenant["gaps"]] == [
        (f"inherited delegated grants of agent {sp_id(5)}", "MalformedResponse")
    ]
