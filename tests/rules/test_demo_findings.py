"""The built-in pack on the AWS demo estate (moto): every planted problem is found, nothing on
the clean identities, and a baseline file makes a fresh CI runner gate only on what is new."""

from __future__ import annotations

import json
import sqlite3

from nhi_cli.errors import ExitCode

M, P, S = "arn:aws:iam::123456789012:", "arn:aws:iam::210987654321:", "arn:aws:iam::309876543210:"
EXPECTED = {
    # ops-copilot, the rogue agent: admin key, 400 days old, static, an agent
    ("admin_grant", M + "user/agents/ops-copilot"),
    ("agent_static_credential", "AKIANWOPSCOPILOT0001"),
    ("credential_max_age", "AKIANWOPSCOPILOT0001"),
    # terraform-ci mid-rotation: two keys, broad NotAction policy (PowerUserAccess) that lets it
    # assume OrganizationAccountAccessRole (admin) in the member accounts, whose trust is the
    # management account; the roles it could pass add nothing to PowerUserAccess
    ("multiple_active_keys", M + "user/ci/terraform-ci"),
    ("credential_max_age", "AKIANWTERRAFORMCI001"),
    ("credential_unused", "AKIANWTERRAFORMCI001"),
    ("aws_role_chain_to_admin", M + "user/ci/terraform-ci"),
    ("sensitive_service_wildcard", M + "user/ci/terraform-ci"),
    # backup-exporter: never-used key, owner has left
    ("credential_max_age", "AKIANWBACKUPEXP0001"),
    ("credential_unused", "AKIANWBACKUPEXP0001"),
    ("owner_not_in_directory", M + "user/backup-exporter"),
    # old-reporting: dormant (its only key inactive), not disabled: its departed owner still counts
    ("owner_not_in_directory", M + "user/old-reporting"),
    # jenkins-legacy: no owner, unused, can launch an instance with build-runner's role
    # (ec2:* and iam:PassRole on *)
    ("identity_no_owner", M + "user/jenkins-legacy"),
    ("credential_max_age", "AKIANWJENKINSLEG001"),
    ("credential_unused", "AKIANWJENKINSLEG001"),
    ("privilege_escalation", M + "user/jenkins-legacy"),
    # prod: hot-fix user with password + key, legacy OIDC role, partner trust without external id
    ("admin_grant", P + "user/prod-hotfix"),
    ("nhi_password_and_keys", P + "user/prod-hotfix"),
    ("identity_no_owner", P + "user/prod-hotfix"),
    ("credential_max_age", "AKIANWPRODHOTFIX001"),
    ("credential_unused", "AKIANWPRODHOTFIX001"),
    # the EKS cluster's IRSA role for the ops-copilot deployment (fixtures/demo/kubernetes)
    ("admin_grant", P + "role/eks/eks-agents-admin"),
    ("oidc_trust_without_subject", P + "role/ci/gha-legacy-deploy"),
    ("privilege_escalation", P + "role/ci/gha-legacy-deploy"),
    ("identity_no_owner", P + "role/ci/gha-legacy-deploy"),
    ("trust_external_account_without_external_id", P + "role/partner-data-share"),
    ("owner_not_in_directory", P + "role/partner-data-share"),
    # Organizations' admin role in each member account: admin by design, but unowned
    ("admin_grant", P + "role/OrganizationAccountAccessRole"),
    ("identity_no_owner", P + "role/OrganizationAccountAccessRole"),
    ("admin_grant", S + "role/OrganizationAccountAccessRole"),
    ("identity_no_owner", S + "role/OrganizationAccountAccessRole"),
    # sandbox: idle research role, everything-but-IAM developer role, the intern's key
    ("identity_unused", S + "role/research-notebook"),
    ("identity_no_owner", S + "role/research-notebook"),
    ("sensitive_service_wildcard", S + "role/sandbox-developer"),
    ("identity_no_owner", S + "user/intern-test"),
    ("credential_max_age", "AKIANWINTERNTEST001"),
    ("credential_unused", "AKIANWINTERNTEST001"),
    # ...and the intern's Bedrock long-term API key: never expires, 148 days old
    ("bedrock_api_key_long_lived", "ACCANWINTERNBEDROCK1"),
    ("credential_no_expiry", "ACCANWINTERNBEDROCK1"),
    ("credential_max_age", "ACCANWINTERNBEDROCK1"),
    # AgentCore in prod: the partner-tools gateway calls the partner CRM with a stored API key,
    # 200 days old (the concierge runtime and the Bedrock support agent are clean)
    (
        "agent_tool_static_credential",
        "arn:aws:bedrock-agentcore:us-east-1:210987654321:gateway/partner-tools-7d0b4d08bf",
    ),
    (
        "credential_max_age",
        "arn:aws:bedrock-agentcore:us-east-1:210987654321:token-vault/default/apikeycredentialprovider/partner-crm-key",
    ),
}
CLEAN = (
    "metrics-publisher",
    "breakglass-admin",
    "analytics-agent",
    "analytics-orchestrator",
    "release-bot-deploy",
    "vendor-monitoring",
    "api-ecs-task",
    "prod-etl",
    "sandbox-bot",
    "support-agent-bedrock",
    "concierge-agentcore",
    "partner-tools-gateway",
    "AKIANWMETRICSPUB001",
    "build-runner",
    "firmware-signer",
)


def test_demo_aws_findings_are_exactly_the_planted_ones(nhi, tmp_path):
    first = nhi("scan", "--demo", "--provider", "aws", "--fail-on", "high", "-q", "-f", "json")
    assert first.code == ExitCode.FINDINGS, first.err
    conn = sqlite3.connect(tmp_path / "nhi.db")
    found = set(conn.execute("SELECT rule_id, resource_id FROM finding WHERE status = 'open'").fetchall())
    conn.close()
    assert found - EXPECTED == set(), "flagged but not planted"
    assert EXPECTED - found == set(), "planted but not found"
    assert not [f for f in found if any(f[1].endswith("/" + name) or f[1] == name for name in CLEAN)]

    # a CI runner without a database: the baseline of this scan gates the next one
    assert nhi("findings", "baseline", "-o", tmp_path / "baseline.json").code == 0
    for leftover in tmp_path.glob("nhi.db*"):
        leftover.unlink()
    again = nhi(
        "scan",
        "--demo",
        "--provider",
        "aws",
        "--fail-on",
        "high",
        "--baseline",
        tmp_path / "baseline.json",
        "-q",
        "-f",
        "json",
    )
    assert again.code == ExitCode.OK, again.err
    assert json.loads(again.out)["findings"]["gating"] == []
