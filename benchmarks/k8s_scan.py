"""Kubernetes scan at scale: a synthetic cluster served by the fake API server, scanned by the
real `nhi scan` (official client, real HTTP on loopback) in a child process.

    .venv/bin/python benchmarks/k8s_scan.py                 # 10,000 pods, 2,000 SAs, 5,000 bindings
    .venv/bin/python benchmarks/k8s_scan.py --pods 1000 --accounts 200 --bindings 500
    .venv/bin/python benchmarks/k8s_scan.py --pod-identity 200   # an EKS cluster, 200 associations
    .venv/bin/python benchmarks/k8s_scan.py --pod-identity 200 --eks-latency-ms 40   # a real region's round trip

With ``--pod-identity N`` the cluster is an EKS cluster (its kubeconfig entry is an EKS ARN) and
the EKS fake (connectors/kubernetes/eks_fake.py) holds N Pod Identity associations, one for
each of the first N accounts without IRSA, plus N // 10 naming accounts that do not exist.

Reports the API calls by name (from the scan's scope result), the scan's wall time, the
connector's collect time, the records written and the scan process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TS = "2026-01-01T00:00:00Z"


def cluster(pods: int, accounts: int, bindings: int, namespaces: int = 50) -> dict[str, list[dict]]:
    """Deployments of 5 pods each (ReplicaSet -> Deployment), accounts spread over namespaces,
    one Role per namespace, a few ClusterRoles, bindings naming accounts round-robin; one
    legacy token secret per 20 accounts."""
    ns = [f"team-{i:02d}" for i in range(namespaces)]
    sas = [
        {
            "metadata": {
                "name": f"sa-{i}",
                "namespace": ns[i % namespaces],
                "uid": f"u-sa-{i}",
                "creationTimestamp": TS,
                "annotations": {"owner": f"team{i % namespaces}@example.com"},
            }
        }
        for i in range(accounts)
    ]
    for i, sa in enumerate(sas[: accounts // 10]):  # one in ten has IRSA
        sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] = f"arn:aws:iam::111122223333:role/app-{i}"
    secrets = [
        {
            "metadata": {
                "name": f"sa-{i}-token",
                "namespace": ns[i % namespaces],
                "uid": f"u-sec-{i}",
                "creationTimestamp": TS,
                "annotations": {"kubernetes.io/service-account.name": f"sa-{i}"},
            },
            "type": "kubernetes.io/service-account-token",
            "data": {"token": "QkVOQ0g="},
        }
        for i in range(0, accounts, 20)
    ]
    deployments = max(1, pods // 5)
    replica_sets, pod_items = [], []
    for d in range(deployments):
        namespace, sa = ns[d % namespaces], d % accounts
        sa_name = f"sa-{sa - (sa % namespaces) + (d % namespaces)}" if accounts >= namespaces else f"sa-{sa}"
        replica_sets.append(
            {
                "metadata": {
                    "name": f"app-{d}-5d8c",
                    "namespace": namespace,
                    "uid": f"u-rs-{d}",
                    "creationTimestamp": TS,
                    "ownerReferences": [
                        {
                            "apiVersion": "apps/v1",
                            "kind": "Deployment",
                            "name": f"app-{d}",
                            "uid": f"u-dep-{d}",
                            "controller": True,
                        }
                    ],
                },
                "spec": {"selector": {"matchLabels": {"app": f"app-{d}"}}},
            }
        )
        for p in range(5):
            if len(pod_items) >= pods:
                break
            pod_items.append(
                {
                    "metadata": {
                        "name": f"app-{d}-5d8c-{p}",
                        "namespace": namespace,
                        "uid": f"u-pod-{d}-{p}",
                        "creationTimestamp": TS,
                        "labels": {"app": f"app-{d}"},
                        "ownerReferences": [
                            {
                                "apiVersion": "apps/v1",
                                "kind": "ReplicaSet",
                                "name": f"app-{d}-5d8c",
                                "uid": f"u-rs-{d}",
                                "controller": True,
                            }
                        ],
                    },
                    "spec": {
                        "serviceAccountName": sa_name,
                        "containers": [{"name": "app", "image": "registry.example/app:1"}],
                        "volumes": [
                            {
                                "name": "kube-api-access",
                                "projected": {
                                    "sources": [{"serviceAccountToken": {"path": "token", "expirationSeconds": 3607}}]
                                },
                            }
                        ],
                    },
                    "status": {"phase": "Running"},
                }
            )
    rule = lambda g, r, v: {"apiGroups": g, "resources": r, "verbs": v}  # noqa: E731
    roles = [
        {
            "metadata": {"name": "app", "namespace": n, "uid": f"u-role-{n}", "creationTimestamp": TS},
            "rules": [
                rule([""], ["configmaps", "services"], ["get", "list", "watch"]),
                rule(["apps"], ["deployments"], ["get", "list"]),
            ],
        }
        for n in ns
    ]
    cluster_roles = [
        {
            "metadata": {"name": "cluster-admin", "uid": "u-cr-0", "creationTimestamp": TS},
            "rules": [rule(["*"], ["*"], ["*"])],
        },
        {
            "metadata": {"name": "secret-reader", "uid": "u-cr-1", "creationTimestamp": TS},
            "rules": [rule([""], ["secrets"], ["get", "list"])],
        },
        {
            "metadata": {"name": "pod-exec", "uid": "u-cr-2", "creationTimestamp": TS},
            "rules": [rule([""], ["pods/exec"], ["create"])],
        },
    ]
    role_bindings, cluster_role_bindings = [], []
    for b in range(bindings):
        i = b % accounts
        subject = {"kind": "ServiceAccount", "name": f"sa-{i}", "namespace": ns[i % namespaces]}
        ref = lambda kind, name: {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name}  # noqa: E731
        if b % 10 == 0:
            name = ["cluster-admin", "secret-reader", "pod-exec"][(b // 10) % 3]
            cluster_role_bindings.append(
                {
                    "metadata": {"name": f"crb-{b}", "uid": f"u-crb-{b}", "creationTimestamp": TS},
                    "roleRef": ref("ClusterRole", name),
                    "subjects": [subject],
                }
            )
        else:
            role_bindings.append(
                {
                    "metadata": {
                        "name": f"rb-{b}",
                        "namespace": ns[i % namespaces],
                        "uid": f"u-rb-{b}",
                        "creationTimestamp": TS,
                    },
                    "roleRef": ref("Role", "app"),
                    "subjects": [subject],
                }
            )
    return {
        "serviceaccounts": sas,
        "secrets": secrets,
        "pods": pod_items,
        "replicasets": replica_sets,
        "jobs": [],
        "roles": roles,
        "clusterroles": cluster_roles,
        "rolebindings": role_bindings,
        "clusterrolebindings": cluster_role_bindings,
    }


EKS_ARN = "arn:aws:eks:us-east-1:111122223333:cluster/bench"


def run(
    pods: int,
    accounts: int,
    bindings: int,
    page_size: int,
    strict: bool,
    pod_identity: int = 0,
    eks_latency_ms: float = 0.0,
) -> dict:
    from nhi_connectors.kubernetes.eks_fake import EksFake
    from nhi_connectors.kubernetes.fake import KubernetesFake

    objects = cluster(pods, accounts, bindings)
    entry = EKS_ARN if pod_identity else None
    with (
        tempfile.TemporaryDirectory() as tmp,
        KubernetesFake(objects, tokens={"bench"}, strict=strict, cluster="bench", cluster_entry=entry) as fake,
        EksFake(latency=eks_latency_ms / 1000) as eks,
    ):
        now = datetime.now(UTC)
        first = accounts // 10  # the IRSA accounts come first
        for i in range(first, first + pod_identity):
            ns = objects["serviceaccounts"][i]["metadata"]["namespace"]
            eks.add_association("bench", ns, f"sa-{i}", f"arn:aws:iam::111122223333:role/pod-{i}", created=now)
        for i in range(pod_identity // 10):
            eks.add_association("bench", "team-00", f"gone-{i}", "arn:aws:iam::111122223333:role/gone", created=now)
        folder = Path(tmp)
        (folder / "kubeconfig").write_text(json.dumps(fake.kubeconfig("bench", token="bench")))
        settings = {"kubeconfig_path": str(folder / "kubeconfig"), "page_size": page_size, "eks_endpoint": eks.url}
        (folder / "nhi.yaml").write_text(json.dumps({"version": 1, "providers": {"kubernetes": settings}}))
        env = dict(os.environ, NHI_CONFIG=str(folder / "nhi.yaml"), NHI_DB=str(folder / "nhi.db"), NO_COLOR="1")
        env.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")
        env.pop("AWS_PROFILE", None)
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "nhi_cli", "scan", "--provider", "kubernetes", "--quiet"],
            env=env,
            cwd=folder,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        conn = sqlite3.connect(folder / "nhi.db")
        (calls, duration) = conn.execute("SELECT api_calls, duration_ms FROM scope_result").fetchone()
        count = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        out = {
            "pods": pods,
            "accounts": accounts,
            "bindings": bindings,
            "page_size": page_size,
            "strict_fake": strict,
            "exit": proc.returncode,
            "calls": json.loads(calls),
            "collect_s": round(duration / 1000, 2),
            "scan_s": round(wall, 2),
            "peak_rss_mb": round(max(peak, before) / 1024),
            "identities": count("SELECT COUNT(*) FROM identity"),
            "credentials": count("SELECT COUNT(*) FROM credential"),
            "grants": count('SELECT COUNT(*) FROM "grant"'),
            "trusts": count("SELECT COUNT(*) FROM trust"),
            "requests_served": len(fake.requests) + len(eks.requests),
            "pod_identity_associations": pod_identity + pod_identity // 10,
            "eks_latency_ms": eks_latency_ms,
        }
        conn.close()
        if proc.returncode not in (0, 1):
            out["stderr"] = proc.stderr[-800:]
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--accounts", type=int, default=2_000)
    parser.add_argument("--bindings", type=int, default=5_000)
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--strict", action="store_true", help="validate every page against the client's models")
    parser.add_argument("--pod-identity", type=int, default=0, help="an EKS cluster with this many associations")
    parser.add_argument(
        "--eks-latency-ms", type=float, default=0.0, help="each EKS answer waits this long (a real region's round trip)"
    )
    args = parser.parse_args()
    result = run(
        args.pods, args.accounts, args.bindings, args.page_size, args.strict, args.pod_identity, args.eks_latency_ms
    )
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
