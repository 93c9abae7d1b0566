"""The Kubernetes get layer's EKS part (topic module, get layer): the Pod Identity associations
of the EKS cluster behind a context.

On EKS a service account becomes an IAM role in one of two ways: the IRSA annotation
``eks.amazonaws.com/role-arn`` (on the service account, read with the cluster's lists) or a Pod
Identity association, which lives in the EKS API, not in the cluster. For a context whose
cluster is an EKS cluster (``eks_cluster_of``: the kubeconfig names its ARN, as
``aws eks update-kubeconfig`` writes it, or its user runs ``aws eks get-token --cluster-name``),
the scan reads the associations with boto3 and the standard AWS credential chain (the
``aws_profile`` setting, else the exec plugin's ``AWS_PROFILE``, else the environment):

- ``eks:ListPodIdentityAssociations``, paged at its maximum (``maxResults`` 100): one call per
  100 associations. Its summaries (botocore's ``PodIdentityAssociationSummary``) carry the
  namespace, service account and association id, but no role ARN, so
- ``eks:DescribePodIdentityAssociation`` once per association whose service account exists in
  the cluster (an association naming a missing account links nothing), for ``roleArn`` and
  ``targetRoleArn``; on the bounded pool (``nhi_cli.pool``, ``max_workers`` at once, one
  thread-safe client), none sent after a refusal or an outage.

Nothing else: no mutating call, no per-namespace list. A refusal or an outage is a gap of the
scope (``eks pod identity``), never a failed cluster.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from nhi_cli.kit.connector import CollectContext, ScopeFailed
from nhi_cli.pool import bounded_map

from .settings import KubernetesSettings

GAP = "eks pod identity"
PAGE = 100  # ListPodIdentityAssociations' maxResults maximum (botocore: ListPodIdentityAssociationsMaxResults)
EKS_ARN = re.compile(
    r"^arn:aws[a-z-]*:eks:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):cluster/(?P<name>[A-Za-z0-9_-]+)$"
)
EKS_HOST = re.compile(r"\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)\.eks\.amazonaws\.com(?:\.cn)?$")


@dataclass(frozen=True)
class EksCluster:
    name: str
    region: str
    account: str | None = None
    profile: str | None = None  # the AWS_PROFILE the kubeconfig user's exec plugin sets

    def attrs(self) -> dict[str, Any]:
        return asdict(self)


def eks_cluster_of(
    cluster_name: str | None, server: str | None, user: dict[str, Any] | None, override: str | None = None
) -> EksCluster | None:
    """The EKS cluster behind a kubeconfig context, or None when nothing says it is one.

    ``override`` (the ``eks_clusters`` setting) is an ARN; else the cluster entry's name when it
    is an ARN; else the user's exec plugin (``aws eks get-token --cluster-name N --region R``
    or ``aws-iam-authenticator token -i N``, the region then from ``--region`` or the server's
    ``*.<region>.eks.amazonaws.com`` host)."""
    exec_ = ((user or {}).get("exec") or {}) if isinstance(user, dict) else {}
    args = [str(a) for a in exec_.get("args") or []]
    env = {e.get("name"): e.get("value") for e in exec_.get("env") or [] if isinstance(e, dict)}
    profile = _arg(args, "--profile") or env.get("AWS_PROFILE")
    for candidate in (override, cluster_name):
        found = EKS_ARN.match(candidate or "")
        if found:
            return EksCluster(found["name"], found["region"], found["account"], profile)
    name = _arg(args, "--cluster-name") or _arg(args, "--cluster-id") or _arg(args, "-i")
    host = EKS_HOST.search((server or "").split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0])
    region = (
        _arg(args, "--region") or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or (host and host["region"])
    )
    if name and region and ("eks" in args or "token" in args):
        return EksCluster(name, region, None, profile)
    return None


def service_account_keys(items: Iterable[Any]) -> set[tuple[str, str]]:
    """(namespace, name) of each listed service account (what an association can link)."""
    keys = set()
    for item in items:
        meta = item.get("metadata") if isinstance(item, dict) else None
        if isinstance(meta, dict) and isinstance(meta.get("name"), str):
            keys.add((str(meta.get("namespace") or ""), meta["name"]))
    return keys


def _arg(args: list[str], flag: str) -> str | None:
    for n, arg in enumerate(args):
        if arg == flag and n + 1 < len(args):
            return args[n + 1]
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    return None


_lock = threading.Lock()


def eks_client(ctx: CollectContext, cluster: EksCluster) -> Any:  # a botocore client: botocore has no types
    """An EKS client for the cluster's region whose calls count into the scope's budget."""
    import boto3
    from botocore.config import Config

    settings: KubernetesSettings = ctx.settings
    profile = settings.aws_profile or cluster.profile
    session = ctx.cache.get(f"eks_session:{profile or ''}", lambda: boto3.Session(profile_name=profile))
    config = Config(
        region_name=cluster.region,
        retries={"mode": "adaptive", "max_attempts": 5},
        connect_timeout=min(settings.timeout, 10),
        read_timeout=settings.timeout,
        user_agent_extra="nhi",
    )
    with _lock:  # a boto3 Session is not thread-safe; the clients it makes are
        client = session.client("eks", endpoint_url=settings.eks_endpoint or None, config=config)

    def count(event_name: str = "", **_: Any) -> None:
        ctx.count(f"eks:{event_name.rsplit('.', 1)[-1]}")

    client.meta.events.register("before-send.eks.*", count)  # once per HTTP attempt
    return client


def get_pod_identities(
    ctx: CollectContext, cluster: EksCluster, accounts: Iterable[tuple[str, str]]
) -> list[dict[str, Any]]:
    """The cluster's associations of existing service accounts (``accounts``: (namespace,
    name)), each as DescribePodIdentityAssociation's ``association``. A refused or failed call
    is a gap; what was read before it is returned."""
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:
        ctx.gap(GAP, "missing_dependency", "reading EKS Pod Identity needs boto3: pip install 'nhi-cli[kubernetes]'")
        return []
    settings: KubernetesSettings = ctx.settings
    existing = set(accounts)
    found: list[dict[str, Any]] = []
    try:
        client = eks_client(ctx, cluster)
        summaries: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            if ctx.cancel.is_set():
                return []
            page = client.list_pod_identity_associations(
                clusterName=cluster.name, maxResults=PAGE, **({"nextToken": token} if token else {})
            )
            summaries.extend(page.get("associations") or [])
            token = page.get("nextToken")
            if not token:
                break
        wanted = [s for s in summaries if (s.get("namespace"), s.get("serviceAccount")) in existing]
        failed = threading.Event()  # after a refusal or an outage no further describe is sent

        def describe(summary: dict[str, Any]) -> dict[str, Any] | None:
            if failed.is_set() or ctx.cancel.is_set():
                return None
            try:
                answer = client.describe_pod_identity_association(
                    clusterName=cluster.name, associationId=summary["associationId"]
                )
            except BaseException as exc:
                if isinstance(exc, ClientError) and _code(exc) == "ResourceNotFoundException":
                    return None  # deleted between the list and now
                failed.set()
                raise
            association: dict[str, Any] = answer["association"]  # botocore checked the output shape
            return association

        # one call per association, on the scan's bounded pool (the client is thread-safe)
        try:
            described = bounded_map(describe, wanted, settings.max_workers, ctx.cancel)
        except KeyboardInterrupt:
            raise ScopeFailed("cancelled", "interrupted") from None
        found = [d for d in described if isinstance(d, dict)]
        errors = [d for d in described if isinstance(d, BaseException)]
        if errors:
            raise errors[0]
    except ClientError as exc:
        operation = exc.operation_name
        message = (exc.response.get("Error") or {}).get("Message") or _code(exc)
        ctx.gap(GAP, _code(exc), f"eks:{operation} on {cluster.name} ({cluster.region}): {message}")
    except BotoCoreError as exc:  # no credentials, unknown profile, unreachable endpoint
        ctx.gap(GAP, type(exc).__name__, f"EKS {cluster.name} ({cluster.region}): {exc}")
    return found


def _code(exc: Any) -> str:
    return str((exc.response.get("Error") or {}).get("Code") or "ClientError")
