"""Revoke and restore on the fake API server: a service account taken out of its bindings (and
put back), a legacy token secret deleted (irreversible), each read back; plans make no call."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from k8s_helpers import TOKEN, configure, fake_cluster, write_kubeconfig

from tests.conftest import db_rows

SA = "kubernetes:prod:serviceaccount/agents/ops-bot"
TOKEN_SECRET = "kubernetes:prod:secret/payments/legacy-deployer-token"


def _binding(fake, resource: str, name: str) -> dict | None:
    return next((b for b in fake.objects[resource] if b["metadata"]["name"] == name), None)


def _subjects(binding: dict | None) -> list[str]:
    return sorted(s["name"] for s in (binding or {}).get("subjects") or [])


def _scanned(fake, nhi) -> None:
    # a second binding shares ops-bot with another account: it must be edited, not deleted
    fake.objects["rolebindings"].append(
        {
            "metadata": {"name": "shared-view", "namespace": "agents"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "pod-reader"},
            "subjects": [
                {"kind": "ServiceAccount", "name": "ops-bot", "namespace": "agents"},
                {"kind": "ServiceAccount", "name": "default", "namespace": "agents"},
            ],
        }
    )
    write_kubeconfig(Path("kubeconfig"), {"prod": fake.url})
    configure({})
    assert nhi("scan", "--provider", "kubernetes").code in (0, 1)


def test_remove_role_bindings_then_restore(nhi):
    with fake_cluster() as fake:
        _scanned(fake, nhi)
        before = len(fake.requests)
        dry = nhi("revoke", SA, "--dry-run", "--reason", "drill")
        assert dry.code == 0, dry.err
        assert len(fake.requests) == before  # a plan makes no call
        assert "restorable" in dry.out + dry.err

        result = nhi("revoke", SA, "--yes", "--reason", "rogue agent", "-f", "json")
        assert result.code == 0, result.err
        revoke = json.loads(result.out)
        assert [(s["action"], s["status"]) for s in revoke["steps"]] == [("remove_role_bindings", "done")]
        assert _binding(fake, "clusterrolebindings", "ops-bot-admin") is None  # only ops-bot: deleted
        assert _subjects(_binding(fake, "rolebindings", "shared-view")) == ["default"]  # edited
        mutations = [(r.method, r.path) for r in fake.requests if r.method != "GET"]
        assert sorted(mutations) == [
            ("DELETE", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/ops-bot-admin"),
            ("PUT", "/apis/rbac.authorization.k8s.io/v1/namespaces/agents/rolebindings/shared-view"),
        ]

        again = json.loads(nhi("revoke", SA, "--yes", "--reason", "again", "-f", "json").out)
        assert [s["status"] for s in again["steps"]] == ["already_done"]

        restored = nhi("restore", str(revoke["revocation_id"]), "--yes", "--reason", "false alarm", "-f", "json")
        assert restored.code == 0, restored.err
        assert _subjects(_binding(fake, "clusterrolebindings", "ops-bot-admin")) == ["ops-bot"]
        assert _binding(fake, "clusterrolebindings", "ops-bot-admin")["roleRef"]["name"] == "cluster-admin"
        assert _subjects(_binding(fake, "rolebindings", "shared-view")) == ["default", "ops-bot"]


def test_delete_legacy_token_secret_is_irreversible_and_read_back(nhi):
    with fake_cluster() as fake:
        _scanned(fake, nhi)
        result = nhi("revoke", TOKEN_SECRET, "--yes", "--reason", "legacy token", "-f", "json")
        assert result.code == 0, result.err
        revoke = json.loads(result.out)
        (step,) = revoke["steps"]
        assert (step["action"], step["status"], step["reversible"]) == ("delete_token_secret", "done", False)
        assert not [s for s in fake.objects["secrets"] if s["metadata"]["name"] == "legacy-deployer-token"]
        read_back = [r for r in fake.requests if r.method == "GET" and r.path.endswith("/legacy-deployer-token")]
        assert read_back and all("as=PartialObjectMetadata" in r.headers["accept"] for r in read_back)
        deletes = len(fake.calls("DELETE"))
        again = json.loads(nhi("revoke", TOKEN_SECRET, "--yes", "--reason", "again", "-f", "json").out)
        # the inventory already says revoked: nothing to do, and nothing is sent
        assert [s["status"] for s in again["steps"]] in (["skipped"], ["already_done"])
        assert len(fake.calls("DELETE")) == deletes
        restored = nhi("restore", str(revoke["revocation_id"]), "--yes", "--reason", "oops")
        assert "legacy-deployer-token" in restored.out + restored.err
        assert not [s for s in fake.objects["secrets"] if s["metadata"]["name"] == "legacy-deployer-token"]


def test_a_refused_mutation_is_a_failed_step_with_the_code(nhi):
    with fake_cluster() as fake:
        _scanned(fake, nhi)
        fake.fault(
            "DELETE",
            r"/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/ops-bot-admin",
            403,
            {
                "kind": "Status",
                "apiVersion": "v1",
                "status": "Failure",
                "reason": "Forbidden",
                "code": 403,
                "message": 'clusterrolebindings.rbac.authorization.k8s.io "ops-bot-admin" is forbidden',
            },
        )
        result = nhi("revoke", SA, "--yes", "--reason", "rogue", "-f", "json")
        (step,) = json.loads(result.out)["steps"]
        assert step["status"] == "failed" and step["detail"].startswith("Forbidden:")
        assert result.code != 0


def _token_file_kubeconfig(url: str, token_file: Path) -> None:
    """A kubeconfig whose user reads its token from a file (``tokenFile``)."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "prod",
        "clusters": [{"name": "prod", "cluster": {"server": url}}],
        "users": [{"name": "scanner", "user": {"tokenFile": str(token_file)}}],
        "contexts": [{"name": "prod", "context": {"cluster": "prod", "user": "scanner"}}],
    }
    Path("kubeconfig").write_text(yaml.safe_dump(config))


def test_a_token_file_is_trimmed_and_an_unsendable_token_is_a_failed_step_never_quoted(nhi):
    """A kubeconfig tokenFile written with echo (a trailing newline) works for scan and revoke,
    as with kubectl. A token with a line break inside cannot be sent: the step fails saying so,
    and the token, which the client's error quotes, lands in no output and not in the log."""
    with fake_cluster() as fake:
        token_file = Path("token")
        token_file.write_text(TOKEN + "\n")
        _token_file_kubeconfig(fake.url, token_file)
        configure({})
        scan = nhi("scan", "--provider", "kubernetes")
        assert scan.code in (0, 1), scan.err
        assert db_rows("SELECT status FROM scope_result")[0]["status"] == "complete"

        token_file.write_text(TOKEN + "\nsecond-line")
        before = len(fake.requests)
        result = nhi("revoke", SA, "--yes", "--reason", "rogue", "-f", "json")
        assert len(fake.requests) == before  # nothing was sent
        (step,) = json.loads(result.out)["steps"]
        assert step["status"] == "failed" and step["detail"].startswith("invalid_credentials:")
        assert "line break" in step["detail"]
        assert TOKEN not in result.out + result.err
        assert TOKEN not in Path("nhi.db").read_bytes().decode("latin-1")

        token_file.write_text(TOKEN + "\n")
        done = json.loads(nhi("revoke", SA, "--yes", "--reason", "rogue", "-f", "json").out)
        assert [s["status"] for s in done["steps"]] == ["done"]
        assert _binding(fake, "clusterrolebindings", "ops-bot-admin") is None
