"""Foundry connections: what an AI Services account and each of its projects keep to reach other
services. A connection whose auth type stores a secret (an API key, an OAuth2 client secret, a
PAT, an access key...) is a standing credential of the identity the project's agents run as;
Entra (AAD), managed-identity and no-auth connections are not. No secret value is ever kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from azure_helpers import FOUNDRY, PLANTED, SUB_A, SUPPORT_MI, db_rows, foundry_estate, scopes_of, write_config

from nhi_cli.model import utcnow
from nhi_connectors.azure.ai_transform import transform_foundry_connections
from nhi_connectors.azure.fake import AzureFake

ACCOUNT = FOUNDRY["account"]["id"]
ACCOUNT_MI = FOUNDRY["account"]["identity"]["principalId"]
SUPPORT, RESEARCH = (p["id"] for p in FOUNDRY["projects"])
RESEARCH_MI = FOUNDRY["projects"][1]["identity"]["principalId"]
PROJECT_CALLS, ACCOUNT_CALLS = "arm:GET {project}/connections", "arm:GET {account}/connections"


@pytest.fixture
def foundry():
    with AzureFake(foundry_estate(research_agents=3), page_size=50) as fake:
        yield fake


def _scan(nhi, fake, **settings):
    write_config(fake, **settings)
    return nhi("scan", "--config", "nhi.yaml", "--quiet", "--format", "json")


def _connections() -> dict[str, dict]:
    return {
        r["name"]: {**r, "attrs": json.loads(r["attrs"])}
        for r in db_rows("SELECT * FROM v_credentials WHERE kind = 'foundry_connection_secret'")
    }


def test_connections_storing_a_secret_are_credentials_of_the_identity_the_agents_run_as(nhi, foundry):
    result = _scan(nhi, foundry)
    assert result.code in (0, 1), result.err
    found = _connections()
    # AAD (nw-foundry-openai), ManagedIdentity (blob-mi) and None (docs-none) store no secret
    assert set(found) == {"shared-search-key", "weather-key", "crm-oauth", "s3-archive", "papers-api", "repo-pat"}
    weather = found["weather-key"]
    assert weather["id"] == f"{SUPPORT}/connections/weather-key"
    assert weather["identity_id"] == SUPPORT_MI  # the support project's managed identity...
    assert weather["identity_name"] == "nw-foundry/support"  # ...which Graph lists as a service principal
    assert weather["attrs"]["auth_type"] == "ApiKey" and weather["attrs"]["level"] == "project"
    assert weather["attrs"]["target"] == "https://api.weather.example/"
    assert weather["age_days"] == 200 and weather["expires_at"] is None and weather["status"] == "active"
    assert found["shared-search-key"]["identity_id"] == ACCOUNT_MI  # an account connection: the account's identity
    assert found["shared-search-key"]["attrs"]["level"] == "account"
    assert found["papers-api"]["identity_id"] == RESEARCH_MI
    oauth = found["crm-oauth"]
    assert oauth["days_to_expiry"] in (29, 30) and oauth["attrs"]["client_id"] == "3c0a0000-0000-4000-8000-0000000000c1"
    assert found["s3-archive"]["attrs"]["access_key_id"] == "AKIANWFOUNDRYS3ARCH1"
    assert found["s3-archive"]["created_at"] is None  # ARM gave no systemData: unknown, not "now"
    assert found["repo-pat"]["status"] == "expired"
    # the agent's OpenAPI tool is joined to the connection whose key it sends
    triage = db_rows("SELECT attrs FROM v_identities WHERE name = 'claims-triage'")[0]
    assert json.loads(triage["attrs"])["connection_credentials"] == [weather["id"]]
    # one list per account and one per project
    api = scopes_of(result.out)[f"subscription:{SUB_A}"]["api_calls"]
    assert (api[ACCOUNT_CALLS], api[PROJECT_CALLS]) == (1, 2)


def test_the_long_lived_and_unrotated_connection_keys_alarm_and_the_fresh_expiring_one_passes(nhi, foundry):
    assert _scan(nhi, foundry).code in (0, 1)
    found = _connections()
    findings = {(r["rule_id"], r["resource_id"]) for r in db_rows("SELECT rule_id, resource_id FROM finding")}
    assert ("credential_max_age", found["weather-key"]["id"]) in findings  # 200 days > 90
    assert ("credential_max_age", found["shared-search-key"]["id"]) in findings  # 120 days
    assert ("credential_no_expiry", found["weather-key"]["id"]) in findings  # expiryTime could be set, is not
    fresh = found["crm-oauth"]["id"]  # 10 days old, expires in 30: only its use by an agent alarms
    assert {rule for rule, resource in findings if resource == fresh} == {"agent_static_credential"}
    # the project's agents run as the identity holding the keys: they use static credentials
    assert ("agent_static_credential", found["weather-key"]["id"]) in findings
    expired = found["repo-pat"]["id"]  # 400 days old but already expired: no longer standing
    assert ("credential_max_age", expired) not in findings
    # ARM reports no use of a connection: the unused-credential rule does not guess
    assert not {r for r in findings if r[0] == "credential_unused" and r[1] in {c["id"] for c in found.values()}}


def test_connection_lists_are_paged_with_next_link(nhi):
    estate = foundry_estate(research_agents=3)
    estate["foundryConnections"][RESEARCH] += [
        {**estate["foundryConnections"][RESEARCH][0], "id": f"{RESEARCH}/connections/extra-{n}", "name": f"extra-{n}"}
        for n in range(4)
    ]
    with AzureFake(estate, page_size=2) as fake:
        result = _scan(nhi, fake)
        assert result.code in (0, 1), result.err
        research = fake.server.calls("GET", f"{RESEARCH}/connections")
    assert [c.arg("$skiptoken") for c in research] == [None, "2", "4", "6"]  # 7 connections, 2 a page
    assert {f"extra-{n}" for n in range(4)} <= set(_connections())
    api = scopes_of(result.out)[f"subscription:{SUB_A}"]["api_calls"]
    assert api[PROJECT_CALLS] == 2 + 4  # support's 4 in two pages, research's 7 in four


def test_the_calls_stay_one_per_account_and_project_however_many_connections(nhi):
    counts = []
    for extra in (0, 40):
        estate = foundry_estate(research_agents=3)
        estate["foundryConnections"][RESEARCH] += [
            {**estate["foundryConnections"][RESEARCH][0], "id": f"{RESEARCH}/connections/x{n}", "name": f"x{n}"}
            for n in range(extra)
        ]
        with AzureFake(estate, page_size=50) as fake:
            api = scopes_of(_scan(nhi, fake).out)[f"subscription:{SUB_A}"]["api_calls"]
        counts.append((api[ACCOUNT_CALLS], api[PROJECT_CALLS]))
    assert counts == [(1, 2), (1, 2)]


def test_a_refused_connection_list_is_a_gap_and_keeps_the_earlier_credentials(nhi, foundry):
    assert _scan(nhi, foundry).code in (0, 1)
    foundry.server.fault(
        "GET",
        r".*/projects/support/connections",
        403,
        {"error": {"code": "AuthorizationFailed", "message": "no connections/read"}},
    )
    result = _scan(nhi, foundry)
    assert result.code in (0, 1), result.err  # a partial scope: a warning, not a failed scan
    sub = scopes_of(result.out)[f"subscription:{SUB_A}"]
    assert sub["status"] == "partial"
    assert [(g["what"], g["code"]) for g in sub["gaps"]] == [
        ("Foundry connections of nw-foundry/support", "AuthorizationFailed")
    ]
    removed = {r["name"]: r["removed_at"] for r in db_rows("SELECT name, removed_at FROM credential "
                                                           "WHERE kind = 'foundry_connection_secret'")}  # fmt: skip
    assert removed["weather-key"] is None  # not marked removed: the list was refused, not empty
    assert "papers-api" in _connections()  # the research project's list still completed


def test_the_planted_connection_secrets_are_never_kept_nor_shown(nhi, foundry):
    result = _scan(nhi, foundry)
    assert result.code in (0, 1), result.err
    inventory = nhi("inventory", "--format", "json")
    report = nhi("report", "--format", "json")
    for text in (result.out, result.err, inventory.out, inventory.err, report.out, report.err):
        assert PLANTED not in text
    assert PLANTED.encode() not in Path("nhi.db").read_bytes()
    # it was really served in six connections' credentials, and nhi made no POST (no listsecrets)
    served = [c for items in foundry.estate["foundryConnections"].values() for c in items if PLANTED in json.dumps(c)]
    assert len(served) == 6
    assert not foundry.server.calls("POST")


def test_turning_connections_off_makes_no_connection_call(nhi, foundry):
    result = _scan(nhi, foundry, foundry_connections=False)
    assert result.code in (0, 1), result.err
    assert not foundry.server.calls("GET", r".*/connections") and not _connections()
    assert "claims-triage" in {r["name"] for r in db_rows("SELECT name FROM v_identities")}  # agents still read


def test_a_connection_without_an_auth_type_is_a_gap_naming_it_and_the_others_are_kept():
    now = utcnow()
    good = {"id": f"{SUPPORT}/connections/k", "name": "k", "properties": {"authType": "PAT", "target": "t"}}
    bad = {"id": f"{SUPPORT}/connections/odd", "name": "odd", "properties": {"target": "t"}}
    batch = transform_foundry_connections("s", now, FOUNDRY["projects"][0], SUPPORT_MI, [bad, good])
    assert [c.name for c in batch.credentials] == ["k"]
    assert [(g["what"], g["code"]) for g in batch.gaps] == [(f"Foundry connection {bad['id']}", "malformed_response")]


def test_an_auth_type_nhi_does_not_know_is_kept_as_a_stored_secret_and_said_so():
    """A new authType may store a secret: over-reporting one credential beats missing it."""
    future = {"id": f"{SUPPORT}/connections/f", "name": "f", "properties": {"authType": "Certificate"}}
    entra = {"id": f"{SUPPORT}/connections/e", "name": "e", "properties": {"authType": "AAD"}}
    batch = transform_foundry_connections("s", utcnow(), FOUNDRY["projects"][0], SUPPORT_MI, [future, entra])
    [kept] = batch.credentials
    assert (kept.name, kept.attrs["auth_type"], kept.attrs["auth_type_known"]) == ("f", "Certificate", False)


def _connection_schema() -> dict:
    from azure.mgmt.cognitiveservices import models

    from tests.fidelity.vendor_models import msrest_schema

    return msrest_schema(models.ConnectionPropertiesV2BasicResourceArmPaginatedResult, models)


def test_served_connections_conform_to_the_published_model(foundry):
    import httpx

    from tests.fidelity.vendor_models import NonConforming, schema_conforms

    schema = _connection_schema()
    arm = {"Authorization": f"Bearer {foundry.token}"}
    for parent in (ACCOUNT, SUPPORT, RESEARCH):
        body = httpx.get(f"{foundry.url}{parent}/connections", params={"api-version": "2025-06-01"}, headers=arm)
        assert body.status_code == 200
        schema_conforms(schema, body.json(), parent)
    # the model is strict enough to catch a wrong payload: an unknown auth type, a key at the
    # wrong level, a credential field of another auth type
    wrong = [
        {"value": [{"id": "x", "name": "x", "properties": {"authType": "Password", "target": "t"}}]},
        {"value": [{"id": "x", "name": "x", "authType": "ApiKey", "properties": {"authType": "ApiKey"}}]},
        {"value": [{"id": "x", "name": "x", "properties": {"authType": "ApiKey", "credentials": {"pat": "p"}}}]},
    ]
    for body in wrong:
        with pytest.raises(NonConforming):
            schema_conforms(schema, body, "wrong")


@pytest.mark.parametrize(
    "params, status",
    [
        ({}, 400),  # api-version is required
        ({"api-version": "2024-10-01"}, 400),  # connections do not exist in that version
        ({"api-version": "2025-06-01", "$top": 5}, 400),  # not a parameter of the list
        ({"api-version": "2025-06-01", "includeAll": "maybe"}, 400),  # a boolean
        ({"api-version": "2025-06-01", "category": "CustomKeys", "includeAll": "false"}, 200),
    ],
)
def test_the_fake_refuses_what_arm_refuses(foundry, params, status):
    import httpx

    arm = {"Authorization": f"Bearer {foundry.token}"}
    assert httpx.get(f"{foundry.url}{SUPPORT}/connections", params=params, headers=arm).status_code == status
    missing = httpx.get(f"{foundry.url}{ACCOUNT}/projects/nope/connections", params=params, headers=arm)
    assert missing.status_code == (404 if status == 200 else 400)
