"""The Kubernetes get layer: an ApiClient per context (kubeconfig or in-cluster) and one
cluster-wide list call per resource type, followed through ``limit``/``continue`` pages.

Budget: one LIST per resource type per page, never per namespace or per object. Secrets,
ReplicaSets and Jobs are listed as metadata only (``Accept: ...;as=PartialObjectMetadataList``):
nhi needs their names, owners and annotations, and a token secret's value then never crosses
the wire. Secrets are further narrowed on the server with
``fieldSelector=type=kubernetes.io/service-account-token``. Should a server ignore the
metadata-only request, ``data``/``stringData`` are dropped here, the moment a page arrives.
"""

from __future__ import annotations

import json
import os
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from nhi_cli import yaml_safe
from nhi_cli.kit.connector import AuthFailed, CollectContext, ScopeDenied, ScopeError, ScopeFailed

from .settings import IN_CLUSTER, KubernetesSettings

if TYPE_CHECKING:  # the kubernetes client (typed) loads when a scope is collected
    from kubernetes.client import ApiClient, Configuration

METADATA_ONLY = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
LEGACY_TOKEN_TYPE = "kubernetes.io/service-account-token"
RELISTS = 2  # restarts of a list whose continue token expired (410 Gone) before giving up
RETRIES = 3  # 429 (API priority and fairness) and 5xx answers waited out per page
MAX_WAIT = 10.0


@dataclass(frozen=True)
class Listing:
    resource: str  # the name in the budget and in gaps: "serviceaccounts", "clusterroles"
    api: str  # the kubernetes.client API class
    method: str  # its cluster-wide list method
    metadata_only: bool = False
    field_selector: str | None = None


LISTINGS = {
    listing.resource: listing
    for listing in (
        Listing("serviceaccounts", "CoreV1Api", "list_service_account_for_all_namespaces"),
        Listing("secrets", "CoreV1Api", "list_secret_for_all_namespaces", True, f"type={LEGACY_TOKEN_TYPE}"),
        Listing("pods", "CoreV1Api", "list_pod_for_all_namespaces"),
        Listing("replicasets", "AppsV1Api", "list_replica_set_for_all_namespaces", True),
        Listing("jobs", "BatchV1Api", "list_job_for_all_namespaces", True),
        Listing("roles", "RbacAuthorizationV1Api", "list_role_for_all_namespaces"),
        Listing("clusterroles", "RbacAuthorizationV1Api", "list_cluster_role"),
        Listing("rolebindings", "RbacAuthorizationV1Api", "list_role_binding_for_all_namespaces"),
        Listing("clusterrolebindings", "RbacAuthorizationV1Api", "list_cluster_role_binding"),
    )
}


def kubeconfig_file(settings: KubernetesSettings) -> str | None:
    """The kubeconfig to read: the setting, else the first file of $KUBECONFIG, else
    ~/.kube/config; None when none exists."""
    if settings.kubeconfig_path:
        path = os.path.expanduser(settings.kubeconfig_path)
        if not os.path.isfile(path):
            raise AuthFailed("no_kubeconfig", f"providers.kubernetes.kubeconfig_path: no such file: {path}")
        return path
    for candidate in (os.environ.get("KUBECONFIG") or "").split(os.pathsep) + [os.path.expanduser("~/.kube/config")]:
        if candidate and os.path.isfile(candidate):
            return candidate
    return None


def use_in_cluster(settings: KubernetesSettings) -> bool:
    return settings.in_cluster or (
        kubeconfig_file(settings) is None and bool(os.environ.get("KUBERNETES_SERVICE_HOST"))
    )


def list_contexts(settings: KubernetesSettings) -> tuple[list[dict[str, Any]], str | None]:
    """(every context of the kubeconfig, the current one's name)."""
    from kubernetes import config

    path = kubeconfig_file(settings)
    if path is None:
        raise AuthFailed(
            "no_kubeconfig",
            "no kubeconfig found (providers.kubernetes.kubeconfig_path, $KUBECONFIG or ~/.kube/config) "
            "and not running in a cluster",
        )
    try:
        # unannotated in the kubernetes client: (a list of context dicts, the current one)
        contexts, current = config.list_kube_config_contexts(config_file=path)  # type: ignore[no-untyped-call]
    except config.ConfigException as exc:
        raise AuthFailed("invalid_kubeconfig", f"{path}: {str(exc).splitlines()[0]}") from None
    name = (current or {}).get("name")
    return [c for c in contexts if isinstance(c, dict)], name if isinstance(name, str) else None


def kubeconfig_entries(settings: KubernetesSettings) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """(cluster name -> its ``cluster`` entry, user name -> its ``user`` entry) of the kubeconfig:
    where a context's cluster is served and how its user authenticates (an EKS ARN, an
    ``aws eks get-token`` exec plugin). A file this cannot read yields nothing (no EKS link is
    looked for); the kubernetes client reports what is wrong with it."""
    path = kubeconfig_file(settings)
    try:
        with open(path or "", encoding="utf-8") as handle:
            loaded = yaml_safe.load(handle.read())
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        loaded = None
    data: dict[str, Any] = loaded if isinstance(loaded, dict) else {}

    def named(key: str, inner: str) -> dict[str, dict[str, Any]]:
        return {
            str(e["name"]): e[inner] if isinstance(e.get(inner), dict) else {}
            for e in data.get(key) or []
            if isinstance(e, dict) and e.get("name")
        }

    return named("clusters", "cluster"), named("users", "user")


def make_api_client(ctx: CollectContext, context: str) -> ApiClient:
    """An ApiClient for one context: the kubeconfig's server, CA and user (token, client
    certificate or exec plugin), or the in-cluster service account."""
    from kubernetes import client, config

    settings: KubernetesSettings = ctx.settings
    configuration = client.Configuration()
    try:  # the config loaders are unannotated in the kubernetes client
        if context == IN_CLUSTER:
            config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
        else:
            config.load_kube_config(  # type: ignore[no-untyped-call]
                config_file=kubeconfig_file(settings), context=context, client_configuration=configuration
            )
    except config.ConfigException as exc:
        raise ScopeDenied("invalid_credentials", str(exc).splitlines()[0]) from None
    _trim_token(configuration)
    configuration.retries = 0  # waits are ours (counted); urllib3's silent retries are not
    return client.ApiClient(configuration)


def _trim_token(configuration: Configuration) -> None:
    """Trim the whitespace around the bearer token, as kubectl does: a token file written with
    ``echo`` ends in a newline, which the Python client would send as is (and http.client
    refuse). Now, and after each run of the refresh hook (the client re-reads token files)."""
    # the client's __init__ sets the hook to a bare None, so its stubs type it None: named here
    # as what the loaders put there, and assigned below with ignore[assignment] for that reason
    hook: Callable[[Configuration], None] | None = configuration.refresh_api_key_hook

    def strip(c: Configuration) -> None:
        for key in ("BearerToken", "authorization"):  # the in-cluster and the kubeconfig loader's
            value = c.api_key.get(key)
            if isinstance(value, str):
                c.api_key[key] = value.strip()

    def refresh(c: Configuration) -> None:
        if hook is not None:
            hook(c)  # the loaders' hooks set the raw token and install themselves again
        c.refresh_api_key_hook = refresh  # type: ignore[assignment]  # typed None in the client
        strip(c)

    strip(configuration)
    if hook is not None:
        configuration.refresh_api_key_hook = refresh  # type: ignore[assignment]  # as above


def close(api_client: ApiClient) -> None:
    """Close the client's connection pool."""
    api_client.close()  # type: ignore[no-untyped-call]  # unannotated in the kubernetes client


def _status(body: Any) -> tuple[str, str]:
    """(reason, message) of a Kubernetes Status body."""
    try:
        status = json.loads(body) if isinstance(body, (str, bytes)) else {}
    except ValueError:
        status = {}
    if not isinstance(status, dict):
        status = {}
    return str(status.get("reason") or "Unknown"), str(status.get("message") or "")[:300]


def why_unreachable(exc: BaseException) -> str:
    """The cause of a failed connection in words (an untrusted certificate, connection refused,
    a timeout), never urllib3's message, which quotes the URL with its query."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"its TLS certificate is not trusted by the CA in use ({cause.verify_message})"
        if isinstance(cause, ssl.SSLError):
            return f"TLS handshake failed ({cause.reason or type(cause).__name__})"
        if isinstance(cause, TimeoutError) or "Timeout" in type(cause).__name__:
            return "timed out"
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror
        reason = getattr(cause, "reason", None)
        nested = cause.args[0] if cause.args and isinstance(cause.args[0], BaseException) else None
        cause = (
            (reason if isinstance(reason, BaseException) else None) or nested or cause.__cause__ or cause.__context__
        )
    return type(exc).__name__


def unsendable(exc: ValueError) -> ScopeError:
    """A request the client refused to send. http.client refuses a header value with a line
    break or control character: a token (a file ending in a newline; kubectl trims it, the
    Python client does not) the scope cannot authenticate with."""
    if "header" in str(exc).lower():
        return ScopeDenied(
            "invalid_credentials",
            "the request could not be sent: the token or another header has a line break or control character",
        )
    return ScopeFailed("request_failed", f"the request could not be sent ({type(exc).__name__})")


def _strip_values(item: dict[str, Any]) -> dict[str, Any]:
    """Keep nothing of a secret but its metadata and type (a server that ignored the
    metadata-only Accept header sent the token too)."""
    return {k: v for k, v in item.items() if k in ("metadata", "type", "kind", "apiVersion")}


def get_list(ctx: CollectContext, api_client: ApiClient, resource: str) -> tuple[list[dict[str, Any]], str | None]:
    """Every item of one cluster-wide list, with the list's resourceVersion.

    410 Gone (the continue token expired, e.g. etcd compacted between pages) restarts the list
    from the beginning, so the items come from one consistent snapshot. Raises ScopeDenied on
    401/403 (the caller decides whether that denies the cluster or is a gap) and ScopeFailed
    when the server cannot be reached or keeps failing."""
    from kubernetes import client
    from urllib3.exceptions import HTTPError as Urllib3Error

    settings: KubernetesSettings = ctx.settings
    listing = LISTINGS[resource]
    method = getattr(getattr(client, listing.api)(api_client), listing.method)
    kwargs: dict[str, Any] = {
        "limit": settings.page_size,
        "_preload_content": False,
        "_request_timeout": settings.timeout,
    }
    if listing.field_selector:
        kwargs["field_selector"] = listing.field_selector
    if listing.metadata_only:
        kwargs["_headers"] = {"Accept": METADATA_ONLY}
    for _attempt in range(RELISTS + 1):
        items: list[dict[str, Any]] = []
        token: str | None = None
        version: str | None = None
        expired = False
        while True:
            if ctx.cancel.is_set():
                raise ScopeFailed("cancelled", "interrupted")
            page_args = dict(kwargs, _continue=token) if token else kwargs
            for retry in range(RETRIES + 1):
                ctx.count(f"k8s:LIST {resource}")
                try:
                    response = method(**page_args)
                except client.ApiException as exc:
                    reason, message = _status(exc.body)
                    if exc.status in (401, 403):
                        raise ScopeDenied(reason, message or f"HTTP {exc.status} listing {resource}") from None
                    if exc.status == 410 and token:
                        expired = True
                        break
                    if exc.status == 429 or (exc.status or 0) >= 500:
                        if retry < RETRIES:
                            wait = (exc.headers or {}).get("Retry-After") if exc.headers else None
                            time.sleep(min(float(wait) if wait and str(wait).isdigit() else 1.0, MAX_WAIT))
                            continue
                    raise ScopeFailed(reason, message or f"HTTP {exc.status} listing {resource}") from None
                except Urllib3Error as exc:
                    raise ScopeDenied("unreachable", f"cannot reach the API server: {why_unreachable(exc)}") from None
                except ValueError as exc:  # never sent; its message quotes the value, so it is not kept
                    raise unsendable(exc) from None
                try:
                    page = json.loads(response.data)
                except ValueError:
                    raise ScopeFailed("malformed_response", f"a {resource} page is not JSON") from None
                break
            if expired:
                break
            if not isinstance(page, dict) or not isinstance(page.get("items"), list):
                raise ScopeFailed("malformed_response", f"a {resource} page has no items list")
            batch = page["items"]
            if resource == "secrets":
                batch = [_strip_values(i) for i in batch if isinstance(i, dict)]
            items.extend(batch)
            meta = page.get("metadata") or {}
            version = version or meta.get("resourceVersion")
            token = meta.get("continue") or None
            if not token:
                return items, version
        ctx.log.info("kubernetes: the continue token of %s expired; listing again", resource)
    raise ScopeFailed("Expired", f"the {resource} list kept expiring (410 Gone) before its last page")
