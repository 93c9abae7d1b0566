"""Where AWS keeps agents and AI keys: Bedrock long-term API keys (IAM service-specific
credentials), Bedrock Agents and AgentCore, through boto3 against moto + the AI-platform fake."""

from __future__ import annotations

import json

import pytest
from aws_helpers import scan_json, write_config

from nhi_connectors.aws import ai_fake, ai_seed, fake
from tests.conftest import db_rows

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "bedrock.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
AI = {
    "bedrock_api_keys": [
        {"user": "bedrock-dev", "id": "ACCAOLDNOEXPIRY00001", "age_days": 200},
        {"user": "bedrock-dev", "id": "ACCAFRESHEXPIRES0002", "age_days": 3, "expires_in_days": 27},
        {"user": "notebook", "id": "ACCAEXPIREDKEY000003", "age_days": 40, "expires_in_days": -10},
    ],
    "bedrock_agents": [
        {
            "name": "support-agent",
            "role": ROLE + "support-agent-exec",
            "model": "anthropic.claude-sonnet",
            "action_groups": [
                {"name": "refunds", "lambda": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:refunds"},
                {"name": "ask-user", "return_control": True},
                {"name": "orders", "lambda": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:orders"},
            ],
            "aliases": ["prod", "staging"],
        }
    ],
    "agentcore_runtimes": [
        {
            "name": "travel_agent",
            "role": ROLE + "travel-exec",
            "jwt_discovery_url": "https://idp.example/.well-known/openid-configuration",
        },
        {
            "name": "batch_agent",
            "role": ROLE + "batch-exec",
            "env": {"STRIPE_API_KEY": "sk-live-planted-secret-value", "MODE": "x"},
            "oauth2_return_urls": ["https://batch.example/oauth/callback"],
        },
    ],
    "agentcore_gateways": [
        {
            "name": "crm-tools",
            "role": ROLE + "gateway-exec",
            "jwt_discovery_url": "https://idp.example/.well-known/openid-configuration",
            "targets": [
                {
                    "name": "crm",
                    "lambda": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:crm",
                    "api_key_provider": "crm-key",
                }
            ],
        }
    ],
    "api_key_providers": [{"name": "crm-key", "age_days": 90}],
    "oauth2_providers": [{"name": "github-oauth", "vendor": "GithubOauth2"}],
    "workload_identities": [
        {"name": "laptop-agent", "age_days": 12, "oauth2_return_urls": ["http://localhost:8080/callback"]}
    ],
}


@pytest.fixture
def ai_estate(moto_url, now):
    be = fake.iam_backend(ACCOUNT)
    for user in ("bedrock-dev", "notebook"):
        fake.add_user(be, {"name": user}, now)
    for role in ("support-agent-exec", "travel-exec", "batch-exec", "gateway-exec"):
        fake.add_role(be, {"name": role, "trust": TRUST}, now)
    ai_seed.seed_ai(ACCOUNT, AI, now)
    ai_fake.state().page_size = 2  # every list takes several pages
    return moto_url


def _scan(nhi, tmp_path, url, **settings):
    return scan_json(nhi, write_config(tmp_path / "nhi.yaml", url, **settings))


def test_bedrock_api_keys_are_credentials_of_their_user_with_creation_status_and_expiry(nhi, tmp_path, ai_estate):
    result, out = _scan(nhi, tmp_path, ai_estate)
    assert result.code == 0, result.err
    keys = {r["id"]: r for r in db_rows("SELECT * FROM v_credentials WHERE kind = 'bedrock_api_key'")}
    assert set(keys) == {"ACCAOLDNOEXPIRY00001", "ACCAFRESHEXPIRES0002", "ACCAEXPIREDKEY000003"}
    old, fresh, expired = keys["ACCAOLDNOEXPIRY00001"], keys["ACCAFRESHEXPIRES0002"], keys["ACCAEXPIREDKEY000003"]
    assert old["identity_name"] == fresh["identity_name"] == "bedrock-dev"
    assert (old["age_days"], old["status"], old["expires_at"]) == (200, "active", None)
    assert fresh["status"] == "active" and fresh["days_to_expiry"] in (26, 27)
    assert expired["status"] == "expired" and expired["identity_name"] == "notebook"
    # one paged call per account for every user's keys (3 keys, pages of 2), never one per user
    calls = out["scopes"][0]["api_calls"]
    assert calls["iam:ListServiceSpecificCredentials"] == 2
    assert [c for c in ai_fake.state().calls if c[0] == "ListServiceSpecificCredentials"] == [
        ("ListServiceSpecificCredentials", ACCOUNT, "global")
    ] * 2


def test_platform_agents_gateways_and_stored_credentials_are_inventoried(nhi, tmp_path, ai_estate):
    result, out = _scan(nhi, tmp_path, ai_estate)
    assert result.code == 0, result.err
    rows = {r["name"]: r for r in db_rows("SELECT * FROM v_identities WHERE provider = 'aws'")}
    agent = json.loads(rows["support-agent"]["attrs"])
    assert rows["support-agent"]["kind"] == "bedrock_agent"
    assert agent["execution_role"] == ROLE + "support-agent-exec" and agent["registered_by_platform"]
    assert agent["aliases"] == ["prod", "staging"]
    assert sorted(agent["reach"]) == sorted(
        [
            f"lambda arn:aws:lambda:us-east-1:{ACCOUNT}:function:refunds (action group refunds)",
            f"lambda arn:aws:lambda:us-east-1:{ACCOUNT}:function:orders (action group orders)",
            "returns control to the caller (action group ask-user)",
        ]
    )
    travel, batch = json.loads(rows["travel_agent"]["attrs"]), json.loads(rows["batch_agent"]["attrs"])
    assert travel["inbound_auth"] == "custom_jwt" and travel["delegates_for_users"] is True
    assert batch["inbound_auth"] == "iam" and batch["delegates_for_users"] is False
    assert batch["environment_secret_names"] == ["STRIPE_API_KEY"]
    gateway = json.loads(rows["crm-tools"]["attrs"])
    assert gateway["execution_role"] == ROLE + "gateway-exec" and gateway["static_credential_targets"] == ["crm"]
    workloads = {r["name"] for r in db_rows("SELECT name FROM v_identities WHERE kind = 'agentcore_workload_identity'")}
    assert workloads == {"laptop-agent"}  # those AgentCore made for the runtimes and the gateway are theirs
    assert "/workload-identity/" in travel["workload_identity"]
    stored = {
        r["name"]: r["kind"] for r in db_rows("SELECT * FROM v_credentials WHERE identity_id LIKE '%token-vault%'")
    }
    assert stored == {"crm-key": "agentcore_api_key", "github-oauth": "agentcore_oauth2_client"}
    # the planted environment value never reaches the inventory or the output
    with open("nhi.db", "rb") as db:
        assert b"sk-live-planted-secret-value" not in db.read()
    assert "sk-live-planted-secret-value" not in result.out + result.err
    calls = out["scopes"][0]["api_calls"]
    assert calls["bedrock-agent:GetAgentActionGroup"] == 3 and calls["bedrock-agent:ListAgentActionGroups"] == 2
    assert calls["bedrock-agentcore-control:GetAgentRuntime"] == 2
    assert calls["bedrock-agentcore-control:GetGatewayTarget"] == 1


def test_workload_identities_are_read_one_by_one_for_their_oauth2_return_urls(nhi, tmp_path, ai_estate):
    result, out = _scan(nhi, tmp_path, ai_estate)
    assert result.code == 0, result.err
    [laptop] = db_rows("SELECT * FROM v_identities WHERE kind = 'agentcore_workload_identity'")
    assert json.loads(laptop["attrs"])["oauth2_return_urls"] == ["http://localhost:8080/callback"]
    assert laptop["age_days"] == 12  # only GetWorkloadIdentity says when it was created
    rows = {r["name"]: json.loads(r["attrs"]) for r in db_rows("SELECT name, attrs FROM identity")}
    # a runtime's own workload identity lends it its return URLs
    assert rows["batch_agent"]["oauth2_return_urls"] == ["https://batch.example/oauth/callback"]
    assert rows["travel_agent"]["oauth2_return_urls"] == []
    # one Get per workload identity: the two runtimes', the gateway's and laptop-agent
    assert out["scopes"][0]["api_calls"]["bedrock-agentcore-control:GetWorkloadIdentity"] == 4
    # an IAM-invoked runtime completing user-consent flows acts for users its caller names
    shown = json.loads(nhi("agents", "show", "batch_agent", "--db", "nhi.db", "-f", "json").out)
    assert shown["delegation"] == "not_recorded"
    assert any("a user id its caller asserts" in d["detail"] for d in shown["delegation_detail"])


def test_refused_agentcore_and_bedrock_key_lists_are_gaps_that_keep_earlier_records(nhi, tmp_path, ai_estate):
    result, _ = _scan(nhi, tmp_path, ai_estate)
    assert result.code == 0, result.err
    ai_fake.deny("ListAgentRuntimes", region="us-east-1")
    ai_fake.deny("ListServiceSpecificCredentials", code="AccessDenied")  # IAM's own code
    result, out = _scan(nhi, tmp_path, ai_estate)
    assert result.code == 0, result.err  # partial, not failed
    gaps = {(g["what"], g["code"]) for g in out["scopes"][0]["gaps"]}
    assert gaps == {
        ("bedrock-agentcore-control us-east-1", "AccessDeniedException"),
        ("iam:ListServiceSpecificCredentials", "AccessDenied"),
    }
    kept = db_rows("SELECT name, removed_at FROM identity WHERE kind IN ('agentcore_runtime', 'agentcore_gateway')")
    assert {r["name"] for r in kept} == {"travel_agent", "batch_agent", "crm-tools"}
    assert all(r["removed_at"] is None for r in kept)
    assert db_rows("SELECT removed_at FROM credential WHERE id = 'ACCAOLDNOEXPIRY00001'") == [{"removed_at": None}]


def test_a_refused_get_workload_identity_keeps_the_identities_without_their_details(nhi, tmp_path, ai_estate):
    ai_fake.deny("GetWorkloadIdentity")
    result, out = _scan(nhi, tmp_path, ai_estate)
    assert result.code == 0, result.err
    gaps = {(g["what"], g["code"]) for g in out["scopes"][0]["gaps"]}
    assert gaps == {("bedrock-agentcore-control us-east-1 GetWorkloadIdentity", "AccessDeniedException")}
    assert out["scopes"][0]["api_calls"]["bedrock-agentcore-control:GetWorkloadIdentity"] == 1  # then it stops
    names = {r["name"] for r in db_rows("SELECT name FROM v_identities WHERE kind LIKE 'agentcore%'")}
    assert {"travel_agent", "batch_agent", "crm-tools", "laptop-agent"} <= names


def test_regions_without_the_service_are_skipped_and_a_refused_region_is_a_gap(nhi, tmp_path, ai_estate):
    result, _ = _scan(nhi, tmp_path, ai_estate)
    assert result.code == 0, result.err
    ai_fake.deny("ListAgents", region="us-east-1")
    ai_fake.state().calls.clear()
    result, out = _scan(nhi, tmp_path, ai_estate, ai_regions=["us-east-1", "ca-west-1", "ap-south-1"])
    assert result.code == 0, result.err  # partial, not failed
    scope = out["scopes"][0]
    assert scope["status"] == "partial"
    assert [(g["what"], g["code"]) for g in scope["gaps"]] == [("bedrock-agent us-east-1", "AccessDeniedException")]
    # ca-west-1 has neither service: no call went there; ap-south-1 has both and was asked
    assert {region for _, _, region in ai_fake.state().calls} == {"global", "us-east-1", "ap-south-1"}
    # the refused region's agent from the first scan is kept, not marked removed
    kept = db_rows("SELECT removed_at FROM identity WHERE name = 'support-agent'")
    assert kept == [{"removed_at": None}]
    # the AgentCore part of the same region still loaded
    assert db_rows("SELECT removed_at FROM identity WHERE name = 'travel_agent'") == [{"removed_at": None}]


def test_describe_budget_caps_per_region_calls_and_says_so(nhi, tmp_path, ai_estate):
    result, out = _scan(nhi, tmp_path, ai_estate, ai_describe_limit=1)
    assert result.code == 0, result.err
    gaps = {g["what"]: g["code"] for g in out["scopes"][0]["gaps"]}
    assert gaps == {
        "bedrock-agent us-east-1": "DescribeBudget",
        "bedrock-agentcore-control us-east-1": "DescribeBudget",
    }
    calls = out["scopes"][0]["api_calls"]
    assert (
        calls["bedrock-agentcore-control:GetAgentRuntime"] == 1 and "bedrock-agentcore-control:GetGateway" not in calls
    )
    names = {r["name"] for r in db_rows("SELECT name FROM identity WHERE kind LIKE 'agentcore%'")}
    assert {"travel_agent", "batch_agent", "crm-tools"} <= names  # listed, though not described


def test_bedrock_api_key_revoke_deactivates_and_restore_reactivates(nhi, tmp_path, ai_estate):
    result, _ = _scan(nhi, tmp_path, ai_estate)
    assert result.code == 0, result.err
    config = str(tmp_path / "nhi.yaml")

    def status():
        return {c["ServiceSpecificCredentialId"]: c["Status"] for c in ai_fake.state().service_credentials[ACCOUNT]}

    plan = nhi("revoke", "ACCAOLDNOEXPIRY00001", "--config", config, "--db", "nhi.db", "--dry-run")
    assert plan.code == 0, plan.err
    assert status()["ACCAOLDNOEXPIRY00001"] == "Active"  # a plan changes nothing
    done = nhi(
        "revoke",
        "ACCAOLDNOEXPIRY00001",
        "--config",
        config,
        "--db",
        "nhi.db",
        "--yes",
        "--reason",
        "test",
        "-f",
        "json",
    )
    assert done.code == 0, done.err
    assert status() == {
        "ACCAOLDNOEXPIRY00001": "Inactive",
        "ACCAFRESHEXPIRES0002": "Active",
        "ACCAEXPIREDKEY000003": "Active",
    }
    again = nhi("revoke", "ACCAOLDNOEXPIRY00001", "--config", config, "--db", "nhi.db", "--yes", "--reason", "test")
    assert again.code == 0 and "already" in (again.out + again.err).lower()
    revocation = json.loads(done.out)["revocation_id"]
    restored = nhi("restore", str(revocation), "--config", config, "--db", "nhi.db", "--yes")
    assert restored.code == 0, restored.err
    assert status()["ACCAOLDNOEXPIRY00001"] == "Active"


def test_the_fake_rejects_what_the_real_api_would(ai_estate):
    import boto3
    from botocore.exceptions import ClientError

    kw = dict(endpoint_url=ai_estate, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")
    iam = boto3.client("iam", **kw)
    with pytest.raises(ClientError, match="InvalidInput"):
        iam.list_service_specific_credentials(AllUsers=True, UserName="bedrock-dev")
    core = boto3.client("bedrock-agentcore-control", **kw)
    with pytest.raises(ClientError, match="maxResults"):
        core.list_workload_identities(maxResults=50)  # the documented cap is 20
    with pytest.raises(ClientError, match="ResourceNotFound"):
        core.get_workload_identity(name="no-such-identity")
    got = core.get_workload_identity(name="laptop-agent")
    assert got["allowedResourceOauth2ReturnUrls"] == ["http://localhost:8080/callback"] and got["createdTime"]
    agents = boto3.client("bedrock-agent", **kw)
    with pytest.raises(ClientError, match="ResourceNotFound"):
        agents.list_agent_aliases(agentId="NOSUCHAGT1")


def test_platform_agents_are_agents_registered_by_the_platform_with_their_roles(nhi, tmp_path, ai_estate):
    result, _ = _scan(nhi, tmp_path, ai_estate)
    assert result.code == 0, result.err
    listed = nhi("agents", "list", "--db", "nhi.db", "-f", "json")
    assert listed.code == 0, listed.err
    agents = {a["name"]: a for a in json.loads(listed.out)}
    assert agents["support-agent"]["evidence"] == "registered by the platform (Amazon Bedrock Agents)"
    assert agents["travel_agent"]["evidence"] == "registered by the platform (Amazon Bedrock AgentCore Runtime)"
    assert agents["support-agent"]["confidence"] == "high"
    # the JWT-fronted runtime records whom it acts for; the IAM-invoked one and the Bedrock agent do not
    assert agents["travel_agent"]["delegation"] == "recorded"
    assert agents["travel_agent"]["scorecard"]["delegated"]["pass"] is True
    assert agents["batch_agent"]["delegation"] == "not_recorded"
    assert agents["support-agent"]["scorecard"]["delegated"]["pass"] is False
    shown = nhi("agents", "show", "support-agent", "--db", "nhi.db", "-f", "json")
    detail = json.loads(shown.out)
    members = {i["identity_id"]: i for i in detail["identities"]}
    assert ROLE + "support-agent-exec" in members  # its execution role is part of the agent
    assert any(e["kind"] == "execution_role" for e in members[ROLE + "support-agent-exec"]["evidence"])
    assert f"lambda arn:aws:lambda:us-east-1:{ACCOUNT}:function:refunds (action group refunds)" in detail["reach"]
    # the holder of Bedrock API keys is an AI-key holder (medium evidence), not a platform agent
    assert agents["bedrock-dev"]["evidence"] == "holds a Bedrock long-term API key"
    # revoking the platform agent acts on its execution role
    plan = nhi("revoke", "--agent", "support-agent", "--db", "nhi.db", "--config", str(tmp_path / "nhi.yaml"),
               "--dry-run", "-f", "json")  # fmt: skip
    assert plan.code == 0, plan.err
    items = json.loads(plan.out)["plan"]["items"]
    steps = {(s["action"], s["params"].get("role_name")) for i in items for s in i["steps"]}
    assert ("revoke_sessions", "support-agent-exec") in steps


def test_the_demo_lists_its_platform_agents_as_registered_by_the_platform(nhi, tmp_path):
    scanned = nhi("scan", "--demo", "--provider", "aws", "-q", "-f", "json")
    assert scanned.code in (0, 1), scanned.err
    listed = nhi("agents", "list", "-f", "json")
    agents = {a["name"]: a for a in json.loads(listed.out)}
    platform = {n: a["evidence"] for n, a in agents.items() if (a["evidence"] or "").startswith("registered by")}
    assert platform == {
        "support-agent": "registered by the platform (Amazon Bedrock Agents)",
        "concierge_agent": "registered by the platform (Amazon Bedrock AgentCore Runtime)",
        "partner-tools": "registered by the platform (Amazon Bedrock AgentCore Gateway)",
    }
    # the AgentCore runtime behind the company sign-in is the delegated pass case
    concierge = agents["concierge_agent"]
    assert concierge["delegation"] == "recorded"
    assert {p: concierge["scorecard"][p]["pass"] for p in ("scoped", "delegated", "auditable", "revocable")} == {
        "scoped": True,
        "delegated": True,
        "auditable": True,
        "revocable": True,
    }
    assert agents["partner-tools"]["scorecard"]["delegated"]["pass"] is False  # a static key behind a tool
    table = nhi("agents", "list").out.lower()  # the table (wide) or the per-agent lines (narrow) say it too
    assert "registered by the platform" in table and "amazon bedrock agentcore runtime" in table
