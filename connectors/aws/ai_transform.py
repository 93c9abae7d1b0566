"""The transform layer for AWS AI platforms (ai_platforms.py payloads -> records). Pure.

Kinds:
- ``bedrock_api_key``: a long-term Bedrock API key, an IAM service-specific credential of its
  user (creation, status, expiry as IAM reports them);
- ``bedrock_agent``, ``agentcore_runtime``, ``agentcore_gateway``: agents and tool gateways
  the platform registered, each with the execution role it runs as (``attrs.execution_role``)
  and its reach (``attrs.reach``: the Lambda functions, MCP servers and APIs it can call);
- ``agentcore_workload_identity``: AgentCore Identity's identity for an agent (runtimes and
  gateways get one each; agents hosted elsewhere register their own), with the OAuth2 return
  URLs of the user-consent flows it may complete (``attrs.oauth2_return_urls``; a runtime's or
  gateway's own are on the runtime or gateway);
- ``agentcore_token_vault`` holding ``agentcore_api_key`` and ``agentcore_oauth2_client``
  credentials: the static API keys and OAuth2 client secrets AgentCore stores for agents.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from nhi_cli.kit.payloads import require
from nhi_cli.model import Batch, Credential, Identity

from .transform import DEFAULT_OWNER_TAGS, clean_tags, owner_from_tags

PLATFORM = {
    "bedrock_agent": "Amazon Bedrock Agents",
    "agentcore_runtime": "Amazon Bedrock AgentCore Runtime",
    "agentcore_gateway": "Amazon Bedrock AgentCore Gateway",
    "agentcore_workload_identity": "Amazon Bedrock AgentCore Identity",
}
# Outbound credentials that carry the user the agent serves (3-legged OAuth, the caller's JWT).
USER_GRANTS = {"AUTHORIZATION_CODE"}
STATIC_PROVIDER_TYPES = {"API_KEY"}


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def transform_bedrock_api_keys(
    account_id: str, keys: list[dict[str, Any]], user_arns: dict[str, str], now: datetime
) -> Batch:
    """One credential per key, owned by its IAM user. A key whose user GAAD did not list (deleted
    during the scan) is left out and reported as a gap."""
    batch = Batch()
    for key in keys:
        require(key, "UserName", "ServiceSpecificCredentialId", "Status", "CreateDate", what="Bedrock API key")
        user_arn = user_arns.get(key["UserName"])
        if user_arn is None:
            batch.gap(
                "iam:ListServiceSpecificCredentials",
                "UserNotListed",
                f"Bedrock API key {key['ServiceSpecificCredentialId']} of user {key['UserName']} not in GAAD",
            )
            continue
        expires = _aware(key.get("ExpirationDate"))
        status = "active" if key["Status"] == "Active" else "inactive"
        if status == "active" and expires is not None and expires <= now:
            status = "expired"
        batch.credentials.append(
            Credential(
                id=key["ServiceSpecificCredentialId"],
                identity_id=user_arn,
                provider="aws",
                scope=account_id,
                kind="bedrock_api_key",
                status=status,
                name=key.get("ServiceCredentialAlias") or f"{key['UserName']} Bedrock API key",
                created_at=_aware(key["CreateDate"]),
                expires_at=expires,
                supports_expiry=True,
                key_id=key["ServiceSpecificCredentialId"],
                attrs={
                    "user_name": key["UserName"],
                    "service": key.get("ServiceName"),
                    "ai_credential": True,
                    "long_term": True,
                    "last_used_unknown": True,  # IAM reports no last use for these keys
                },
            )
        )
    return batch


def _identity(
    kind: str, arn: str, name: str, account_id: str, region: str, tags: dict[str, str] | None = None, **attrs: Any
) -> Identity:
    created = attrs.pop("created_at", None)
    enabled = attrs.pop("enabled", True)
    owner_tags = attrs.pop("owner_tags", None) or DEFAULT_OWNER_TAGS
    cleaned = clean_tags([{"Key": k, "Value": v} for k, v in (tags or {}).items()], attrs.pop("salt", ""))
    owner, owner_source = owner_from_tags(cleaned, owner_tags)
    return Identity(
        id=arn,
        provider="aws",
        scope=account_id,
        kind=kind,
        name=name,
        created_at=_aware(created),
        enabled=enabled,
        owner=owner,
        owner_source=owner_source,
        tags=cleaned,
        description=attrs.pop("description", None),
        attrs={"region": region, "platform": PLATFORM[kind], "registered_by_platform": True, **attrs},
    )


def transform_bedrock_agents(
    account_id: str, region: str, agents: list[dict[str, Any]], owner_tags: list[str] | None = None, salt: str = ""
) -> Batch:
    batch = Batch()
    for agent in agents:
        require(agent, "agentId", "agentName", what="Bedrock agent")
        arn = agent.get("agentArn") or f"arn:aws:bedrock:{region}:{account_id}:agent/{agent['agentId']}"
        if agent.get("partial"):
            batch.identities.append(
                _identity("bedrock_agent", arn, agent["agentName"], account_id, region, agent_id=agent["agentId"],
                          details="not read: describe budget spent")
            )  # fmt: skip
            continue
        require(agent, "agentResourceRoleArn", what=f"Bedrock agent {agent['agentName']}")
        groups = agent.get("action_groups", [])
        reach = [f"lambda {g['lambda']} (action group {g['actionGroupName']})" for g in groups if g.get("lambda")]
        reach += [f"returns control to the caller (action group {g['actionGroupName']})" for g in groups
                  if g.get("customControl")]  # fmt: skip
        reach += [f"built-in {g['parentActionSignature']}" for g in groups if g.get("parentActionSignature")]
        reach += [f"lambda {arn} (orchestration)" for arn in agent.get("orchestration_lambdas", [])]
        batch.identities.append(
            _identity(
                "bedrock_agent",
                arn,
                agent["agentName"],
                account_id,
                region,
                tags=agent.get("tags"),
                owner_tags=owner_tags,
                salt=salt,
                created_at=agent.get("createdAt"),
                enabled=agent.get("agentStatus") not in ("FAILED", "DELETING", "NOT_PREPARED"),
                description=agent.get("description"),
                agent_id=agent["agentId"],
                status=agent.get("agentStatus"),
                foundation_model=agent.get("foundationModel"),
                execution_role=agent["agentResourceRoleArn"],
                action_groups=groups,
                aliases=agent.get("aliases", []),
                reach=reach,
                inbound_auth="iam",
            )
        )
    return batch


def _arn(region: str, account_id: str, path: str) -> str:
    return f"arn:aws:bedrock-agentcore:{region}:{account_id}:{path}"


def transform_agentcore(
    account_id: str,
    region: str,
    data: dict[str, list[dict[str, Any]]],
    owner_tags: list[str] | None = None,
    salt: str = "",
) -> Batch:
    batch = Batch()
    # GetWorkloadIdentity's return URLs, by workload identity ARN (none when it was not read)
    return_urls = {
        i["workloadIdentityArn"]: i.get("oauth2_return_urls", [])
        for i in data.get("workload_identities", [])
        if isinstance(i, dict) and i.get("workloadIdentityArn")
    }
    for runtime in data.get("runtimes", []):
        require(runtime, "agentRuntimeArn", "agentRuntimeName", what="AgentCore runtime")
        if runtime.get("partial"):
            batch.identities.append(
                _identity("agentcore_runtime", runtime["agentRuntimeArn"], runtime["agentRuntimeName"], account_id,
                          region, details="not read: describe budget spent")
            )  # fmt: skip
            continue
        require(runtime, "roleArn", what=f"AgentCore runtime {runtime['agentRuntimeName']}")
        jwt = runtime.get("jwt")
        batch.identities.append(
            _identity(
                "agentcore_runtime",
                runtime["agentRuntimeArn"],
                runtime["agentRuntimeName"],
                account_id,
                region,
                tags=runtime.get("tags"),
                owner_tags=owner_tags,
                salt=salt,
                created_at=runtime.get("createdAt"),
                enabled=runtime.get("status") not in ("CREATE_FAILED", "DELETING", "UPDATE_FAILED"),
                description=runtime.get("description") or None,
                status=runtime.get("status"),
                execution_role=runtime["roleArn"],
                workload_identity=runtime.get("workloadIdentityArn"),
                oauth2_return_urls=return_urls.get(runtime.get("workloadIdentityArn"), []),
                # A runtime behind a JWT authorizer is invoked with the end user's token:
                # AgentCore Identity then obtains outbound tokens for that user
                # (GetWorkloadAccessTokenForJWT), so every invocation names the person served.
                inbound_auth="custom_jwt" if jwt else "iam",
                jwt_discovery_url=(jwt or {}).get("discoveryUrl"),
                delegates_for_users=bool(jwt),
                environment_secret_names=runtime.get("environment_secret_names", []),
                server_protocol=runtime.get("serverProtocol"),
                reach=[],
            )
        )
    for gateway in data.get("gateways", []):
        require(gateway, "gatewayId", "name", what="AgentCore gateway")
        arn = gateway.get("gatewayArn") or _arn(region, account_id, f"gateway/{gateway['gatewayId']}")
        if gateway.get("partial"):
            batch.identities.append(
                _identity("agentcore_gateway", arn, gateway["name"], account_id, region,
                          details="not read: describe budget spent")
            )  # fmt: skip
            continue
        targets = gateway.get("targets", [])
        reach = []
        for t in targets:
            what = (
                f"lambda {t['lambda']}"
                if t.get("lambda")
                else (f"MCP server {t['endpoint']}" if t.get("endpoint") else f"{t.get('kind') or 'target'}")
            )
            reach.append(f"{what} (target {t['name']})")  # fmt: skip
        providers = [p for t in targets for p in t.get("credential_providers", [])]
        batch.identities.append(
            _identity(
                "agentcore_gateway",
                arn,
                gateway["name"],
                account_id,
                region,
                tags=gateway.get("tags"),
                owner_tags=owner_tags,
                salt=salt,
                created_at=gateway.get("createdAt"),
                status=gateway.get("status"),
                execution_role=gateway.get("roleArn"),
                workload_identity=gateway.get("workloadIdentityArn"),
                oauth2_return_urls=return_urls.get(gateway.get("workloadIdentityArn"), []),
                inbound_auth="custom_jwt"
                if gateway.get("authorizerType") == "CUSTOM_JWT"
                else ((gateway.get("authorizerType") or "none").lower()),
                targets=targets,
                reach=reach,
                static_credential_targets=sorted(
                    t["name"]
                    for t in targets
                    if any(p.get("type") in STATIC_PROVIDER_TYPES for p in t.get("credential_providers", []))
                ),
                credential_providers=sorted({p["providerArn"] for p in providers if p.get("providerArn")}),
                delegates_for_users=gateway.get("authorizerType") == "CUSTOM_JWT"
                and bool(providers)
                and all(p.get("grantType") in USER_GRANTS or p.get("type") == "JWT_PASSTHROUGH" for p in providers),
            )  # fmt: skip
        )
    # A runtime's or gateway's own workload identity is part of it (attrs.workload_identity);
    # the others were registered by agents hosted elsewhere and are identities of their own.
    owned = {i.attrs.get("workload_identity") for i in batch.identities}
    for item in data.get("workload_identities", []):
        require(item, "name", "workloadIdentityArn", what="AgentCore workload identity")
        if item["workloadIdentityArn"] in owned:
            continue
        details: dict[str, Any] = {"details": "not read: describe budget spent"} if item.get("partial") else {}
        batch.identities.append(
            _identity(
                "agentcore_workload_identity",
                item["workloadIdentityArn"],
                item["name"],
                account_id,
                region,
                created_at=item.get("createdTime"),
                oauth2_return_urls=item.get("oauth2_return_urls", []),
                **details,
            )
        )
    vault = _arn(region, account_id, "token-vault/default")
    stored = [("agentcore_api_key", p) for p in data.get("api_key_providers", [])]
    stored += [("agentcore_oauth2_client", p) for p in data.get("oauth2_providers", [])]
    if stored:
        batch.identities.append(
            Identity(
                id=vault,
                provider="aws",
                scope=account_id,
                kind="agentcore_token_vault",
                name=f"AgentCore token vault ({region})",
                is_platform=True,
                attrs={"region": region, "platform": "Amazon Bedrock AgentCore Identity"},
            )
        )
    for kind, provider in stored:
        require(provider, "name", "credentialProviderArn", what="AgentCore credential provider")
        batch.credentials.append(
            Credential(
                id=provider["credentialProviderArn"],
                identity_id=vault,
                provider="aws",
                scope=account_id,
                kind=kind,
                status="active",
                name=provider["name"],
                created_at=_aware(provider.get("createdTime")),
                supports_expiry=False,
                attrs={
                    "region": region,
                    "vendor": provider.get("credentialProviderVendor"),
                    "stored_for_agents": True,
                    "static": True,
                    "last_used_unknown": True,  # AgentCore reports no last use
                },
            )
        )
    return batch
