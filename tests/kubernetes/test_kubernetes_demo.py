"""The demo's EKS cluster tells its part: the rogue agent's deployment runs as a service account
bound to cluster-admin, which becomes (IRSA) an AWS role with AdministratorAccess, all in one
chain that `nhi agents show` prints and `nhi revoke --agent` cuts."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import db_rows

DEPLOYMENT = "kubernetes:northwind-eks:deployment/agents/ops-copilot"
ACCOUNT = "kubernetes:northwind-eks:serviceaccount/agents/ops-copilot"
ROLE = "arn:aws:iam::210987654321:role/eks/eks-agents-admin"


def test_demo_cluster_chain_findings_and_kill_switch(nhi):
    result = nhi("scan", "--demo", "--provider", "aws", "--provider", "kubernetes")
    assert result.code in (0, 1), result.err

    # nhi agents show: deployment -> service account -> AWS admin role, in one chain
    shown = nhi("agents", "show", "ops-copilot", "--format", "json")
    assert shown.code == 0, shown.err
    agent = json.loads(shown.out)
    (chain,) = agent["chains"]
    assert [(h["id"], h["how"], h["admin"]) for h in chain] == [
        (DEPLOYMENT, None, False),
        (ACCOUNT, "runs as", True),  # bound to cluster-admin
        (ROLE, "becomes (aws irsa)", True),  # AdministratorAccess
    ]
    # the role joins the agent only through the chain: no pattern of nhi.yaml names it
    role = next(i for i in agent["identities"] if i["identity_id"] == ROLE)
    assert [e["kind"] for e in role["evidence"]] == ["runtime_chain"]
    table = nhi("agents", "show", "ops-copilot")
    line = next(x for x in table.out.splitlines() if x.startswith("Runtime chain:"))
    assert line == (
        "Runtime chain: k8s_workload agents/ops-copilot (kubernetes) --runs as--> "
        "k8s_service_account agents/ops-copilot (kubernetes) [admin] --becomes (aws irsa)--> "
        "iam_role eks-agents-admin (aws) [admin]"
    )

    # the cluster's findings
    found = {
        (r["rule_id"], r["resource_id"])
        for r in db_rows(
            "SELECT rule_id, resource_id FROM finding WHERE status = 'open' AND resource_id LIKE 'kubernetes:%'"
        )
    }
    for expected in [
        ("k8s_workload_identity_admin", ACCOUNT),
        ("k8s_service_account_escalation", ACCOUNT),
        ("k8s_legacy_token_secret", "kubernetes:northwind-eks:secret/ci/deployer-token"),
        ("k8s_token_automount_without_rbac", "kubernetes:northwind-eks:deployment/web/storefront"),
        ("k8s_default_service_account_bound", "kubernetes:northwind-eks:serviceaccount/web/default"),
        ("k8s_service_account_unused", "kubernetes:northwind-eks:serviceaccount/web/old-batch"),
    ]:
        assert expected in found
    assert "NORTHWIND-DEMO-LEGACY-TOKEN" not in Path("nhi.db").read_bytes().decode("latin-1")

    # the kill switch reaches the service account and the AWS role through the chain
    plan = nhi("revoke", "--demo", "--agent", "ops-copilot", "--dry-run", "--reason", "drill", "-f", "json")
    assert plan.code == 0, plan.err
    items = json.loads(plan.out)["plan"]["items"]
    steps = {(s["target_id"], s["action"]) for item in items for s in item["steps"]}
    assert (ACCOUNT, "remove_role_bindings") in steps
    assert any(target == ROLE for target, _ in steps)
