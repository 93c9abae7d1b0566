"""Shared pieces of the Kubernetes tests: the fixture cluster on the fake, a kubeconfig."""

from __future__ import annotations

import base64
import ipaddress
import json
import ssl
from datetime import UTC, datetime, timedelta
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


def cluster_tls(folder: Path, name: str = "cluster") -> tuple[Path, ssl.SSLContext]:
    """A throwaway cluster CA and an API server certificate it signed for 127.0.0.1, as a
    cluster's control plane has: (the CA's PEM file, as a pod's ca.crt, the server's context)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.now(UTC)

    def cert(subject: str, key, issuer: str, issuer_key, ca: bool, extensions) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
        )
        for extension in extensions:
            builder = builder.add_extension(extension, critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
    ca = cert(f"{name}-ca", ca_key, f"{name}-ca", ca_key, True, [ca_usage])
    server = cert(
        "kube-apiserver",
        server_key,
        f"{name}-ca",
        ca_key,
        False,
        [
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
        ],
    )
    folder.mkdir(parents=True, exist_ok=True)
    ca_file = folder / f"{name}-ca.crt"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    chain = folder / f"{name}-apiserver.pem"  # the server's key and certificate, for its context
    chain.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        + server.public_bytes(serialization.Encoding.PEM)
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain)
    return ca_file, context
