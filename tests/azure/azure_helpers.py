"""Azure test helpers (constants, config writer): a uniquely named module, because several test
folders have a conftest.py and `from conftest import ...` would pick whichever loaded first."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from nhi_cli.kit.times import load_relative_estate, resolve_relative_times
from nhi_cli.model import utcnow
from nhi_connectors.azure.fake import AzureFake
from tests.conftest import db_rows  # noqa: F401  (re-exported for the Azure tests)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "azure"
SUB_A = "aaaaaaaa-0000-4000-8000-00000000000a"
SUB_B = "bbbbbbbb-0000-4000-8000-00000000000b"
TENANT = "11111111-2222-4333-8444-0000000000aa"
PLANTED = "PLANTED~azureSecretValue~DoNotStore~Q7v9Xk2Lm4Np6Rt8"
FOUNDRY = json.loads((FIXTURES / "foundry.json").read_text())
SUPPORT_MI = "0d0d0d0d-0000-4000-8000-0000000000f1"  # the support project's managed identity


def sp_id(n: int) -> str:
    return f"5e7a1000-0000-4000-8000-{n:012d}"


def app_id(n: int) -> str:
    return f"a9900000-0000-4000-8000-{n:012d}"


def write_config(fake: AzureFake, **settings) -> Path:
    path = Path("nhi.yaml")
    path.write_text(yaml.safe_dump({"version": 1, "providers": {"azure": fake.settings(**settings)}}))
    return path


def scopes_of(out: str) -> dict[str, dict]:
    return {s["scope"]: s for s in json.loads(out)["scopes"] if s["provider"] == "azure"}


def foundry_estate(research_agents: int = 120) -> dict:
    """The test tenant with fixtures/azure/foundry.json's AI Services account, its two projects,
    their connections (relative times resolved) and agents (``research_agents`` in research)."""
    estate = load_relative_estate(FIXTURES / "tenant.json", utcnow())
    estate["cognitiveAccounts"] = {SUB_A: [json.loads(json.dumps(FOUNDRY["account"]))]}
    estate["foundryProjects"] = {FOUNDRY["account"]["id"]: json.loads(json.dumps(FOUNDRY["projects"]))}
    agents = json.loads(json.dumps(FOUNDRY["agents"]))
    template = agents["nw-foundry/research"][0]
    agents["nw-foundry/research"] = [
        {**template, "id": f"asst_r{n:06d}", "name": f"research-{n}", "created_at": template["created_at"] + n}
        for n in range(research_agents)
    ]
    estate["foundryAgents"] = agents
    estate["foundryConnections"] = resolve_relative_times(FOUNDRY["connections"], utcnow())
    # the support project's managed identity, as Graph lists it, Owner of subscription A
    estate["servicePrincipals"].append(
        {
            "id": SUPPORT_MI,
            "appId": "0d0d0d0d-0000-4000-8000-0000000000e1",
            "displayName": "nw-foundry/support",
            "servicePrincipalType": "ManagedIdentity",
            "accountEnabled": True,
            "appOwnerOrganizationId": TENANT,
            "alternativeNames": ["isExplicit=False", FOUNDRY["projects"][0]["id"]],
            "keyCredentials": [],
            "passwordCredentials": [],
            "tags": [],
        }
    )
    estate["roleAssignments"].setdefault(SUB_A, []).append(
        {
            "name": "f0f0f0f0-0000-4000-8000-0000000000f1",
            "properties": {
                "roleDefinitionId": f"/subscriptions/{SUB_A}/providers/Microsoft.Authorization/roleDefinitions/"
                "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
                "principalId": SUPPORT_MI,
                "principalType": "ServicePrincipal",
                "scope": f"/subscriptions/{SUB_A}",
            },
        }
    )
    return estate
