"""Pure transforms: RBAC normalisation and aggregation, owner resolution, unreadable items."""

from __future__ import annotations

from nhi_connectors.kubernetes.rbac import role_rules, transform_bindings
from nhi_connectors.kubernetes.transform import transform_cluster


def _sa(ns, name, **extra):
    return {"metadata": {"name": name, "namespace": ns, **extra}}


def _grants(rule, binding_kind="ClusterRoleBinding", ns="", privileged=("kube-system",)):
    role = {"metadata": {"name": "r"}, "rules": [rule]}
    binding = {
        "metadata": {"name": "b", **({"namespace": ns} if ns else {})},
        "roleRef": {"kind": "ClusterRole", "name": "r"},
        "subjects": [{"kind": "ServiceAccount", "name": "a", "namespace": ns or "x"}],
    }
    crbs, rbs = ([binding], []) if binding_kind == "ClusterRoleBinding" else ([], [binding])
    grants, _ = transform_bindings(
        "c", rbs, crbs, role_rules([], [role]), {"x": ["a"]}, lambda n, s: f"{n}/{s}", privileged
    )
    return grants


def test_flags_name_the_dangerous_verbs():
    (g,) = _grants({"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["bind"]})
    assert g.is_privesc and not g.is_admin
    (g,) = _grants({"apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"]})
    assert g.is_privesc
    (g,) = _grants({"apiGroups": [""], "resources": ["pods"], "verbs": ["create"]})
    assert g.is_privesc  # creating pods cluster-wide runs them as any account
    (g,) = _grants({"apiGroups": [""], "resources": ["pods"], "verbs": ["create"]}, "RoleBinding", "x")
    assert not g.is_privesc and g.resource == "x/core/pods"  # in an ordinary namespace
    (g,) = _grants({"apiGroups": [""], "resources": ["pods"], "verbs": ["create"]}, "RoleBinding", "kube-system")
    assert g.is_privesc  # in a privileged namespace
    (g,) = _grants({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}, "RoleBinding", "x")
    assert g.is_full_wildcard and not g.is_admin  # a namespace's admin, not the cluster's
    (g,) = _grants({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"], "resourceNames": ["one"]})
    assert not g.is_admin and g.resource == "*/*/*/one"
    (g,) = _grants({"apiGroups": [""], "resources": ["secrets"], "verbs": ["watch"]})
    assert g.is_sensitive and not g.is_privesc


def test_aggregation_follows_match_expressions():
    aggregate = {
        "metadata": {"name": "agg"},
        "aggregationRule": {
            "clusterRoleSelectors": [{"matchExpressions": [{"key": "tier", "operator": "In", "values": ["a"]}]}]
        },
    }
    member = {
        "metadata": {"name": "m", "labels": {"tier": "a"}},
        "rules": [{"verbs": ["get"], "apiGroups": [""], "resources": ["nodes"]}],
    }
    other = {
        "metadata": {"name": "o", "labels": {"tier": "b"}},
        "rules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
    }
    rules = role_rules([], [aggregate, member, other])
    assert rules[("ClusterRole", "", "agg")] == member["rules"]


def test_unreadable_items_are_gaps_not_crashes():
    batch = transform_cluster(
        "c",
        {
            "serviceaccounts": [_sa("x", "a"), {"metadata": {"namespace": "x"}}],
            "secrets": [
                {
                    "metadata": {"name": "t", "namespace": "x", "annotations": {}},
                    "type": "kubernetes.io/service-account-token",
                }
            ],
        },
        owner_keys=["owner"],
    )
    assert [i.name for i in batch.identities] == ["x/a"]
    assert [g["what"] for g in batch.gaps] == ["service account", "token secret"]
    assert all(g["code"] == "malformed_response" for g in batch.gaps)


def test_owner_from_configured_keys_and_automount():
    batch = transform_cluster(
        "c",
        {
            "serviceaccounts": [_sa("x", "a", labels={"team": "ml"}, annotations={"owner": "ann@example.com"})],
            "pods": [
                {
                    "metadata": {"name": "p", "namespace": "x"},
                    "spec": {"serviceAccountName": "a", "containers": [{"name": "c"}]},
                }
            ],
        },
        owner_keys=["team", "owner"],
    )
    account = next(i for i in batch.identities if i.kind == "k8s_service_account")
    assert (account.owner, account.owner_source) == ("ml", "label:team")
    pod = next(i for i in batch.identities if i.kind == "k8s_workload")
    assert pod.attrs["token_mounted"] is True  # neither the pod nor the account turned it off
