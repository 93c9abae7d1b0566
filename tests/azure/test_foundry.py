"""Foundry agents: the projects of each AI Services account (ARM) and the agents each project's
data plane lists, with a token of the data plane's own audience; each agent is a platform agent
running as its project's managed identity, with its tools as its reach."""

from __future__ import annotations

import json

import pytest
from azure_helpers import FOUNDRY, SUB_A, SUB_B, SUPPORT_MI, db_rows, foundry_estate, scopes_of, write_config

from nhi_connectors.azure.fake import AzureFake

ACCOUNT = FOUNDRY["account"]["id"]
AGENTS = "foundry:GET {project}/assistants"


@pytest.fixture
def foundry():
    with AzureFake(foundry_estate(), page_size=50) as fake:
        yield fake


def _scan(nhi, fake, **settings):
    write_config(fake, **settings)
    return nhi("scan", "--config", "nhi.yaml", "--quiet", "--format", "json")


def _agents() -> dict[str, dict]:
    return {
        r["name"]: {**r, "attrs": json.loads(r["attrs"])}
        for r in db_rows("SELECT * FROM v_identities WHERE kind = 'foundry_agent'")
    }


def test_agents_of_every_project_with_the_identity_they_run_as_and_their_tools(nhi, foundry):
    result = _scan(nhi, foundry)
    assert result.code in (0, 1), result.err
    agents = _agents()
    assert len(agents) == 3 + 120  # the support project's three, the research project's 120 (two pages)
    triage = agents["claims-triage"]
    assert triage["id"] == FOUNDRY["projects"][0]["id"] + "/agents/asst_000000000000000000000001"
    assert triage["attrs"]["managed_identity"] == SUPPORT_MI and triage["attrs"]["registered_by_platform"] is True
    assert triage["owner"] == "dana.lee@northwind.example"
    assert "MCP server github at https://api.githubcopilot.com/mcp/, tools search_issues" in triage["attrs"]["reach"]
    assert triage["attrs"]["static_credential_targets"] == ["OpenAPI weather"]
    lookup = agents["policy-lookup"]["attrs"]
    assert lookup["static_credential_targets"] == []  # its OpenAPI tool uses the managed identity
    assert "OpenAPI policies as the project's managed identity (audience api://policies)" in lookup["reach"]
    assert agents["research-7"]["attrs"]["managed_identity"] == "0d0d0d0d-0000-4000-8000-0000000000f2"
    # the data plane got the AI token, paged by the spec's cursor, 100 at a time
    calls = foundry.server.calls("GET", r"/foundry/nw-foundry/api/projects/research/assistants")
    assert [c.query.get("after", [None])[0] for c in calls] == [None, "asst_r000020"]
    assert all(c.headers["authorization"] == f"Bearer {foundry.ai_token}" for c in calls)
    api = scopes_of(result.out)[f"subscription:{SUB_A}"]["api_calls"]
    assert api[AGENTS] == 3 and api["arm:GET {account}/projects"] == 1
    findings = {(r["rule_id"], r["resource_id"]) for r in db_rows("SELECT rule_id, resource_id FROM finding")}
    assert ("agent_tool_static_credential", triage["id"]) in findings
    assert ("agent_tool_static_credential", agents["policy-lookup"]["id"]) not in findings
    assert ("agent_execution_role_overprivileged", triage["id"]) in findings  # its project's identity is Owner
    assert ("agent_execution_role_overprivileged", agents["research-7"]["id"]) not in findings


def test_each_agent_is_a_platform_agent_joined_to_its_managed_identity(nhi, foundry):
    assert _scan(nhi, foundry).code in (0, 1)
    listed = nhi("agents", "list", "--db", "nhi.db", "-f", "json")
    assert listed.code == 0, listed.err
    agents = {a["name"]: a for a in json.loads(listed.out)}
    assert agents["claims-triage"]["evidence"] == "registered by the platform (Azure AI Foundry Agent Service)"
    assert agents["claims-triage"]["delegation"] == "not_recorded"  # its tools run as the project's identity
    detail = json.loads(nhi("agents", "show", "claims-triage", "--db", "nhi.db", "-f", "json").out)
    assert SUPPORT_MI in {i["identity_id"] for i in detail["identities"]}
    assert "code interpreter (sandboxed Python run by the service)" in detail["reach"]


def test_a_token_of_the_arm_audience_is_refused_and_becomes_a_gap(nhi, foundry):
    assert _scan(nhi, foundry).code in (0, 1)
    write_config(foundry)
    cfg = json.loads(json.dumps(foundry.settings()))
    del cfg["static_ai_token"]  # the ARM token goes to the data plane: the real service answers 401
    result = nhi("scan", "--config", str(write_yaml(cfg)), "--quiet", "--format", "json")
    assert result.code in (0, 1), result.err  # a partial scope: a warning, not a failed scan
    sub = scopes_of(result.out)[f"subscription:{SUB_A}"]
    assert sub["status"] == "partial"
    assert {g["what"] for g in sub["gaps"]} == {
        "Foundry agents of support (nw-foundry)",
        "Foundry agents of research (nw-foundry)",
    }
    assert {g["code"] for g in sub["gaps"]} == {"Unauthorized"}
    assert len(_agents()) == 123  # the agents of the earlier scan are kept, not marked removed
    assert scopes_of(result.out)[f"subscription:{SUB_B}"]["status"] == "complete"


def write_yaml(settings: dict):
    from pathlib import Path

    import yaml

    path = Path("nhi-arm-token.yaml")
    path.write_text(yaml.safe_dump({"version": 1, "providers": {"azure": settings}}))
    return path


def test_a_project_without_a_data_plane_role_is_a_gap_and_the_others_complete(nhi, foundry):
    assert _scan(nhi, foundry).code in (0, 1)
    foundry.denied_projects.add("nw-foundry/support")
    result = _scan(nhi, foundry)
    assert result.code in (0, 1), result.err  # a partial scope: a warning, not a failed scan
    [gap] = scopes_of(result.out)[f"subscription:{SUB_A}"]["gaps"]
    assert (gap["what"], gap["code"]) == ("Foundry agents of support (nw-foundry)", "PermissionDenied")
    removed = {r["name"]: r["removed_at"] for r in db_rows("SELECT name, removed_at FROM identity "
                                                           "WHERE kind = 'foundry_agent'")}  # fmt: skip
    assert removed["claims-triage"] is None and removed["research-3"] is None


def test_a_refused_project_list_is_a_gap(nhi, foundry):
    foundry.server.fault(
        "GET", r".*/accounts/nw-foundry/projects", 403, {"error": {"code": "AuthorizationFailed", "message": "no"}}
    )
    result = _scan(nhi, foundry)
    assert result.code in (0, 1), result.err  # a partial scope: a warning, not a failed scan
    [gap] = scopes_of(result.out)[f"subscription:{SUB_A}"]["gaps"]
    assert (gap["what"], gap["code"]) == ("Foundry projects of nw-foundry", "AuthorizationFailed")
    assert not foundry.server.calls("GET", r"/foundry/.*")


def test_the_ai_token_goes_to_no_endpoint_outside_the_foundry_hosts(nhi, foundry):
    foundry.estate["foundryProjects"][ACCOUNT][1]["properties"]["endpoints"]["AI Foundry API"] = (
        "https://collector.example/api/projects/research"
    )
    result = _scan(nhi, foundry)
    assert result.code in (0, 1), result.err  # a partial scope: a warning, not a failed scan
    [gap] = scopes_of(result.out)[f"subscription:{SUB_A}"]["gaps"]
    assert (gap["what"], gap["code"]) == ("Foundry agents of research (nw-foundry)", "UntrustedEndpoint")
    assert "claims-triage" in _agents()


def test_served_projects_and_agents_conform_to_the_published_models(foundry):
    import httpx
    from azure.ai.agents import _types
    from azure.ai.agents import models as agent_models
    from azure.mgmt.cognitiveservices import models as arm_models

    from tests.fidelity.vendor_models import msrest_schema, schema_conforms, typespec_schema

    arm = {"Authorization": f"Bearer {foundry.token}"}
    body = httpx.get(f"{foundry.url}{ACCOUNT}/projects", params={"api-version": "2025-06-01"}, headers=arm).json()
    project_schema = msrest_schema(arm_models.Project, arm_models)
    for project in body["value"]:
        schema_conforms(project_schema, project, project["id"])
    agent_schema = typespec_schema(agent_models.Agent, agent_models, {"_types": _types})
    ai = {"Authorization": f"Bearer {foundry.ai_token}"}
    for name in ("support", "research"):
        url = f"{foundry.url}/foundry/nw-foundry/api/projects/{name}/assistants"
        page = httpx.get(url, params={"api-version": "v1", "limit": 100}, headers=ai).json()
        assert set(page) >= {"data", "has_more", "last_id"}  # ListAgents' required fields
        for agent in page["data"]:
            schema_conforms(agent_schema, agent, agent["id"])


@pytest.mark.parametrize(
    "params, token, status",
    [
        ({"api-version": "2024-01-01"}, "ai", 400),  # no such api-version of the agents API
        ({"api-version": "v1", "limit": 101}, "ai", 400),  # limit is 1..100
        ({"api-version": "v1", "top": 5}, "ai", 400),  # not a parameter of ListAgents
        ({"api-version": "v1"}, "arm", 401),  # audience https://management.azure.com, not https://ai.azure.com
        ({"api-version": "v1"}, "ai", 200),
    ],
)
def test_the_fake_data_plane_refuses_what_the_service_refuses(foundry, params, token, status):
    import httpx

    bearer = foundry.ai_token if token == "ai" else foundry.token
    url = f"{foundry.url}/foundry/nw-foundry/api/projects/support/assistants"
    assert httpx.get(url, params=params, headers={"Authorization": f"Bearer {bearer}"}).status_code == status


def test_revoking_a_foundry_agent_acts_on_the_managed_identity_it_runs_as(nhi, foundry):
    assert _scan(nhi, foundry).code in (0, 1)
    plan = nhi(
        "revoke", "--agent", "claims-triage", "--db", "nhi.db", "--config", "nhi.yaml", "--dry-run", "-f", "json"
    )
    assert plan.code == 0, plan.err
    steps = [(i["target"]["id"], s["action"]) for i in json.loads(plan.out)["plan"]["items"] for s in i["steps"]]
    assert (SUPPORT_MI, "remove_role_assignments") in steps
