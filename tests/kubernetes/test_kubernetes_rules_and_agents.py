"""The Kubernetes rules on a scanned cluster, and agents that follow a workload to the account it
runs as."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from k8s_helpers import configure, fake_cluster, write_kubeconfig

from tests.conftest import db_rows

SA = "kubernetes:prod:serviceaccount/"


def _findings() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for row in db_rows("SELECT rule_id, resource_id FROM finding WHERE status = 'open' AND rule_id LIKE 'k8s_%'"):
        out.setdefault(row["rule_id"], set()).add(row["resource_id"])
    return out


def test_rules_alarm_on_the_cluster_that_earns_them(nhi):
    with fake_cluster() as fake:
        write_kubeconfig(Path("kubeconfig"), {"prod": fake.url})
        configure({})
        result = nhi("scan", "--provider", "kubernetes")
    assert result.code in (0, 1), result.err
    found = _findings()
    assert found["k8s_legacy_token_secret"] == {"kubernetes:prod:secret/payments/legacy-deployer-token"}
    # cluster-admin, minting tokens (kube-system is ignored by default), pods/exec
    assert found["k8s_service_account_escalation"] == {SA + "agents/ops-bot", SA + "agents/azure-agent"}
    assert found["k8s_default_service_account_bound"] == {SA + "default/default"}
    # reader-0 mounts a token of idle-reader, which no binding names; debug has automount off
    assert found["k8s_token_automount_without_rbac"] == {"kubernetes:prod:statefulset/payments/reader"}
    # no pod runs as these (defaults and kube-system are left alone)
    assert found["k8s_service_account_unused"] == {SA + "payments/orphan", SA + "payments/legacy-deployer"}
    # the cloud identities are not in this inventory: no link resolves, nothing to judge
    assert "k8s_workload_identity_admin" not in found
    # usage is unknown to the Kubernetes API: the generic unused rules stay quiet
    unused = db_rows("SELECT resource_id FROM finding WHERE rule_id IN ('identity_unused', 'credential_unused')")
    assert not [r for r in unused if r["resource_id"].startswith("kubernetes:")]
    (reason,) = db_rows(
        "SELECT reason FROM finding WHERE rule_id = 'k8s_service_account_escalation' AND resource_id = ?",
        SA + "agents/azure-agent",
    )
    assert reason["reason"].startswith("Service account agents/azure-agent can create agents/core/pods/exec")


def test_an_agent_holds_the_account_its_deployment_runs_as(nhi):
    with fake_cluster() as fake:
        write_kubeconfig(Path("kubeconfig"), {"prod": fake.url})
        config = {
            "version": 1,
            "providers": {"kubernetes": {"kubeconfig_path": "kubeconfig"}},
            "agents": [{"name": "ops-bot", "identities": ["kubernetes:*:deployment/agents/ops-bot"]}],
        }
        Path("nhi.yaml").write_text(yaml.safe_dump(config))
        assert nhi("scan", "--provider", "kubernetes").code in (0, 1)
    shown = nhi("agents", "show", "ops-bot", "--format", "json")
    assert shown.code == 0, shown.err
    members = {i["identity_id"]: i for i in json.loads(shown.out)["identities"]}
    assert set(members) == {"kubernetes:prod:deployment/agents/ops-bot", SA + "agents/ops-bot"}
    (evidence,) = members[SA + "agents/ops-bot"]["evidence"]
    assert evidence["detail"] == "kubernetes:prod:deployment/agents/ops-bot runs as " + SA + "agents/ops-bot"
