"""The API budget: one cluster-wide LIST per resource type and page, whatever the size."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from nhi_cli.kit.connector import CollectContext
from nhi_cli.model import Scope, utcnow
from nhi_connectors.kubernetes import KubernetesConnector
from nhi_connectors.kubernetes.fake import KubernetesFake
from nhi_connectors.kubernetes.settings import KubernetesSettings

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "k8s_scan.py"


def _cluster(pods: int, accounts: int, bindings: int) -> dict:
    spec = importlib.util.spec_from_file_location("k8s_scan_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.cluster(pods, accounts, bindings)


def _calls(tmp_path, objects, page_size: int) -> tuple[dict, int]:
    with KubernetesFake(objects, tokens={"t"}) as fake:
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(json.dumps(fake.kubeconfig("c", token="t")))
        ctx = CollectContext(
            now=utcnow(), settings=KubernetesSettings(kubeconfig_path=str(kubeconfig), page_size=page_size)
        )
        scope_ctx = ctx.for_scope()
        batch = KubernetesConnector().collect(scope_ctx, Scope("kubernetes", "c"))
        assert not scope_ctx.gaps
        return dict(scope_ctx.calls), len([i for i in batch.identities if i.kind == "k8s_workload"])


@pytest.mark.parametrize("page_size, pod_pages", [(5000, 1), (100, 10)])
def test_calls_do_not_grow_with_namespaces_or_objects(tmp_path, page_size, pod_pages):
    small, _ = _calls(tmp_path, _cluster(50, 50, 50), 5000)
    assert small == {
        f"k8s:LIST {r}": 1
        for r in (
            "serviceaccounts",
            "secrets",
            "pods",
            "replicasets",
            "jobs",
            "roles",
            "clusterroles",
            "rolebindings",
            "clusterrolebindings",
        )
    }
    large, workloads = _calls(tmp_path, _cluster(1000, 400, 900), page_size)
    assert workloads == 200  # 1,000 pods in Deployments of five
    assert large["k8s:LIST pods"] == pod_pages
    assert large["k8s:LIST serviceaccounts"] == (1 if page_size >= 400 else 4)
    assert sum(large.values()) == sum(-(-n // page_size) or 1 for n in (400, 20, 1000, 200, 0, 50, 3, 810, 90))
