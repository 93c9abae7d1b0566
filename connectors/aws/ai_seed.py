"""The fake's side (fake layer): seed an account's AI platforms from estate data, for the demo
and the tests. What moto implements (Bedrock agents, AgentCore runtimes, gateways and their
targets) goes into moto's backends; the rest into ai_fake's state.

Estate format (one account's ``ai:`` section; times relative to ``now``)::

    bedrock_api_keys: [{user, id, age_days, expires_in_days (absent: never), status}]
    bedrock_agents:   [{name, role, model, tags, action_groups: [{name, lambda | return_control}],
                        aliases: [name]}]
    agentcore_runtimes: [{name, role, tags, jwt_discovery_url (absent: IAM), env: {NAME: value},
                          oauth2_return_urls (its workload identity's)}]
    agentcore_gateways: [{name, role, tags, jwt_discovery_url, targets: [{name, lambda | mcp_endpoint,
                          api_key_provider | oauth_provider, grant}]}]
    api_key_providers / oauth2_providers: [{name, vendor}]
    workload_identities: [{name, oauth2_return_urls, age_days}]
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from . import ai_fake

REGION = "us-east-1"


def _stable(account: str, name: str) -> str:
    return hashlib.sha1(f"{account}/{name}".encode()).hexdigest()[:10]


def _workload_arn(account: str, region: str, name: str) -> str:
    return f"arn:aws:bedrock-agentcore:{region}:{account}:workload-identity-directory/default/workload-identity/{name}"


def _vault_arn(account: str, region: str, kind: str, name: str) -> str:
    return f"arn:aws:bedrock-agentcore:{region}:{account}:token-vault/default/{kind}/{name}"


def seed_ai(account: str, spec: dict[str, Any], now: datetime, region: str = REGION) -> None:
    from moto.bedrockagent.models import bedrockagent_backends
    from moto.bedrockagentcorecontrol.models import bedrockagentcorecontrol_backends

    for key in spec.get("bedrock_api_keys", []):
        expires = key.get("expires_in_days")
        ai_fake.add_service_credential(
            account,
            key["user"],
            key["id"],
            now - timedelta(days=key.get("age_days", 0)),
            expires=None if expires is None else now + timedelta(days=expires),
            status=key.get("status", "Active"),
        )
    agents = bedrockagent_backends[account][region]
    for spec_agent in spec.get("bedrock_agents", []):
        agent = agents.create_agent(
            spec_agent["name"], spec_agent["role"], None, None, spec_agent.get("model"),
            spec_agent.get("description"), None, None, None, None,
        )  # fmt: skip
        agent.agent_status = "PREPARED"
        # times from the estate, not the seeding second: two demo scans must not differ
        agent.created_at = agent.updated_at = (now - timedelta(days=spec_agent.get("created_days_ago", 30))).timestamp()
        agents.agents.pop(agent.agent_id)  # moto draws ids; the demo's stay the same every run
        agent.agent_id = _stable(account, spec_agent["name"]).upper()
        agent.agent_arn = f"arn:aws:bedrock:{region}:{account}:agent/{agent.agent_id}"
        agents.agents[agent.agent_id] = agent
        if spec_agent.get("tags"):
            agents.tag_resource(agent.agent_arn, spec_agent["tags"])
        for n, group in enumerate(spec_agent.get("action_groups", [])):
            executor = (
                {"customControl": "RETURN_CONTROL"} if group.get("return_control") else {"lambda": group["lambda"]}
            )
            ai_fake.add_action_group(
                account,
                region,
                agent.agent_id,
                {
                    "actionGroupId": f"AG{n:08d}",
                    "actionGroupName": group["name"],
                    "createdAt": now,
                    "updatedAt": now,
                    "actionGroupExecutor": executor,
                },
            )
        for n, alias in enumerate(spec_agent.get("aliases", [])):
            ai_fake.add_alias(
                account,
                region,
                agent.agent_id,
                {"agentAliasId": f"AL{n:08d}", "agentAliasName": alias, "createdAt": now, "updatedAt": now},
            )
    core = bedrockagentcorecontrol_backends[account][region]
    for runtime in spec.get("agentcore_runtimes", []):
        jwt = runtime.get("jwt_discovery_url")
        made = core.create_agent_runtime(
            runtime["name"],
            {"containerConfiguration": {"containerUri": f"{account}.dkr.ecr.{region}.amazonaws.com/agent:1"}},
            runtime["role"],
            {"networkMode": "PUBLIC"},
            runtime.get("description"),
            {"customJWTAuthorizer": {"discoveryUrl": jwt, "allowedClients": ["web"]}} if jwt else None,
            None, None, None, runtime.get("env"), None,
        )  # fmt: skip
        made.status = "READY"
        made.created_at = made.last_updated_at = now - timedelta(days=runtime.get("created_days_ago", 30))
        # moto draws ids and names runtimes agent/<uuid>:<version>; AgentCore's ARNs are
        # runtime/<id>, and the demo's ids stay the same every run
        core.agent_runtimes.pop(made.agent_runtime_id)
        made.agent_runtime_id = f"{runtime['name']}-{_stable(account, runtime['name'])}"
        made.agent_runtime_arn = f"arn:aws:bedrock-agentcore:{region}:{account}:runtime/{made.agent_runtime_id}"
        made.workload_identity_details = {"workloadIdentityArn": _workload_arn(account, region, made.agent_runtime_id)}
        core.agent_runtimes[made.agent_runtime_id] = made
        if runtime.get("tags"):
            core.tag_resource(made.agent_runtime_arn, runtime["tags"])
        if runtime.get("oauth2_return_urls"):
            ai_fake.set_workload_details(
                account, region, runtime["name"], allowedResourceOauth2ReturnUrls=runtime["oauth2_return_urls"]
            )
    for gateway in spec.get("agentcore_gateways", []):
        jwt = gateway.get("jwt_discovery_url")
        gw = core.create_gateway(
            gateway["name"], gateway["role"], "MCP", "CUSTOM_JWT" if jwt else "AWS_IAM", None, None,
            {"customJWTAuthorizer": {"discoveryUrl": jwt}} if jwt else None, None, None, None, None, None,
        )  # fmt: skip
        gw.created_at = gw.updated_at = now - timedelta(days=gateway.get("created_days_ago", 30))
        core.gateways.pop(gw.gateway_id)
        gw.gateway_id = f"{gateway['name']}-{_stable(account, gateway['name'])}"
        gw.gateway_arn = f"arn:aws:bedrock-agentcore:{region}:{account}:gateway/{gw.gateway_id}"
        gw.gateway_url = f"https://{gw.gateway_id}.gateway.bedrock-agentcore.{region}.amazonaws.com"
        gw.workload_identity_details = {"workloadIdentityArn": _workload_arn(account, region, gw.gateway_id)}
        core.gateways[gw.gateway_id] = gw
        if gateway.get("tags"):
            core.tag_resource(gw.gateway_arn, gateway["tags"])
        for target in gateway.get("targets", []):
            if target.get("lambda"):
                config = {"mcp": {"lambda": {"lambdaArn": target["lambda"], "toolSchema": {"inlinePayload": []}}}}
            else:
                config = {"mcp": {"mcpServer": {"endpoint": target["mcp_endpoint"]}}}
            providers = []
            if target.get("api_key_provider"):
                arn = _vault_arn(account, region, "apikeycredentialprovider", target["api_key_provider"])
                providers.append(
                    {
                        "credentialProviderType": "API_KEY",
                        "credentialProvider": {"apiKeyCredentialProvider": {"providerArn": arn}},
                    }
                )
            if target.get("oauth_provider"):
                arn = _vault_arn(account, region, "oauth2credentialprovider", target["oauth_provider"])
                oauth = {"providerArn": arn, "scopes": ["read"], "grantType": target.get("grant", "CLIENT_CREDENTIALS")}
                providers.append(
                    {"credentialProviderType": "OAUTH", "credentialProvider": {"oauthCredentialProvider": oauth}}
                )
            core.create_gateway_target(gw.gateway_id, target["name"], config, None, providers or None, None)
    for kind, path in (
        ("api_key_providers", "apikeycredentialprovider"),
        ("oauth2_providers", "oauth2credentialprovider"),
    ):
        for provider in spec.get(kind, []):
            item = {
                "name": provider["name"],
                "credentialProviderArn": _vault_arn(account, region, path, provider["name"]),
                "createdTime": now - timedelta(days=provider.get("age_days", 0)),
                "lastUpdatedTime": now,
            }
            if kind == "oauth2_providers":
                item["credentialProviderVendor"] = provider.get("vendor", "CustomOauth2")
            ai_fake.add_identity_item(kind, account, region, item)
    for item in spec.get("workload_identities", []):
        arn = _workload_arn(account, region, item["name"])
        ai_fake.add_identity_item(
            "workload_identities", account, region, {"name": item["name"], "workloadIdentityArn": arn}
        )
        created = now - timedelta(days=item.get("age_days", 0))
        ai_fake.set_workload_details(account, region, item["name"], createdTime=created, lastUpdatedTime=created)
        if item.get("oauth2_return_urls"):
            ai_fake.set_workload_details(
                account, region, item["name"], allowedResourceOauth2ReturnUrls=item["oauth2_return_urls"]
            )
