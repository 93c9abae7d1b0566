"""Graph and ARM behaviour the vendor documents and nhi once got wrong (issue 12), over the wire.

The fake enforces each documented limit (the 20-item cap of an expanded relationship, the v1.0
property set, unpaged inherited collections, api-versions), so these tests fail on a connector
that trusts what Graph does not promise."""

from __future__ import annotations

import base64
import copy
import json

import httpx
import pytest
from azure_helpers import FIXTURES, SUB_A, TENANT, app_id, db_rows, scopes_of, sp_id, write_config

from nhi_cli.kit.times import load_relative_estate
from nhi_cli.model import utcnow
from nhi_connectors.azure.fake import AzureFake

GRAPH_SP = "e0a1b2c3-0000-4000-8000-00000000c0de"
AGENT = sp_id(5)


def estate() -> dict:
    return load_relative_estate(FIXTURES / "tenant.json", utcnow())


def scan(nhi, fake):
    write_config(fake)
    return nhi("scan", "--config", "nhi.yaml", "--format", "json")


def many_app_roles(data: dict, n: int = 25) -> dict:
    """deploy-bot holds n application permissions (each its own custom app role on Graph)."""
    graph = next(s for s in data["servicePrincipals"] if s["id"] == GRAPH_SP)
    for i in range(n):
        role_id = f"00000000-0000-4000-9000-{i:012d}"
        graph["appRoles"].append(
            {
                "id": role_id,
                "value": f"Custom.Permission.{i:02d}",
                "allowedMemberTypes": ["Application"],
                "displayName": f"custom {i}",
                "isEnabled": True,
            }
        )
        data["appRoleAssignments"].append(
            {
                "id": f"bulk{i:04d}",
                "appRoleId": role_id,
                "principalId": sp_id(1),
                "principalType": "ServicePrincipal",
                "resourceId": GRAPH_SP,
                "resourceDisplayName": "Microsoft Graph",
                "createdDateTime": "2026-01-01T00:00:00Z",
            }
        )
    return data


def test_more_than_20_app_role_assignments_are_all_read(nhi):
    with AzureFake(many_app_roles(estate()), page_size=10) as fake:
        result = scan(nhi, fake)
    assert result.code == 0, result.err
    actions = {r["action"] for r in db_rows("SELECT action FROM v_grants WHERE identity_name = 'deploy-bot'")}
    assert {f"Custom.Permission.{i:02d}" for i in range(25)} <= actions
    assert "Directory.ReadWrite.All" in actions  # the recorded one, beyond the first 20
    refetch = fake.server.calls("GET", rf"/v1\.0/servicePrincipals/{sp_id(1)}/appRoleAssignments")
    assert len(refetch) == 3  # 27 assignments in pages of 10
    assert scopes_of(result.out)[f"tenant:{TENANT}"]["status"] == "complete"


def test_the_fake_caps_an_expansion_at_20_without_a_next_link():
    with AzureFake(many_app_roles(estate())) as fake:
        body = httpx.get(
            fake.url + "/v1.0/servicePrincipals",
            headers={"Authorization": f"Bearer {fake.token}"},
            params={"$select": "id", "$expand": "appRoleAssignments", "$top": 100},
        ).json()
        too_big = httpx.get(
            fake.url + "/v1.0/servicePrincipals",
            headers={"Authorization": f"Bearer {fake.token}"},
            params={"$expand": "owners", "$top": 999},
        )
    deploy = next(sp for sp in body["value"] if sp["id"] == sp_id(1))
    assert len(deploy["appRoleAssignments"]) == 20 and "appRoleAssignments@odata.nextLink" not in deploy
    assert too_big.status_code == 400  # $top over 100 with $expand


def test_more_than_20_directory_role_members_are_all_read(nhi):
    data = estate()
    template = next(s for s in data["servicePrincipals"] if s["id"] == sp_id(6))
    role = data["directoryRoles"][0]
    for i in range(30):
        data["servicePrincipals"].append(
            {
                **copy.deepcopy(template),
                "id": f"5e7a2000-0000-4000-8000-{i:012d}",
                "appId": f"c1e28000-0000-4000-8000-{i:012d}",
                "displayName": f"robot-{i:02d}",
                "passwordCredentials": [],
                "keyCredentials": [],
                "owners": [],
            }
        )
        role["members"].append(f"5e7a2000-0000-4000-8000-{i:012d}")
    with AzureFake(data, page_size=50) as fake:
        result = scan(nhi, fake)
    assert result.code == 0, result.err
    holders = {
        r["identity_name"] for r in db_rows("SELECT identity_name FROM v_grants WHERE source_type = 'directory_role'")
    }
    assert {f"robot-{i:02d}" for i in range(30)} <= holders
    assert fake.server.calls("GET", rf"/v1\.0/directoryRoles/{role['id']}/members")


def test_a_refused_refetch_keeps_the_20_and_records_a_gap(nhi):
    with AzureFake(many_app_roles(estate()), page_size=50) as fake:
        fake.server.fault(
            "GET",
            rf"/v1\.0/servicePrincipals/{sp_id(1)}/appRoleAssignments",
            403,
            {"error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges"}},
        )
        result = scan(nhi, fake)
    assert result.code == 0, result.err
    tenant = scopes_of(result.out)[f"tenant:{TENANT}"]
    assert tenant["status"] == "partial"
    assert any(
        "appRoleAssignments of " + sp_id(1) in g["what"] and g["code"] == "Authorization_RequestDenied"
        for g in tenant["gaps"]
    )
    assert len(db_rows("SELECT 1 FROM v_grants WHERE identity_name = 'deploy-bot' AND source_type = 'app_role'")) == 20


def test_agent_identity_inherits_its_blueprint_permissions(nhi):
    data = estate()
    data["servicePrincipals"].append(
        {
            "@odata.type": "#microsoft.graph.agentIdentityBlueprintPrincipal",
            "id": "b1b1b1b1-0000-4000-8000-0000000000a1",
            "appId": "b1b1b1b1-0000-4000-8000-000000000001",
            "displayName": "triage-blueprint",
            "servicePrincipalType": "Application",
            "accountEnabled": True,
            "appOwnerOrganizationId": TENANT,
            "appRoles": [],
            "alternativeNames": [],
            "tags": [],
            "passwordCredentials": [],
            "keyCredentials": [],
            "owners": [],
        }
    )
    with AzureFake(data, page_size=50) as fake:
        result = scan(nhi, fake)
    assert result.code == 0, result.err
    grants = db_rows("SELECT action, source_type, condition, is_admin FROM v_grants WHERE identity_id = ?", AGENT)
    inherited = {g["action"]: g for g in grants if g["condition"] and "agent_identity_blueprint" in g["condition"]}
    assert (
        inherited["Directory.ReadWrite.All"]["source_type"] == "app_role"
        and inherited["Directory.ReadWrite.All"]["is_admin"] == 1
    )
    assert inherited["Mail.Read"]["source_type"] == "delegated"
    kinds = {r["name"]: r["kind"] for r in db_rows("SELECT name, kind FROM v_identities")}
    assert kinds["triage-blueprint"] == "agent_blueprint_principal" and kinds["triage-agent"] == "agent_identity"
    agents = {r["agent_name"] for r in db_rows("SELECT agent_name FROM v_rule_agents")}
    assert "triage-blueprint" not in agents and "triage-agent" in agents
    (call,) = fake.server.calls(
        "GET", rf"/beta/servicePrincipals/{AGENT}/microsoft\.graph\.agentIdentity/inheritedAppRoleAssignments"
    )
    assert call.query == {}  # the collection is not paged: $top would be refused


def test_certificate_shapes_and_creation_dates(nhi):
    data = estate()
    app = next(a for a in data["applications"] if a["id"] == app_id(1))
    thumb = bytes(range(20))
    app["keyCredentials"].append(
        {
            "keyId": "ce47c000-0000-4000-8000-0000000000ff",
            "displayName": "CN=pfx",
            "type": "X509CertAndPassword",
            "usage": "Sign",
            "startDateTime": "2026-01-01T00:00:00Z",
            "endDateTime": "2027-01-01T00:00:00Z",
            "customKeyIdentifier": base64.b64encode(thumb).decode(),
            "key": None,
        }
    )
    with AzureFake(data, page_size=50) as fake:
        result = scan(nhi, fake)
    assert result.code == 0, result.err
    creds = {r["key_id"]: r for r in db_rows("SELECT * FROM v_credentials")}
    pfx = creds["ce47c000-0000-4000-8000-0000000000ff"]
    assert pfx["kind"] == "certificate"
    attrs = json.loads(pfx["attrs"])
    assert (
        attrs["thumbprint"] == thumb.hex().upper()
        and attrs["custom_key_identifier"] == base64.b64encode(thumb).decode()
    )
    selects = {r.arg("$select") for r in fake.server.calls("GET", r"/v1\.0/servicePrincipals") if r.arg("$select")}
    assert not any("createdDateTime" in s.split(",") for s in selects)
    ids = {r["name"]: r for r in db_rows("SELECT name, created_at FROM v_identities")}
    assert ids["deploy-bot"]["created_at"] is not None  # from its application
    assert ids["mi-runner"]["created_at"] is None  # no application: unknown, never guessed


def test_the_fake_refuses_a_select_of_what_v1_does_not_have():
    with AzureFake(estate()) as fake:
        r = httpx.get(
            fake.url + "/v1.0/servicePrincipals",
            headers={"Authorization": f"Bearer {fake.token}"},
            params={"$select": "id,createdDateTime"},
        )
        arm = httpx.get(
            fake.url + f"/subscriptions/{SUB_A}/providers/Microsoft.Authorization/roleAssignments",
            headers={"Authorization": f"Bearer {fake.token}"},
            params={"api-version": "2099-01-01"},
        )
    assert r.status_code == 400 and "createdDateTime" in r.json()["error"]["message"]
    assert arm.status_code == 400 and arm.json()["error"]["code"] == "InvalidApiVersionParameter"


@pytest.mark.parametrize("when", ["2026-11-20T08:00:00-8:00", "yesterday"])
def test_an_odd_timestamp_in_a_beta_report_never_aborts_the_scan(nhi, when):
    data = estate()
    data["signInActivities"][0]["lastSignInActivity"]["lastSignInDateTime"] = when
    with AzureFake(data, page_size=50) as fake:
        result = scan(nhi, fake)
    assert result.code == 0, result.err
    tenant = scopes_of(result.out)[f"tenant:{TENANT}"]
    if when == "yesterday":  # unreadable: that entry is a gap, everything else is read
        assert tenant["status"] == "partial" and "sign-in activity" in tenant["gaps"][0]["what"]
    else:  # an offset without its leading zero is still a time
        assert tenant["status"] == "complete"
    assert len(db_rows("SELECT id FROM v_identities")) == 8


def test_subscription_discovery_not_found_is_a_recorded_gap(nhi):
    with AzureFake(estate(), page_size=50) as fake:
        fake.server.fault("GET", r"/subscriptions", 404, {"error": {"code": "NotFound", "message": "no such endpoint"}})
        result = scan(nhi, fake)
    assert result.code == 3 and "Traceback" not in result.err
    scopes = scopes_of(result.out)
    assert scopes["subscriptions"]["status"] == "error" and scopes["subscriptions"]["error_code"] == "NotFound"
    assert scopes[f"tenant:{TENANT}"]["status"] == "complete"
