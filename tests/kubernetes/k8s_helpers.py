"""Shared pieces of the Kubernetes tests: the fixture cluster on the fake, a kubeconfig."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import yaml

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "kubernetes"
TOKEN = "kube-scanner-token-0001"  # the scanner's bearer token in the test kubeconfig
# The value planted in fixtures/kubernetes/secrets.json as the legacy token's data.token
PLANTED_TOKEN = "eyJhbGciOiJSUzI1NiJ9.PLANTED-K8S-TOKEN-must-never-land.sig"
PLANTED_B64 = base64.b64encode(PLANTED_TOKEN.encode()).decode()
NOW = datetime.now(UTC).replace(microsecond=0)


def fake_cluster(**kwargs):
    from nhi_connectors.kubernetes.fake import KubernetesFake

    kwargs.setdefault("tokens", {TOKEN})
    return KubernetesFake.from_dir(FIXTURES, now=NOW, **kwargs)


def write_kubeconfig(path: Path, clusters: dict[str, str], current: str | None = None, token: str = TOKEN) -> Path:
    """A kubeconfig with one context per (name -> server URL)."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": current or next(iter(clusters)),
        "clusters": [{"name": n, "cluster": {"server": url}} for n, url in clusters.items()],
        "users": [{"name": "scanner", "user": {"token": token}}],
        "contexts": [{"name": n, "context": {"cluster": n, "user": "scanner"}} for n in clusters],
    }
    path.write_text(yaml.safe_dump(config))
    return path


def configure(settings: dict, **other) -> None:
    providers = {"kubernetes": {"kubeconfig_path": "kubeconfig", **settings}, **other}
    Path("nhi.yaml").write_text(yaml.safe_dump({"version": 1, "providers": providers}))


def attrs(row: dict) -> dict:
    return json.loads(row["attrs"])
