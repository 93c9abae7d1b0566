"""The Kubernetes connector's settings: ``providers.kubernetes`` in nhi.yaml."""

from __future__ import annotations

from pydantic import Field

from nhi_cli.kit.connector import ConnectorSettings

# The API server's default maximum is not documented as a hard cap, but 500 is what kubectl
# uses (--chunk-size) and what the server answers fast; the fake refuses more than 5,000.
DEFAULT_PAGE = 500
MAX_PAGE = 5000
# Labels or annotations that name a service account's or workload's owner, first match wins.
DEFAULT_OWNER_KEYS = ["owner", "nhi.io/owner", "app.kubernetes.io/owner", "team"]
# Namespaces where creating pods or workloads means running as the control plane's accounts.
DEFAULT_PRIVILEGED_NAMESPACES = ["kube-system"]
IN_CLUSTER = "in-cluster"


class KubernetesSettings(ConnectorSettings):
    # A kubeconfig file; else $KUBECONFIG, else ~/.kube/config. Its clusters and users are
    # the user's own (like ~/.aws/config), so a server named there is where the scan goes.
    kubeconfig_path: str | None = None
    contexts: list[str] = Field(default_factory=list)  # empty: the current context only
    all_contexts: bool = False  # every context of the kubeconfig, one scope each
    # The pod's own service account (KUBERNETES_SERVICE_HOST, the mounted token); chosen
    # automatically when no kubeconfig exists and the variable is set.
    in_cluster: bool = False
    page_size: int = Field(DEFAULT_PAGE, ge=1, le=MAX_PAGE)
    owner_keys: list[str] = Field(default_factory=lambda: list(DEFAULT_OWNER_KEYS))
    privileged_namespaces: list[str] = Field(default_factory=lambda: list(DEFAULT_PRIVILEGED_NAMESPACES))
    # EKS Pod Identity (eks.py): for a context whose cluster is an EKS cluster, read its
    # associations from the EKS API with the standard AWS credential chain.
    eks_pod_identity: bool = True
    # context -> EKS cluster ARN, for contexts whose kubeconfig entry does not show it
    eks_clusters: dict[str, str] = Field(default_factory=dict)
    aws_profile: str | None = None  # else the exec plugin's AWS_PROFILE, else the environment's chain
    eks_endpoint: str | None = None  # the EKS API's endpoint override (else AWS_ENDPOINT_URL[_EKS])
