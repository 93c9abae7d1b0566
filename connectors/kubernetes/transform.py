"""Kubernetes: pure transforms from cluster-wide list payloads to records (get_* live in clients.py).

Identity model (ids read ``kubernetes:<context>:<kind>/<namespace>/<name>``):
- ``k8s_service_account``: a service account; its RBAC grants (rbac.py), its legacy token
  secrets as credentials, and trusts from the workloads that run as it;
- ``k8s_workload``: a Deployment, StatefulSet, DaemonSet, CronJob, Job or bare Pod, grouped from
  the pods (workloads.py). It holds no credential of its own: it *uses* its service account,
  recorded as a trust on the account (``principal_type`` ``k8s_workload``, action ``runs_as``).
Credentials: ``k8s_legacy_token``, one per ``kubernetes.io/service-account-token`` secret: a
token that never expires. Only the secret's metadata is ever read (clients.py); there is no
hint and no hash because nhi never sees the value.
Links to cloud identities, stored as trusts on the cloud identity with the service account as
principal (``principal_type`` ``k8s_service_account``): ``eks.amazonaws.com/role-arn`` (IRSA,
the role ARN = the AWS identity id), an EKS Pod Identity association read from the EKS API
(eks.py; its ``roleArn``, and its ``targetRoleArn`` when it chains to another account's role),
``iam.gke.io/gcp-service-account`` (the GCP service account e-mail = its identity id),
``azure.workload.identity/client-id`` (the Entra application's client id;
v_workload_identity_links resolves it to the service principal).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from nhi_cli.kit.payloads import iso_time
from nhi_cli.model import MALFORMED, Batch, Credential, Identity, Trust

from .rbac import role_rules, transform_bindings
from .workloads import group_pods, owner_index

PROVIDER = "kubernetes"
# Annotations that are configuration, not description: large and sometimes full of secrets
# pasted into manifests (last-applied-configuration copies the whole object).
DROPPED_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration",)
LINKS = {  # annotation -> (link type, trust action)
    "eks.amazonaws.com/role-arn": ("aws_irsa", "sts:AssumeRoleWithWebIdentity"),
    "iam.gke.io/gcp-service-account": ("gcp_workload_identity", "iam.serviceAccounts.getAccessToken"),
    "azure.workload.identity/client-id": ("azure_workload_identity", "azure:federated_token_exchange"),
}
# The call the EKS Pod Identity Agent makes for a pod; v_workload_identity_links reads it as aws_pod_identity
POD_IDENTITY_ACTION = "eks-auth:AssumeRoleForPodIdentity"


def sa_id(scope: str, namespace: str, name: str) -> str:
    return f"kubernetes:{scope}:serviceaccount/{namespace}/{name}"


def workload_id(scope: str, kind: str, namespace: str, name: str) -> str:
    return f"kubernetes:{scope}:{kind.lower()}/{namespace}/{name}"


def secret_id(scope: str, namespace: str, name: str) -> str:
    return f"kubernetes:{scope}:secret/{namespace}/{name}"


def _time(value: Any) -> datetime | None:
    return iso_time(value) if value else None


def _annotations(meta: dict[str, Any]) -> dict[str, str]:
    return {k: v for k, v in (meta.get("annotations") or {}).items() if k not in DROPPED_ANNOTATIONS}


def owner_of(labels: dict[str, Any], annotations: dict[str, Any], keys: list[str]) -> tuple[str | None, str | None]:
    for key in keys:
        for where, values in (("annotation", annotations), ("label", labels)):
            if values.get(key):
                return str(values[key]), f"{where}:{key}"
    return None, None


def _named(items: list[Any], what: str, batch: Batch) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(item, metadata) of each item with a metadata.name; any other is a gap naming its kind."""
    for item in items:
        meta = item.get("metadata") if isinstance(item, dict) else None
        if not isinstance(meta, dict) or not isinstance(meta.get("name"), str):
            batch.gap(what, MALFORMED, f"a {what} without metadata.name")
            continue
        yield item, meta


def _link(scope: str, principal: str, ns: str, name: str, target: str, action: str) -> Trust:
    """Service account ``principal`` becomes cloud identity ``target``."""
    return Trust(
        identity_id=target,
        provider=PROVIDER,
        scope=scope,
        principal_type="k8s_service_account",
        principal=principal,
        action=action,
        principal_account=scope,
        subject_condition=f"system:serviceaccount:{ns}:{name}",
    )


def transform_cluster(
    scope: str,
    lists: dict[str, list[dict[str, Any]]],
    *,
    owner_keys: list[str],
    privileged_namespaces: Sequence[str] = (),
    pod_identities: Sequence[dict[str, Any]] = (),
) -> Batch:
    """Every record of one cluster from its lists (missing lists, e.g. forbidden, are []) and
    its EKS Pod Identity associations (DescribePodIdentityAssociation's ``association``)."""
    batch = Batch()
    accounts: dict[tuple[str, str], dict[str, Any]] = {}
    for item, meta in _named(lists.get("serviceaccounts", []), "service account", batch):
        accounts[(meta.get("namespace") or "", meta["name"])] = item

    def sid(ns: str, name: str) -> str:
        return sa_id(scope, ns, name)

    # Workloads, from pods.
    pods_read = "pods" in lists
    # Every RBAC list read: "no grant" then means no grant, not "could not see".
    rbac_read = all(r in lists for r in ("roles", "clusterroles", "rolebindings", "clusterrolebindings"))
    automount = {k: v.get("automountServiceAccountToken") for k, v in accounts.items()}
    try:
        workloads = group_pods(
            lists.get("pods", []),
            owner_index(lists.get("replicasets", [])),
            owner_index(lists.get("jobs", [])),
            automount,
        )
    except ValueError as exc:
        batch.gap("pods", MALFORMED, str(exc))
        workloads = {}
    used_by: dict[tuple[str, str], list[str]] = {}
    pods_of: dict[tuple[str, str], int] = {}
    mounted_by: dict[tuple[str, str], list[str]] = {}
    for (kind, ns, name), w in sorted(workloads.items()):
        wid = workload_id(scope, kind, ns, name)
        annotations = {k: v for k, v in w.annotations.items() if k not in DROPPED_ANNOTATIONS}
        owner, owner_source = owner_of(w.labels, annotations, owner_keys)
        batch.identities.append(
            Identity(
                id=wid,
                provider=PROVIDER,
                scope=scope,
                kind="k8s_workload",
                name=f"{ns}/{name}",
                created_at=_time(w.created_at),
                owner=owner,
                owner_source=owner_source,
                description=f"{kind} {name} in namespace {ns} ({w.pods} pod{'s' if w.pods != 1 else ''})",
                tags=dict(w.labels),
                attrs={
                    "workload_kind": kind,
                    "namespace": ns,
                    "service_accounts": sorted(w.service_accounts),
                    "pods": w.pods,
                    "token_mounted": w.token_mounted,
                    "rbac_read": rbac_read,
                    "last_used_unknown": True,
                },
            )
        )
        for sa in sorted(w.service_accounts):
            used_by.setdefault((ns, sa), []).append(wid)
            pods_of[(ns, sa)] = pods_of.get((ns, sa), 0) + w.pods
            if w.token_mounted:
                mounted_by.setdefault((ns, sa), []).append(wid)
            batch.trusts.append(
                Trust(
                    identity_id=sid(ns, sa),
                    provider=PROVIDER,
                    scope=scope,
                    principal_type="k8s_workload",
                    principal=wid,
                    action="runs_as",
                    principal_account=scope,
                )
            )

    # Legacy token secrets (metadata only).
    tokens: dict[tuple[str, str], int] = {}
    for item, meta in _named(lists.get("secrets", []), "token secret", batch):
        if item.get("type") not in (None, "kubernetes.io/service-account-token"):
            continue  # the field selector already filtered; a server that ignored it sent others
        ns = meta.get("namespace") or ""
        annotations = meta.get("annotations") or {}
        owner_sa = annotations.get("kubernetes.io/service-account.name")
        if not owner_sa:
            batch.gap("token secret", MALFORMED, f"{ns}/{meta['name']} names no service account")
            continue
        tokens[(ns, owner_sa)] = tokens.get((ns, owner_sa), 0) + 1
        batch.credentials.append(
            Credential(
                id=secret_id(scope, ns, meta["name"]),
                identity_id=sid(ns, owner_sa),
                provider=PROVIDER,
                scope=scope,
                kind="k8s_legacy_token",
                status="active",
                name=f"{ns}/{meta['name']}",
                created_at=_time(meta.get("creationTimestamp")),
                supports_expiry=False,
                key_id=meta.get("uid"),
                attrs={
                    "namespace": ns,
                    "secret_name": meta["name"],
                    "service_account": owner_sa,
                    "service_account_uid": annotations.get("kubernetes.io/service-account.uid"),
                    "last_used_unknown": True,
                },
            )
        )

    # EKS Pod Identity: the same link as the IRSA annotation, kept in the EKS API instead.
    associations: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for association in pod_identities:
        key = (association.get("namespace") or "", association.get("serviceAccount") or "")
        if key not in accounts:
            continue  # links no account that exists: no pod can run as it
        if not association.get("roleArn"):
            batch.gap("eks pod identity", MALFORMED, f"association {association.get('associationId')} names no roleArn")
            continue
        for role in (association["roleArn"], association.get("targetRoleArn")):
            if role:
                associations.setdefault(key, []).append((role, association.get("associationId") or ""))

    # Service accounts and their cloud links.
    for (ns, name), item in sorted(accounts.items()):
        meta = item["metadata"]
        annotations = _annotations(meta)
        labels = meta.get("labels") or {}
        owner, owner_source = owner_of(labels, annotations, owner_keys)
        links = []
        for annotation, (link_type, action) in LINKS.items():
            target = annotations.get(annotation)
            if not target:
                continue
            links.append({"type": link_type, "target": target})
            batch.trusts.append(_link(scope, sid(ns, name), ns, name, target, action))
        for target, association_id in associations.get((ns, name), []):
            links.append({"type": "aws_pod_identity", "target": target, "association": association_id})
            batch.trusts.append(_link(scope, sid(ns, name), ns, name, target, POD_IDENTITY_ACTION))
        batch.identities.append(
            Identity(
                id=sid(ns, name),
                provider=PROVIDER,
                scope=scope,
                kind="k8s_service_account",
                name=f"{ns}/{name}",
                created_at=_time(meta.get("creationTimestamp")),
                owner=owner,
                owner_source=owner_source,
                description=annotations.get("description"),
                # the namespace's default account exists in every namespace: platform-made
                is_platform=False,
                tags=dict(labels),
                attrs={
                    "namespace": ns,
                    "uid": meta.get("uid"),
                    "is_default": name == "default",
                    "automount_token": item.get("automountServiceAccountToken") is not False,
                    "annotations": annotations,
                    # None when the pods (or secrets) could not be listed: unknown, not zero
                    "workloads": used_by.get((ns, name), []) if pods_read else None,
                    "pods": pods_of.get((ns, name), 0) if pods_read else None,
                    "token_mounted_in": mounted_by.get((ns, name), []) if pods_read else None,
                    "legacy_tokens": tokens.get((ns, name), 0) if "secrets" in lists else None,
                    # the API records no use of an account or a token: rules must not read "never"
                    "last_used_unknown": True,
                    "cloud_links": links,
                    "rbac_read": rbac_read,
                },
            )
        )

    # RBAC.
    names_by_ns: dict[str, list[str]] = {}
    for ns, name in accounts:
        names_by_ns.setdefault(ns, []).append(name)
    grants, dangling = transform_bindings(
        scope,
        lists.get("rolebindings", []),
        lists.get("clusterrolebindings", []),
        role_rules(lists.get("roles", []), lists.get("clusterroles", [])),
        names_by_ns,
        sid,
        privileged_namespaces,
    )
    batch.grants.extend(grants)
    dangling_of: dict[str, list[str]] = {}
    for d in dangling:
        for subject in d["subjects"]:
            dangling_of.setdefault(subject, []).append(d["binding"])
    for identity in batch.identities:
        if identity.kind == "k8s_service_account":
            identity.attrs["dangling_bindings"] = dangling_of.get(identity.id, [])
    return batch
