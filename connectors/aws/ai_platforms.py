"""The get layer for where AWS keeps AI agents and AI keys: Bedrock long-term API keys (IAM),
Bedrock Agents and Bedrock AgentCore, per region.

Budget per account: ``iam:ListServiceSpecificCredentials`` once (``AllUsers=true``,
``ServiceName=bedrock.amazonaws.com``: every user's Bedrock API keys in one paged call, 1,000
per page) instead of once per user; the credential report and GAAD say nothing about these
keys, so no per-user pattern could be cheaper. Short-term Bedrock API keys are presigned
tokens derived from a session: nothing is stored, nothing can be listed, none is a credential.

Budget per region (only regions where the service exists, AI_SERVICE_REGIONS):
- bedrock-agent: ListAgents (100/page); per agent GetAgent, ListTagsForResource (its owner
  tag), ListAgentActionGroups for the DRAFT version (the one aliases are prepared from), one
  GetAgentActionGroup per action group (the only call that names its Lambda),
  ListAgentAliases: 4 + A calls per agent.
- bedrock-agentcore-control: ListAgentRuntimes (100/page) + GetAgentRuntime and
  ListTagsForResource per runtime (the list has no role); ListGateways (1,000/page) +
  GetGateway, ListTagsForResource, ListGatewayTargets and one GetGatewayTarget per target (the
  credential providers a tool is called with);
  ListWorkloadIdentities (20/page) + GetWorkloadIdentity per workload identity (only Get
  returns ``allowedResourceOauth2ReturnUrls``, the callback URLs of the user-consent OAuth2
  flows the identity may complete, and its creation time); ListOauth2CredentialProviders and
  ListApiKeyCredentialProviders (list pages only).
Describe calls (Get*, per-item List*) are capped by ``ai_describe_limit`` per region and
service (runtimes, then gateways, then workload identities draw on it); items beyond it are
listed without details and the region records a gap.

Only what nhi needs is kept, the moment it arrives: an agent's instruction, a runtime's
environment variable values and an action group's inline API schema are prompt or
configuration text that may hold secrets, and never leave this module (environment variable
NAMES are kept, to tell a runtime configured with a static secret).
"""

from __future__ import annotations

import re
from typing import Any

from .clients import BotoClient

BEDROCK_SERVICE = "bedrock.amazonaws.com"
# Where each service has an endpoint, from the Bedrock user guide's "Supported Regions" tables
# (Agents for Amazon Bedrock; Amazon Bedrock AgentCore), as of 2025-11. botocore ships no
# region list for these services (get_available_regions is empty), so nhi keeps its own: a
# region outside it is skipped without a call, a region inside it that refuses is a gap.
AI_SERVICE_REGIONS = {
    "bedrock-agent": {
        "us-east-1", "us-east-2", "us-west-2", "us-gov-west-1", "ca-central-1", "sa-east-1",
        "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3",
        "ap-northeast-1", "ap-northeast-2", "ap-south-1", "ap-southeast-1", "ap-southeast-2",
    },
    "bedrock-agentcore-control": {
        "us-east-1", "us-east-2", "us-west-2", "eu-central-1", "eu-west-1",
        "ap-northeast-1", "ap-south-1", "ap-southeast-1", "ap-southeast-2",
    },
}  # fmt: skip
SECRETISH_NAME = re.compile(r"(key|token|secret|password|passwd|credential|auth)", re.I)


class Budget:
    """Describe calls left in one region and service."""

    def __init__(self, limit: int):
        self.left, self.skipped = limit, 0
        # (operation, error code) of optional describe calls refused: the items stay listed
        self.refused: list[tuple[str, str]] = []

    def take(self) -> bool:
        if self.left <= 0:
            self.skipped += 1
            return False
        self.left -= 1
        return True


def _pages(client: BotoClient, operation: str, key: str, page_size: int, **params: Any) -> list[dict[str, Any]]:
    paginator = client.get_paginator(operation)
    return [
        item
        for page in paginator.paginate(**params, PaginationConfig={"PageSize": page_size})
        for item in page.get(key, [])
    ]


def _tags(client: BotoClient, arn: str) -> dict[str, str]:
    """The resource's tags (its owner tag): no Get* call returns them."""
    return dict(client.list_tags_for_resource(resourceArn=arn).get("tags") or {})


# --- IAM ------------------------------------------------------------------------------------
def get_bedrock_api_keys(iam: BotoClient) -> list[dict[str, Any]]:
    """Every IAM user's Bedrock long-term API keys (metadata only: the API never returns the
    secret after creation). ListServiceSpecificCredentials has no botocore paginator."""
    keys: list[dict[str, Any]] = []
    params: dict[str, Any] = {"AllUsers": True, "ServiceName": BEDROCK_SERVICE, "MaxItems": 1000}
    while True:
        page = iam.list_service_specific_credentials(**params)
        for item in page.get("ServiceSpecificCredentials", []):
            keys.append(
                {
                    k: item.get(k)
                    for k in (
                        "UserName",
                        "Status",
                        "ServiceCredentialAlias",
                        "CreateDate",
                        "ExpirationDate",
                        "ServiceSpecificCredentialId",
                        "ServiceName",
                    )
                }
            )
        if not page.get("IsTruncated"):
            return keys
        params["Marker"] = page["Marker"]


# --- Bedrock Agents -------------------------------------------------------------------------
AGENT_FIELDS = (
    "agentId",
    "agentName",
    "agentArn",
    "agentStatus",
    "foundationModel",
    "description",
    "agentResourceRoleArn",
    "createdAt",
    "updatedAt",
    "agentCollaboration",
)


def get_bedrock_agents(client: BotoClient, budget: Budget) -> list[dict[str, Any]]:
    agents = []
    for summary in _pages(client, "list_agents", "agentSummaries", 100):
        if not budget.take():
            agents.append({"agentId": summary["agentId"], "agentName": summary["agentName"], "partial": True})
            continue
        raw = client.get_agent(agentId=summary["agentId"])["agent"]
        agent = {k: raw[k] for k in AGENT_FIELDS if k in raw}
        agent["tags"] = _tags(client, agent["agentArn"])
        lambdas = [((raw.get("customOrchestration") or {}).get("executor") or {}).get("lambda")]
        lambdas.append((raw.get("promptOverrideConfiguration") or {}).get("overrideLambda"))
        agent["orchestration_lambdas"] = [arn for arn in lambdas if arn]
        agent["action_groups"] = []
        groups = _pages(
            client,
            "list_agent_action_groups",
            "actionGroupSummaries",
            1000,
            agentId=agent["agentId"],
            agentVersion="DRAFT",
        )
        for group in groups:
            if not budget.take():
                agent["action_groups"].append({"actionGroupName": group["actionGroupName"], "partial": True})
                continue
            detail = client.get_agent_action_group(
                agentId=agent["agentId"], agentVersion="DRAFT", actionGroupId=group["actionGroupId"]
            )["agentActionGroup"]
            agent["action_groups"].append(
                {
                    "actionGroupName": detail["actionGroupName"],
                    "actionGroupState": detail.get("actionGroupState"),
                    "lambda": (detail.get("actionGroupExecutor") or {}).get("lambda"),
                    "customControl": (detail.get("actionGroupExecutor") or {}).get("customControl"),
                    "parentActionSignature": detail.get("parentActionSignature"),
                    "functions": [f.get("name") for f in (detail.get("functionSchema") or {}).get("functions", [])],
                }
            )
        agent["aliases"] = [
            a["agentAliasName"]
            for a in _pages(client, "list_agent_aliases", "agentAliasSummaries", 1000, agentId=agent["agentId"])
        ]
        budget.take()  # ListAgentActionGroups and ListAgentAliases are per agent too
        agents.append(agent)
    return agents


# --- AgentCore ------------------------------------------------------------------------------
def _runtime(raw: dict[str, Any]) -> dict[str, Any]:
    jwt = (raw.get("authorizerConfiguration") or {}).get("customJWTAuthorizer")
    return {
        "agentRuntimeArn": raw["agentRuntimeArn"],
        "agentRuntimeName": raw["agentRuntimeName"],
        "agentRuntimeId": raw["agentRuntimeId"],
        "roleArn": raw["roleArn"],
        "status": raw.get("status"),
        "description": raw.get("description"),
        "createdAt": raw.get("createdAt"),
        "lastUpdatedAt": raw.get("lastUpdatedAt"),
        "workloadIdentityArn": (raw.get("workloadIdentityDetails") or {}).get("workloadIdentityArn"),
        "jwt": {k: jwt.get(k) for k in ("discoveryUrl", "allowedClients", "allowedAudience")} if jwt else None,
        "serverProtocol": (raw.get("protocolConfiguration") or {}).get("serverProtocol"),
        # names only: a value is configuration text that may be a secret
        "environment_secret_names": sorted(
            n for n in raw.get("environmentVariables") or {} if SECRETISH_NAME.search(n)
        ),
    }


def _target(raw: dict[str, Any]) -> dict[str, Any]:
    config = raw.get("targetConfiguration") or {}
    mcp = config.get("mcp") or {}
    providers = []
    for entry in raw.get("credentialProviderConfigurations") or []:
        provider = entry.get("credentialProvider") or {}
        oauth = provider.get("oauthCredentialProvider") or {}
        api_key = provider.get("apiKeyCredentialProvider") or {}
        providers.append(
            {
                "type": entry.get("credentialProviderType"),
                "providerArn": oauth.get("providerArn") or api_key.get("providerArn"),
                "grantType": oauth.get("grantType"),
            }
        )
    return {
        "name": raw["name"],
        "lambda": (mcp.get("lambda") or {}).get("lambdaArn"),
        "endpoint": (mcp.get("mcpServer") or {}).get("endpoint"),
        "kind": next(iter(mcp), None) or next(iter(config), None),
        "credential_providers": providers,
    }


def get_agentcore(client: BotoClient, budget: Budget) -> dict[str, list[dict[str, Any]]]:
    runtimes = []
    for summary in _pages(client, "list_agent_runtimes", "agentRuntimes", 100):
        if not budget.take():
            runtimes.append({**{k: summary[k] for k in ("agentRuntimeArn", "agentRuntimeName")}, "partial": True})
            continue
        runtime = _runtime(client.get_agent_runtime(agentRuntimeId=summary["agentRuntimeId"]))
        runtime["tags"] = _tags(client, runtime["agentRuntimeArn"])
        runtimes.append(runtime)
    gateways = []
    for summary in _pages(client, "list_gateways", "items", 1000):
        if not budget.take():
            gateways.append({"name": summary["name"], "gatewayId": summary["gatewayId"], "partial": True})
            continue
        raw = client.get_gateway(gatewayIdentifier=summary["gatewayId"])
        gateway = {
            k: raw.get(k)
            for k in ("gatewayArn", "gatewayId", "name", "roleArn", "authorizerType", "status", "createdAt")
        }
        gateway["workloadIdentityArn"] = (raw.get("workloadIdentityDetails") or {}).get("workloadIdentityArn")
        gateway["tags"] = _tags(client, raw["gatewayArn"])
        gateway["targets"] = []
        for target in _pages(client, "list_gateway_targets", "items", 1000, gatewayIdentifier=summary["gatewayId"]):
            if not budget.take():
                gateway["targets"].append({"name": target["name"], "partial": True, "credential_providers": []})
                continue
            gateway["targets"].append(
                _target(client.get_gateway_target(gatewayIdentifier=summary["gatewayId"], targetId=target["targetId"]))
            )
        gateways.append(gateway)
    identities = []
    for item in _pages(client, "list_workload_identities", "workloadIdentities", 20):
        if budget.refused or not budget.take():
            identities.append({**item, "partial": True})
            continue
        try:
            raw = client.get_workload_identity(name=item["name"])
        except Exception as exc:  # botocore's ClientError (not imported here: no SDK at import)
            code = getattr(exc, "response", {}).get("Error", {}).get("Code")
            if code not in ("AccessDeniedException", "UnauthorizedOperation"):
                raise
            # a policy written before nhi read it: the identities stay, without their details
            budget.refused.append(("GetWorkloadIdentity", code))
            identities.append({**item, "partial": True})
            continue
        identities.append(
            {
                "name": raw["name"],
                "workloadIdentityArn": raw["workloadIdentityArn"],
                "oauth2_return_urls": list(raw.get("allowedResourceOauth2ReturnUrls") or []),
                "createdTime": raw.get("createdTime"),
            }
        )
    return {
        "runtimes": runtimes,
        "gateways": gateways,
        "workload_identities": identities,
        "oauth2_providers": _pages(client, "list_oauth2_credential_providers", "credentialProviders", 20),
        "api_key_providers": _pages(client, "list_api_key_credential_providers", "credentialProviders", 20),
    }
