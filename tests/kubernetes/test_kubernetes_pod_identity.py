"""EKS Pod Identity: a service account linked to an IAM role only by an association in the EKS
API (no IRSA annotation) is followed exactly like IRSA: the agent's chain runs from its
workload through the service account to the role, the admin role is a finding, and
`nhi revoke --agent` plans the role's steps. boto3 talks to the loopback EKS fake
(connectors/kubernetes/eks_fake.py); the role lives in moto."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path

import boto3
import pytest
import yaml
from botocore.config import Config
from botocore.exceptions import ClientError
from k8s_helpers import NOW, TOKEN, fake_cluster

from nhi_connectors.aws import fake as aws_fake
from nhi_connectors.kubernetes.eks_fake import EksFake
from tests.conftest import db_rows

ACCOUNT_ID = "123456789012"  # moto's account for any key
ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/payments-reader"
CLUSTER_ARN = f"arn:aws:eks:us-east-1:{ACCOUNT_ID}:cluster/prod-eks"
SA = "kubernetes:prod:serviceaccount/"
READER = "kubernetes:prod:statefulset/payments/reader"
POD_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "pods.eks.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
        }
    ],
}


def _kubeconfig(server: str) -> None:
    """As `aws eks update-kubeconfig --alias prod` writes it: the cluster entry is the ARN."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "prod",
        "clusters": [{"name": CLUSTER_ARN, "cluster": {"server": server}}],
        "users": [{"name": "scanner", "user": {"token": TOKEN}}],
        "contexts": [{"name": "prod", "context": {"cluster": CLUSTER_ARN, "user": "scanner"}}],
    }
    Path("kubeconfig").write_text(yaml.safe_dump(config))


def _configure(eks_url: str, aws_url: str | None = None, **kubernetes) -> None:
    providers = {"kubernetes": {"kubeconfig_path": "kubeconfig", "eks_endpoint": eks_url, **kubernetes}}
    if aws_url:
        providers["aws"] = {"endpoint": aws_url}
    config = {
        "version": 1,
        "providers": providers,
        "agents": [{"name": "reader", "identities": ["kubernetes:*:statefulset/payments/reader"]}],
    }
    Path("nhi.yaml").write_text(yaml.safe_dump(config))


def _scope() -> dict:
    """The last kubernetes scope result, its JSON columns read."""
    (row,) = db_rows("SELECT * FROM scope_result WHERE provider = 'kubernetes' ORDER BY rowid DESC LIMIT 1")
    return {**row, "api_calls": json.loads(row["api_calls"] or "{}"), "gaps": json.loads(row["gaps"] or "[]")}


def test_pod_identity_link_is_followed_to_the_admin_role(nhi):
    with ExitStack() as stack:
        aws_url = aws_fake.start_server(stack)
        iam = boto3.client("iam", endpoint_url=aws_url, region_name="us-east-1")
        iam.create_role(RoleName="payments-reader", AssumeRolePolicyDocument=json.dumps(POD_TRUST))
        everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        iam.put_role_policy(RoleName="payments-reader", PolicyName="everything", PolicyDocument=json.dumps(everything))
        cluster = stack.enter_context(fake_cluster())
        eks = stack.enter_context(EksFake())
        eks.add_association("prod-eks", "payments", "idle-reader", ROLE, created=NOW)
        eks.add_association("prod-eks", "payments", "ghost", ROLE, created=NOW)  # no such account
        _kubeconfig(cluster.url)
        _configure(eks.url, aws_url)
        result = nhi("scan")
        eks_requests = list(eks.requests)
    assert result.code in (0, 1), result.err

    # nhi agents show: statefulset -> service account -> the role, in one chain
    shown = nhi("agents", "show", "reader", "--format", "json")
    assert shown.code == 0, shown.err
    agent = json.loads(shown.out)
    (chain,) = agent["chains"]
    assert [(h["id"], h["how"], h["admin"]) for h in chain] == [
        (READER, None, False),
        (SA + "payments/idle-reader", "runs as", False),
        (ROLE, "becomes (aws pod identity)", True),
    ]
    table = nhi("agents", "show", "reader")
    assert "--becomes (aws pod identity)--> iam_role payments-reader (aws) [admin]" in table.out

    # the link is a finding like an IRSA link to an admin role
    (finding,) = db_rows(
        "SELECT resource_id, reason FROM finding WHERE rule_id = 'k8s_workload_identity_admin' AND status = 'open'"
    )
    assert finding["resource_id"] == SA + "payments/idle-reader"
    assert "(aws pod identity)" in finding["reason"]

    # the kill switch plans the role's steps through the chain (nothing is changed)
    plan = nhi("revoke", "--agent", "reader", "--dry-run", "--reason", "drill", "-f", "json")
    assert plan.code == 0, plan.err
    steps = {(s["target_id"], s["action"]) for item in json.loads(plan.out)["plan"]["items"] for s in item["steps"]}
    assert any(target == ROLE for target, _ in steps)
    assert (SA + "payments/idle-reader", "remove_role_bindings") in steps

    # the budget: one list page, one describe (the association of a missing account is not read)
    assert {k: v for k, v in _scope()["api_calls"].items() if k.startswith("eks:")} == {
        "eks:ListPodIdentityAssociations": 1,
        "eks:DescribePodIdentityAssociation": 1,
    }
    assert {r.method for r in eks_requests} == {"GET"}


@pytest.mark.parametrize("page_size", [2, 100])
def test_associations_are_paged_and_each_described_once(nhi, page_size):
    accounts = [("payments", "idle-reader"), ("payments", "orphan"), ("payments", "default"), ("agents", "default")]
    accounts.append(("default", "default"))
    with fake_cluster() as cluster, EksFake(page_size=page_size) as eks:
        for n, (ns, name) in enumerate(accounts):
            eks.add_association("prod-eks", ns, name, f"arn:aws:iam::{ACCOUNT_ID}:role/pod-{n}", created=NOW)
        _kubeconfig(cluster.url)
        _configure(eks.url)
        result = nhi("scan", "--provider", "kubernetes")
        lists = [r for r in eks.requests if r.path.endswith("/pod-identity-associations")]
    assert result.code in (0, 1), result.err
    assert all(r.query["maxResults"] == ["100"] for r in lists)  # the model's maximum
    pages = -(-len(accounts) // page_size)
    assert _scope()["status"] == "complete"
    assert {k: v for k, v in _scope()["api_calls"].items() if k.startswith("eks:")} == {
        "eks:ListPodIdentityAssociations": pages,
        "eks:DescribePodIdentityAssociation": len(accounts),
    }
    links = db_rows("SELECT service_account_id, target, link_type FROM v_workload_identity_links")
    pod = {(r["service_account_id"], r["target"]) for r in links if r["link_type"] == "aws_pod_identity"}
    assert pod == {
        (f"{SA}{ns}/{name}", f"arn:aws:iam::{ACCOUNT_ID}:role/pod-{n}") for n, (ns, name) in enumerate(accounts)
    }
    # the IRSA annotation still links ops-bot
    assert any(r["link_type"] == "aws_irsa" and r["service_account_id"] == SA + "agents/ops-bot" for r in links)


@pytest.mark.parametrize("operation", ["ListPodIdentityAssociations", "DescribePodIdentityAssociation"])
def test_denied_eks_call_is_a_gap_not_a_failed_cluster(nhi, operation):
    with fake_cluster() as cluster, EksFake() as eks:
        eks.add_association("prod-eks", "payments", "idle-reader", ROLE, created=NOW)
        eks.deny(operation)
        _kubeconfig(cluster.url)
        _configure(eks.url)
        result = nhi("scan", "--provider", "kubernetes")
    assert result.code in (0, 1), result.err  # partial, not incomplete: the cluster was read
    scope = _scope()
    assert scope["status"] == "partial"
    (gap,) = scope["gaps"]
    assert gap["what"] == "eks pod identity" and gap["code"] == "AccessDeniedException"
    assert f"eks:{operation}" in gap["message"]
    assert len(db_rows("SELECT id FROM v_identities WHERE kind = 'k8s_service_account'")) == 11
    links = db_rows("SELECT link_type FROM v_workload_identity_links WHERE link_type = 'aws_pod_identity'")
    assert links == []
    assert "eks pod identity: AccessDeniedException" in result.err + result.out


# eight accounts of the fixture cluster without IRSA, each given an association
EIGHT = [
    ("default", "default"),
    ("kube-system", "default"),
    ("agents", "default"),
    ("agents", "gke-agent"),
    ("payments", "default"),
    ("payments", "legacy-deployer"),
    ("payments", "orphan"),
    ("payments", "idle-reader"),
]


def _eight(eks: EksFake) -> None:
    for n, (ns, name) in enumerate(EIGHT):
        eks.add_association("prod-eks", ns, name, f"arn:aws:iam::{ACCOUNT_ID}:role/pod-{n}", created=NOW)


@pytest.mark.parametrize("workers", [1, 4])
def test_describes_run_on_the_bounded_pool_with_the_same_budget(nhi, workers):
    """Each association's describe waits a round trip; they overlap up to max_workers (one
    after another with 1), and the calls are the same either way."""
    with fake_cluster() as cluster, EksFake(latency=0.1) as eks:
        _eight(eks)
        _kubeconfig(cluster.url)
        _configure(eks.url, max_workers=workers)
        result = nhi("scan", "--provider", "kubernetes")
        most = eks.most_in_flight
    assert result.code in (0, 1), result.err
    assert most == workers
    assert _scope()["status"] == "complete"
    assert {k: v for k, v in _scope()["api_calls"].items() if k.startswith("eks:")} == {
        "eks:ListPodIdentityAssociations": 1,
        "eks:DescribePodIdentityAssociation": 8,
    }
    links = db_rows("SELECT service_account_id FROM v_workload_identity_links WHERE link_type = 'aws_pod_identity'")
    assert {r["service_account_id"] for r in links} == {f"{SA}{ns}/{name}" for ns, name in EIGHT}


def test_a_refused_describe_stops_the_others(nhi):
    """After the first refusal no further describe is sent: at most the calls already in flight
    (max_workers) are made, not one per association."""
    with fake_cluster() as cluster, EksFake(latency=0.05) as eks:
        _eight(eks)
        eks.deny("DescribePodIdentityAssociation")
        _kubeconfig(cluster.url)
        _configure(eks.url, max_workers=2)
        result = nhi("scan", "--provider", "kubernetes")
    assert result.code in (0, 1), result.err
    scope = _scope()
    assert scope["status"] == "partial" and [g["code"] for g in scope["gaps"]] == ["AccessDeniedException"]
    assert 1 <= scope["api_calls"]["eks:DescribePodIdentityAssociation"] <= 2


def test_a_cluster_that_is_not_eks_makes_no_eks_call(nhi):
    with fake_cluster() as cluster, EksFake() as eks:
        Path("kubeconfig").write_text(yaml.safe_dump(cluster.kubeconfig(context="prod", token=TOKEN)))
        _configure(eks.url)
        result = nhi("scan", "--provider", "kubernetes")
        assert result.code in (0, 1), result.err
        assert eks.requests == []
    assert not [k for k in _scope()["api_calls"] if k.startswith("eks:")]


def _client(url: str, region: str = "us-east-1"):
    return boto3.client(
        "eks", endpoint_url=url, region_name=region, config=Config(retries={"max_attempts": 1, "mode": "standard"})
    )


def test_the_fake_refuses_what_eks_refuses():
    with EksFake() as eks:
        eks.add_association("prod-eks", "payments", "idle-reader", ROLE, created=NOW)
        client = _client(eks.url)
        assert len(client.list_pod_identity_associations(clusterName="prod-eks", maxResults=100)["associations"]) == 1
        with pytest.raises(ClientError) as err:
            client.list_pod_identity_associations(clusterName="prod-eks", maxResults=101)
        assert err.value.response["Error"]["Code"] == "InvalidParameterException"
        assert "less than or equal to 100" in err.value.response["Error"]["Message"]
        with pytest.raises(ClientError) as err:
            client.list_pod_identity_associations(clusterName="prod-eks", nextToken="not-ours")
        assert err.value.response["Error"]["Code"] == "InvalidParameterException"
        for call in (
            lambda: client.list_pod_identity_associations(clusterName="staging"),
            lambda: _client(eks.url, "eu-west-1").list_pod_identity_associations(clusterName="prod-eks"),
            lambda: client.describe_pod_identity_association(
                clusterName="prod-eks", associationId="a-0000000000000000"
            ),
        ):
            with pytest.raises(ClientError) as err:
                call()
            assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
        # anything but the two reads has no route: a scan that mutated would fail here
        with pytest.raises(ClientError):
            client.delete_pod_identity_association(clusterName="prod-eks", associationId="a-0000000000000000")


def test_the_fakes_answers_conform_to_botocores_eks_model():
    """What the fake answers is checked against the output shapes before it is sent: an
    association with a field the model does not declare is refused, with the field named."""
    with EksFake() as eks:
        item = eks.add_association("prod-eks", "payments", "idle-reader", ROLE, created=NOW)
        client = _client(eks.url)
        (summary,) = client.list_pod_identity_associations(clusterName="prod-eks")["associations"]
        assert "roleArn" not in summary  # the list's summaries carry no role: describe does
        described = client.describe_pod_identity_association(
            clusterName="prod-eks", associationId=item["associationId"]
        )
        assert described["association"]["roleArn"] == ROLE
        eks.clusters[("us-east-1", "prod-eks")][0]["roleARN"] = ROLE  # a renamed field
        with pytest.raises(ClientError) as err:
            client.describe_pod_identity_association(clusterName="prod-eks", associationId=item["associationId"])
        assert "declares no ['roleARN']" in err.value.response["Error"]["Message"]


def test_which_contexts_are_eks_clusters():
    from nhi_connectors.kubernetes.eks import EksCluster, eks_cluster_of

    server = "https://5E1F0D3A9C7B.gr7.eu-west-1.eks.amazonaws.com"
    get_token = {
        "exec": {
            "command": "aws",
            "args": ["--region", "eu-west-1", "eks", "get-token", "--cluster-name", "prod"],
            "env": [{"name": "AWS_PROFILE", "value": "platform"}],
        }
    }
    authenticator = {"exec": {"command": "aws-iam-authenticator", "args": ["token", "-i", "prod"]}}
    assert eks_cluster_of(CLUSTER_ARN, server, None) == EksCluster("prod-eks", "us-east-1", ACCOUNT_ID)
    assert eks_cluster_of("prod", server, get_token) == EksCluster("prod", "eu-west-1", None, "platform")
    assert eks_cluster_of("prod", server, authenticator) == EksCluster("prod", "eu-west-1")  # region of the host
    assert eks_cluster_of("prod", "https://10.0.0.1", {"token": "x"}) is None  # nothing says EKS
    assert eks_cluster_of("prod", "https://10.0.0.1", {"token": "x"}, CLUSTER_ARN) == EksCluster(
        "prod-eks", "us-east-1", ACCOUNT_ID
    )  # the eks_clusters setting
