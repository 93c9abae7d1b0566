"""Transform (pure): pods grouped by the workload that owns them.

A pod's controller owner reference is followed up one level through the cluster-wide
ReplicaSet and Job lists (metadata only): ReplicaSet -> Deployment, Job -> CronJob. StatefulSets
and DaemonSets own their pods directly; a pod with no controller is its own workload.
A pod mounts an API token when a projected ``serviceAccountToken`` volume is in its spec (what
admission adds), or, for a spec not yet admitted, when neither the pod nor its service account
sets ``automountServiceAccountToken: false``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Workload:
    kind: str  # Deployment, StatefulSet, DaemonSet, CronJob, Job, ReplicaSet, Pod
    namespace: str
    name: str
    service_accounts: set[str] = field(default_factory=set)
    pods: int = 0
    token_mounted: bool = False
    created_at: str | None = None
    labels: dict[str, Any] = field(default_factory=dict)
    annotations: dict[str, Any] = field(default_factory=dict)


def _controller(meta: dict[str, Any]) -> tuple[str, str] | None:
    for ref in meta.get("ownerReferences") or []:
        if ref.get("controller"):
            return ref.get("kind"), ref.get("name")
    return None


def owner_index(items: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[str, str]]:
    """(namespace, name) -> (controller kind, name) for ReplicaSets or Jobs that have one."""
    out = {}
    for item in items:
        meta = item.get("metadata") or {}
        owner = _controller(meta)
        if owner:
            out[(meta.get("namespace") or "", meta.get("name") or "")] = owner
    return out


def _mounts_token(spec: dict[str, Any], sa_automount: bool | None) -> bool:
    for volume in spec.get("volumes") or []:
        for source in (volume.get("projected") or {}).get("sources") or []:
            if "serviceAccountToken" in source:
                return True
    if spec.get("automountServiceAccountToken") is not None:
        return bool(spec["automountServiceAccountToken"])
    return sa_automount is not False


def group_pods(
    pods: list[dict[str, Any]],
    replica_sets: dict[tuple[str, str], tuple[str, str]],
    jobs: dict[tuple[str, str], tuple[str, str]],
    sa_automount: dict[tuple[str, str], bool | None],
) -> dict[tuple[str, str, str], Workload]:
    """(kind, namespace, name) -> workload, from every pod."""
    out: dict[tuple[str, str, str], Workload] = {}
    for pod in pods:
        meta = pod.get("metadata") or {}
        spec = pod.get("spec") or {}
        ns, name = meta.get("namespace") or "", meta.get("name")
        if not name:
            raise ValueError("a pod without metadata.name")
        kind, owner = _controller(meta) or ("Pod", name)
        if kind == "ReplicaSet" and (ns, owner) in replica_sets:
            kind, owner = replica_sets[(ns, owner)]
        elif kind == "Job" and (ns, owner) in jobs:
            kind, owner = jobs[(ns, owner)]
        sa = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
        workload = out.setdefault((kind, ns, owner), Workload(kind, ns, owner))
        workload.service_accounts.add(sa)
        workload.pods += 1
        workload.token_mounted = workload.token_mounted or _mounts_token(spec, sa_automount.get((ns, sa)))
        created = meta.get("creationTimestamp")
        if created and (workload.created_at is None or created < workload.created_at):
            workload.created_at = created
        if not workload.labels:
            workload.labels = dict(meta.get("labels") or {})
            workload.annotations = dict(meta.get("annotations") or {})
    return out
