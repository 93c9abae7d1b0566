"""Kubernetes clusters: service accounts, legacy token secrets, workloads (pods grouped by
owner), RBAC grants, and the cloud identities service accounts become (IRSA, EKS Pod Identity,
GKE and Azure workload identity). Auth: the kubeconfig's contexts (the current one by default;
``contexts:`` or ``all_contexts: true``), or the in-cluster service account. One scope per
context. Budget: nine cluster-wide LIST calls per cluster, one more per page (clients.py); on an
EKS cluster one eks:ListPodIdentityAssociations per 100 associations and one
eks:DescribePodIdentityAssociation per association of an existing service account (eks.py).
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from nhi_cli.kit.connector import (
    AuthFailed,
    CollectContext,
    Connector,
    RevokeStep,
    ScopeDenied,
    ScopeError,
    ScopeFailed,
    StepOutcome,
)
from nhi_cli.kit.demo import fake_aws_credentials
from nhi_cli.model import MALFORMED, Batch, Scope

from . import revoke, transform
from .clients import LISTINGS, close, get_list, kubeconfig_entries, list_contexts, make_api_client, use_in_cluster
from .eks import EksCluster, eks_cluster_of, get_pod_identities, service_account_keys
from .eks_fake import EksFake
from .fake import KubernetesFake
from .revoke import REVOKE_KINDS
from .settings import IN_CLUSTER, KubernetesSettings

# A 403 on these lists loses records of their own (credentials, workloads): see ctx.gap. A list
# that could not be read is left out of ``lists``: the transform then says "unknown", not 0.
FEEDS_RECORDS = {"secrets", "pods"}
# The demo's cluster as `aws eks update-kubeconfig --alias northwind-eks` names it
DEMO_EKS_ARN = "arn:aws:eks:us-east-1:210987654321:cluster/northwind-eks"


class KubernetesConnector(Connector):
    name = "kubernetes"
    Settings = KubernetesSettings
    revoke_kinds: ClassVar[dict[str, list[str]]] = REVOKE_KINDS

    def scopes(self, ctx: CollectContext) -> list[Scope]:
        settings: KubernetesSettings = ctx.settings
        if use_in_cluster(settings):
            eks = eks_cluster_of(None, None, None, settings.eks_clusters.get(IN_CLUSTER))
            return [Scope("kubernetes", IN_CLUSTER, IN_CLUSTER, {"cluster": IN_CLUSTER, "eks": _attrs(eks)})]
        contexts, current = list_contexts(settings)
        clusters, users = kubeconfig_entries(settings)
        by_name = {c["name"]: c for c in contexts if isinstance(c, dict) and c.get("name")}
        if settings.all_contexts:
            chosen = list(by_name)
        elif settings.contexts:
            unknown = [c for c in settings.contexts if c not in by_name]
            if unknown:
                raise AuthFailed(
                    "unknown_context",
                    f"providers.kubernetes.contexts: {', '.join(unknown)} not in the kubeconfig "
                    f"(contexts: {', '.join(by_name) or 'none'})",
                )
            chosen = list(settings.contexts)
        elif current:
            chosen = [current]
        else:
            raise AuthFailed("no_current_context", "the kubeconfig has no current-context; set contexts: in nhi.yaml")
        scopes = []
        for name in chosen:
            entry = by_name[name].get("context") or {}
            cluster, user = entry.get("cluster"), entry.get("user")
            eks = eks_cluster_of(
                cluster,
                ((clusters.get(cluster) if isinstance(cluster, str) else None) or {}).get("server"),
                users.get(user) if isinstance(user, str) else None,
                settings.eks_clusters.get(name),
            )
            scopes.append(Scope("kubernetes", name, cluster or name, {"cluster": cluster, "eks": _attrs(eks)}))
        return scopes

    def collect(self, ctx: CollectContext, scope: Scope) -> Batch:
        settings: KubernetesSettings = ctx.settings
        api = make_api_client(ctx, scope.id)
        lists: dict[str, list[dict[str, Any]]] = {}
        try:
            # Service accounts first: refused or unreachable here, the cluster is denied.
            lists["serviceaccounts"], _version = get_list(ctx, api, "serviceaccounts")
            for resource in LISTINGS:
                if resource == "serviceaccounts":
                    continue
                try:
                    lists[resource], _version = get_list(ctx, api, resource)
                except ScopeDenied as exc:
                    if exc.code == "unreachable":
                        raise
                    ctx.gap(resource, exc.code, exc.message, records_missing=resource in FEEDS_RECORDS)
                except ScopeFailed as exc:
                    if exc.code == "cancelled":
                        raise
                    ctx.gap(resource, exc.code, exc.message, records_missing=resource in FEEDS_RECORDS)
        finally:
            close(api)
        pod_identities: list[dict[str, Any]] = []
        eks = scope.attrs.get("eks")
        if eks and settings.eks_pod_identity:
            accounts = service_account_keys(lists["serviceaccounts"])
            pod_identities = get_pod_identities(ctx, EksCluster(**eks), accounts)
        try:
            return transform.transform_cluster(
                scope.id,
                lists,
                owner_keys=list(ctx.options.owner_tags) + settings.owner_keys,
                privileged_namespaces=settings.privileged_namespaces,
                pod_identities=pod_identities,
            )
        except ValueError as exc:
            raise ScopeFailed(MALFORMED, str(exc)) from None

    def plan_revoke(self, ctx: CollectContext, target: dict[str, Any], options: dict[str, Any]) -> list[RevokeStep]:
        return revoke.plan(target, options)

    def execute_step(self, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
        try:
            return revoke.execute(ctx, step)
        except ScopeError as exc:
            return StepOutcome("failed", f"{exc.code}: {exc.message}")

    def restore_step(self, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
        try:
            return revoke.restore(ctx, step)
        except ScopeError as exc:
            return StepOutcome("failed", f"{exc.code}: {exc.message}")

    @classmethod
    def demo(cls, stack: ExitStack, estate: Path, now: datetime) -> dict[str, Any] | None:
        folder = estate / "kubernetes"
        fake = stack.enter_context(
            KubernetesFake.from_dir(folder, now=now, cluster="northwind-eks", cluster_entry=DEMO_EKS_ARN)
        )
        eks = stack.enter_context(EksFake.from_file(folder / "eks_pod_identity.json", now))
        fake_aws_credentials(stack)  # boto3 signs with fake keys, never the user's profile
        return {
            "kubeconfig_path": str(fake.write_kubeconfig(stack)),
            "all_contexts": True,
            "eks_endpoint": eks.url,
        }


def _attrs(eks: EksCluster | None) -> dict[str, Any] | None:
    return eks.attrs() if eks else None
