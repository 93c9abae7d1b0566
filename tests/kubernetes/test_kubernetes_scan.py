"""The Kubernetes connector through the official client against the fake API server: what a
user reads in the views, paging, metadata-only lists, 410 recovery, forbidden and unreachable."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from k8s_helpers import PLANTED_B64, PLANTED_TOKEN, attrs, cluster_tls, configure, fake_cluster, write_kubeconfig

from tests.conftest import db_rows

SA = "kubernetes:prod:serviceaccount/"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_scan_inventories_accounts_tokens_workloads_grants_and_links(nhi):
    with fake_cluster() as fake:
        write_kubeconfig(Path("kubeconfig"), {"prod": fake.url})
        configure({"page_size": 2})
        result = nhi("scan", "--provider", "kubernetes")
        requests = list(fake.requests)
    assert result.code in (0, 1), result.err
    ids = {r["id"]: r for r in db_rows("SELECT * FROM v_identities WHERE provider = 'kubernetes'")}
    accounts = {i for i, r in ids.items() if r["kind"] == "k8s_service_account"}
    assert len(accounts) == 11 and SA + "agents/ops-bot" in accounts
    workloads = {i for i, r in ids.items() if r["kind"] == "k8s_workload"}
    # ReplicaSet -> Deployment and Job -> CronJob through the owner references; a bare pod is its own
    assert workloads == {
        "kubernetes:prod:deployment/agents/ops-bot",
        "kubernetes:prod:deployment/agents/scorer",
        "kubernetes:prod:cronjob/agents/nightly",
        "kubernetes:prod:statefulset/payments/reader",
        "kubernetes:prod:pod/default/debug",
    }
    ops = attrs(ids["kubernetes:prod:deployment/agents/ops-bot"])
    assert ops["pods"] == 2 and ops["service_accounts"] == ["ops-bot"] and ops["token_mounted"] is True
    assert attrs(ids["kubernetes:prod:pod/default/debug"])["token_mounted"] is False  # automount off
    bot = ids[SA + "agents/ops-bot"]
    assert bot["owner"] == "dana.lee@example.com" and bot["owner_source"] == "annotation:owner"
    bot_attrs = attrs(bot)
    assert "kubectl.kubernetes.io/last-applied-configuration" not in bot_attrs["annotations"]
    assert bot_attrs["workloads"] == ["kubernetes:prod:deployment/agents/ops-bot"]
    assert attrs(ids[SA + "payments/orphan"])["pods"] == 0

    (token,) = db_rows("SELECT * FROM v_credentials WHERE provider = 'kubernetes'")
    assert token["id"] == "kubernetes:prod:secret/payments/legacy-deployer-token"
    assert token["kind"] == "k8s_legacy_token" and token["never_expires"] == 1
    assert token["identity_id"] == SA + "payments/legacy-deployer" and token["age_days"] >= 789

    grants = db_rows("SELECT * FROM v_grants WHERE provider = 'kubernetes'")
    admin = [g for g in grants if g["is_admin"]]
    assert {g["identity_id"] for g in admin} == {SA + "agents/ops-bot"}  # alice (a User) is no NHI
    # aggregation: monitoring has no rules of its own; pod-reader's labels put its rules there
    gke = {(g["action"], g["resource"]) for g in grants if g["identity_id"] == SA + "agents/gke-agent"}
    assert ("list", "*/core/pods") in gke and ("get", "*/core/pods/log") in gke
    # the group system:serviceaccounts:kube-system reaches both kube-system accounts
    minters = {g["identity_id"] for g in grants if g["resource"] == "*/core/serviceaccounts/token"}
    assert minters == {SA + "kube-system/default", SA + "kube-system/replicaset-controller"}
    assert all(g["is_privesc"] for g in grants if g["resource"] == "*/core/serviceaccounts/token")
    exec_grant = [g for g in grants if g["resource"] == "agents/core/pods/exec"]
    assert exec_grant and exec_grant[0]["is_privesc"] and exec_grant[0]["identity_id"] == SA + "agents/azure-agent"
    # reading secrets: the default account through secret-reader, ops-bot through cluster-admin
    assert {g["identity_id"] for g in grants if g["is_sensitive"]} == {SA + "default/default", SA + "agents/ops-bot"}
    named = [g for g in grants if g["resource"].endswith("configmaps/app-config")]
    assert named and named[0]["resource"] == "payments/core/configmaps/app-config"
    assert attrs(ids[SA + "payments/orphan"])["dangling_bindings"] == [
        "ClusterRoleBinding/ghost -> ClusterRole/does-not-exist"
    ]

    trusts = {(t["identity_id"], t["principal"], t["action"]) for t in db_rows("SELECT * FROM trust")}
    assert (
        "arn:aws:iam::111122223333:role/ops-bot-role",
        SA + "agents/ops-bot",
        "sts:AssumeRoleWithWebIdentity",
    ) in trusts
    assert (
        "agent-runner@proj-a.iam.gserviceaccount.com",
        SA + "agents/gke-agent",
        "iam.serviceAccounts.getAccessToken",
    ) in trusts
    assert (
        "11111111-2222-3333-4444-555555555555",
        SA + "agents/azure-agent",
        "azure:federated_token_exchange",
    ) in trusts
    assert (SA + "agents/ops-bot", "kubernetes:prod:deployment/agents/ops-bot", "runs_as") in trusts

    # paging: pages of two, each next page asked with the continue token of the one before
    sa_calls = [r for r in requests if r.path == "/api/v1/serviceaccounts"]
    assert len(sa_calls) == 6 and sa_calls[0].arg("continue") is None
    assert all(r.arg("continue") for r in sa_calls[1:]) and {r.arg("limit") for r in sa_calls} == {"2"}
    # secrets, ReplicaSets and Jobs are read as metadata only; secrets narrowed to token secrets
    secrets = [r for r in requests if r.path == "/api/v1/secrets"]
    assert secrets and all("as=PartialObjectMetadataList" in r.headers["accept"] for r in secrets)
    assert {r.arg("fieldSelector") for r in secrets} == {"type=kubernetes.io/service-account-token"}
    assert all(
        "as=PartialObjectMetadataList" in r.headers["accept"] for r in requests if r.path.endswith("/replicasets")
    )
    assert all(r.method == "GET" for r in requests)  # a scan never mutates
    # never a per-namespace or per-object call
    assert not [r for r in requests if "/namespaces/" in r.path]
    (scope,) = db_rows("SELECT * FROM scope_result")
    calls = json.loads(scope["api_calls"])
    assert scope["status"] == "complete" and calls["k8s:LIST serviceaccounts"] == 6
    assert sum(calls.values()) == len(requests)
    # the token value never crossed the wire, let alone landed
    for raw in (PLANTED_TOKEN, PLANTED_B64):
        assert raw not in Path("nhi.db").read_bytes().decode("latin-1")
        assert raw not in result.out + result.err


def test_expired_continue_token_relists_from_the_start(nhi):
    with fake_cluster() as fake:
        write_kubeconfig(Path("kubeconfig"), {"prod": fake.url})
        configure({"page_size": 3})
        fake.expire_continue("pods")
        result = nhi("scan", "--provider", "kubernetes")
        pods = [r for r in fake.requests if r.path == "/api/v1/pods"]
    assert result.code in (0, 1), result.err
    # page 1, page 2 answered 410 Gone, then the whole list again: page 1, page 2
    assert [r.arg("continue") is None for r in pods] == [True, False, True, False]
    (scope,) = db_rows("SELECT * FROM scope_result")
    assert scope["status"] == "complete"
    (deployment,) = db_rows("SELECT attrs FROM v_identities WHERE id = 'kubernetes:prod:deployment/agents/ops-bot'")
    assert attrs(deployment)["pods"] == 2  # no pod counted twice after the relist


def test_forbidden_resource_is_a_gap_and_keeps_earlier_records(nhi):
    with fake_cluster() as fake:
        write_kubeconfig(Path("kubeconfig"), {"prod": fake.url})
        configure({})
        assert nhi("scan", "--provider", "kubernetes").code in (0, 1)
        fake.forbid("secrets")
        result = nhi("scan", "--provider", "kubernetes")
    assert result.code in (0, 1), result.err
    scope = db_rows("SELECT * FROM scope_result ORDER BY rowid DESC LIMIT 1")[0]
    assert scope["status"] == "partial"
    (gap,) = json.loads(scope["gaps"])
    assert (
        gap["what"] == "secrets" and gap["code"] == "Forbidden" and 'cannot list resource "secrets"' in gap["message"]
    )
    assert "secrets: Forbidden" in result.err + result.out
    # the legacy token seen by the first scan is not marked removed: it was not readable
    (token,) = db_rows("SELECT removed_at FROM credential WHERE kind = 'k8s_legacy_token'")
    assert token["removed_at"] is None
    assert db_rows("SELECT COUNT(*) AS n FROM v_identities WHERE kind = 'k8s_service_account'")[0]["n"] == 11


def test_unreachable_context_is_denied_while_another_completes(nhi):
    with fake_cluster() as fake:
        write_kubeconfig(Path("kubeconfig"), {"prod": fake.url, "gone": f"http://127.0.0.1:{_free_port()}"})
        configure({"all_contexts": True, "timeout": 3})
        result = nhi("scan", "--provider", "kubernetes")
    assert result.code == 3, result.err
    status = {r["scope"]: (r["status"], r["error_code"]) for r in db_rows("SELECT * FROM scope_result")}
    assert status == {"prod": ("complete", None), "gone": ("denied", "unreachable")}
    assert "cannot reach the API server: Connection refused" in result.err
    assert "Traceback" not in result.err


def test_refused_token_denies_the_cluster(nhi):
    with fake_cluster() as fake:
        write_kubeconfig(Path("kubeconfig"), {"prod": fake.url}, token="wrong")
        configure({})
        result = nhi("scan", "--provider", "kubernetes")
    assert result.code == 3
    (scope,) = db_rows("SELECT * FROM scope_result")
    assert (scope["status"], scope["error_code"]) == ("denied", "Unauthorized")


def test_contexts_setting_picks_scopes_and_names_unknown_ones(nhi):
    with fake_cluster() as fake:
        write_kubeconfig(Path("kubeconfig"), {"prod": fake.url, "staging": fake.url}, current="prod")
        configure({"contexts": ["staging"]})
        assert nhi("scan", "--provider", "kubernetes").code in (0, 1)
        assert {r["scope"] for r in db_rows("SELECT scope FROM scope_result")} == {"staging"}
        configure({"contexts": ["nope"]})
        result = nhi("scan", "--provider", "kubernetes")
    assert result.code == 4  # the only provider could not run
    assert "nope not in the kubeconfig" in result.err and "Traceback" not in result.err


def test_no_kubeconfig_cannot_run(nhi, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    Path("nhi.yaml").write_text("version: 1\nproviders:\n  kubernetes: {}\n")
    result = nhi("scan", "--provider", "kubernetes")
    assert result.code == 4
    assert "no kubeconfig found" in result.err and "Traceback" not in result.err


def test_in_a_pod_without_kubeconfig_the_in_cluster_scope_is_chosen(nhi, monkeypatch, tmp_path):
    """No kubeconfig and KUBERNETES_SERVICE_HOST set: nhi scans its own cluster as the pod's
    service account. Here no token is mounted, so that one scope is denied with the reason."""
    with fake_cluster() as fake:
        host, port = fake.url.removeprefix("http://").split(":")
        monkeypatch.setenv("HOME", str(tmp_path))
        monkeypatch.delenv("KUBECONFIG", raising=False)
        monkeypatch.setenv("KUBERNETES_SERVICE_HOST", host)
        monkeypatch.setenv("KUBERNETES_SERVICE_PORT", port)
        Path("nhi.yaml").write_text("version: 1\nproviders:\n  kubernetes: {}\n")
        result = nhi("scan", "--provider", "kubernetes")
        assert fake.requests == []  # no credentials: nothing was sent
    assert result.code == 3, result.err
    (scope,) = db_rows("SELECT * FROM scope_result")
    assert scope["scope"] == "in-cluster" and scope["status"] == "denied"
    assert scope["error_code"] == "invalid_credentials" and "token" in scope["message"].lower()


POD_TOKEN = "eyJhbGciOiJSUzI1NiJ9.nhi-scanner-pod-token-0042.sig"  # the pod's mounted token


def _in_a_pod(monkeypatch, tmp_path: Path, fake, ca_file: Path, token: str = POD_TOKEN) -> None:
    """What a pod sees: KUBERNETES_SERVICE_HOST/PORT, the service account's token and the
    cluster CA at the paths the official client reads (pointed here instead of /var/run/secrets)."""
    from kubernetes.config import incluster_config

    mount = tmp_path / "var-run-secrets" / "serviceaccount"
    mount.mkdir(parents=True)
    (mount / "token").write_text(token)
    (mount / "ca.crt").write_bytes(ca_file.read_bytes())
    monkeypatch.setattr(incluster_config, "SERVICE_TOKEN_FILENAME", str(mount / "token"))
    monkeypatch.setattr(incluster_config, "SERVICE_CERT_FILENAME", str(mount / "ca.crt"))
    host, port = fake.url.removeprefix("https://").split(":")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", host)
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", port)
    Path("nhi.yaml").write_text("version: 1\nproviders:\n  kubernetes:\n    page_size: 4\n")


def test_in_a_pod_the_mounted_token_scans_the_cluster_over_tls(nhi, monkeypatch, tmp_path):
    """nhi running as a pod, no kubeconfig: the official client's in-cluster loading reaches the
    API server over https, verified with the mounted CA, and sends the mounted token."""
    ca_file, server_tls = cluster_tls(tmp_path / "pki")
    with fake_cluster(tokens={POD_TOKEN}, tls=server_tls) as fake:
        _in_a_pod(monkeypatch, tmp_path, fake, ca_file)
        result = nhi("scan", "--provider", "kubernetes", "--verbose")
        requests = list(fake.requests)
    assert result.code in (0, 1), result.err
    (scope,) = db_rows("SELECT * FROM scope_result")
    assert (scope["scope"], scope["status"]) == ("in-cluster", "complete")
    assert sum(json.loads(scope["api_calls"]).values()) == len(requests)
    ids = {r["id"]: r for r in db_rows("SELECT * FROM v_identities WHERE provider = 'kubernetes'")}
    accounts = {i for i, r in ids.items() if r["kind"] == "k8s_service_account"}
    assert len(accounts) == 11 and "kubernetes:in-cluster:serviceaccount/agents/ops-bot" in accounts
    assert "kubernetes:in-cluster:deployment/agents/ops-bot" in ids
    (token,) = db_rows("SELECT id FROM v_credentials WHERE provider = 'kubernetes'")
    assert token["id"] == "kubernetes:in-cluster:secret/payments/legacy-deployer-token"
    admin = db_rows("SELECT identity_id FROM v_grants WHERE provider = 'kubernetes' AND is_admin = 1")
    assert {g["identity_id"] for g in admin} == {"kubernetes:in-cluster:serviceaccount/agents/ops-bot"}
    # every list was paged (pages of four) and sent the pod's own token, and only GETs
    assert len([r for r in requests if r.path == "/api/v1/serviceaccounts"]) == 3
    assert {r.headers["authorization"].partition(" ")[2] for r in requests} == {POD_TOKEN}
    assert all(r.method == "GET" for r in requests)
    # the pod's token is a credential of the scanner: never stored, printed or logged
    assert POD_TOKEN not in Path("nhi.db").read_bytes().decode("latin-1")
    assert POD_TOKEN not in result.out + result.err
    for raw in (PLANTED_TOKEN, PLANTED_B64):
        assert raw not in Path("nhi.db").read_bytes().decode("latin-1")


def test_in_a_pod_a_server_the_mounted_ca_did_not_sign_never_gets_the_token(nhi, monkeypatch, tmp_path):
    """An API server whose certificate another CA signed (a spoofed KUBERNETES_SERVICE_HOST):
    the TLS handshake fails, the cluster is denied with the reason, and no request carried the
    token."""
    _other_ca, server_tls = cluster_tls(tmp_path / "impostor", name="impostor")
    pod_ca, _ = cluster_tls(tmp_path / "pki")
    with fake_cluster(tokens={POD_TOKEN}, tls=server_tls) as fake:
        _in_a_pod(monkeypatch, tmp_path, fake, pod_ca)
        result = nhi("scan", "--provider", "kubernetes")
        assert fake.requests == []  # no HTTP request was made, so no Authorization header was sent
    assert result.code == 3, result.err
    (scope,) = db_rows("SELECT * FROM scope_result")
    assert (scope["scope"], scope["status"], scope["error_code"]) == ("in-cluster", "denied", "unreachable")
    assert scope["message"] == (
        "cannot reach the API server: its TLS certificate is not trusted by the CA in use "
        "(unable to get local issuer certificate)"
    )
    assert POD_TOKEN not in result.out + result.err and "Traceback" not in result.err


def test_in_a_pod_a_token_file_ending_in_a_newline_works_as_with_kubectl(nhi, monkeypatch, tmp_path):
    """The official client sends the token file's content as is; nhi trims it as kubectl does,
    so a token written with a trailing newline authenticates."""
    ca_file, server_tls = cluster_tls(tmp_path / "pki")
    with fake_cluster(tokens={POD_TOKEN}, tls=server_tls) as fake:
        _in_a_pod(monkeypatch, tmp_path, fake, ca_file, token=POD_TOKEN + "\n")
        result = nhi("scan", "--provider", "kubernetes")
        sent = {r.headers["authorization"] for r in fake.requests}
    assert result.code in (0, 1), result.err
    assert sent == {"bearer " + POD_TOKEN}
    (scope,) = db_rows("SELECT * FROM scope_result")
    assert scope["status"] == "complete"


def test_in_a_pod_a_token_with_a_line_break_inside_is_named_not_called_a_bad_page(nhi, monkeypatch, tmp_path):
    """http.client refuses a header with a line break inside, and its error quotes the value:
    the cluster is denied as invalid credentials, saying why, not reported as a page that is
    not JSON, and the token is not quoted anywhere."""
    ca_file, server_tls = cluster_tls(tmp_path / "pki")
    with fake_cluster(tokens={POD_TOKEN}, tls=server_tls) as fake:
        _in_a_pod(monkeypatch, tmp_path, fake, ca_file, token=POD_TOKEN + "\nsecond-line")
        result = nhi("scan", "--provider", "kubernetes")
        assert fake.requests == []  # nothing was sent
    assert result.code == 3, result.err
    (scope,) = db_rows("SELECT * FROM scope_result")
    assert (scope["status"], scope["error_code"]) == ("denied", "invalid_credentials")
    assert "line break" in scope["message"] and "not JSON" not in result.err
    assert POD_TOKEN not in result.out + result.err
    assert POD_TOKEN not in Path("nhi.db").read_bytes().decode("latin-1")
