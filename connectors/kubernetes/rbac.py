"""Transform (pure): RBAC Roles, ClusterRoles and their bindings -> grants of service accounts.

One grant per (verb, API group, resource) of each rule a binding gives a service account:
``action`` is the verb, ``service`` the API group ("core" for ""), ``resource`` reads
``<namespace or *>/<group>/<resource>[/<resourceNames>]``, so a ClusterRoleBinding's grants
start with ``*/`` (cluster-wide) and a RoleBinding's with its namespace. ``source`` names the
binding and the role, plus `` (via group G)`` when the account is reached through a group.
Subjects reached: ServiceAccounts, and the groups every service account
is in (``system:serviceaccounts``, ``system:serviceaccounts:<namespace>``); people are not NHIs.

Flags (what the rules read):
- ``is_full_wildcard``: verb, group and resource all ``*``; ``is_admin``: that, cluster-wide
  (cluster-admin or its twin); ``is_service_wildcard``: a ``*`` verb or resource;
- ``is_privesc``: a verb or resource that turns into more power: ``escalate``/``bind`` on roles,
  ``impersonate``, ``create serviceaccounts/token`` (minting tokens), ``pods/exec``,
  creating pods or workloads cluster-wide or in a privileged namespace, and full wildcards;
- ``is_sensitive``: reading secrets (get/list/watch).

ClusterRoles with an ``aggregationRule`` get the rules of every ClusterRole whose labels match
a selector (the API server's controller does the same; doing it here keeps a freshly created
aggregate correct and makes the fake's payloads the only truth).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from nhi_cli.model import Grant, GrantFlags

ROLE_RESOURCES = {"roles", "clusterroles", "*"}
WORKLOAD_RESOURCES = {"pods", "deployments", "daemonsets", "statefulsets", "replicasets", "jobs", "cronjobs", "*"}
READ = {"get", "list", "watch", "*"}
SA_GROUP = "system:serviceaccounts"


def _matches(labels: dict[str, Any], selector: dict[str, Any]) -> bool:
    """A Kubernetes label selector (matchLabels and matchExpressions)."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), set(expr.get("values") or [])
        present = key in labels
        if (
            (op == "In" and labels.get(key) not in values)
            or (op == "NotIn" and present and labels.get(key) in values)
            or (op == "Exists" and not present)
            or (op == "DoesNotExist" and present)
        ):
            return False
    return bool(selector.get("matchLabels") or selector.get("matchExpressions"))


def role_rules(
    roles: list[dict[str, Any]], cluster_roles: list[dict[str, Any]]
) -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    """(kind, namespace or "", name) -> the role's rules, aggregation applied."""
    out: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for role in roles:
        meta = role.get("metadata") or {}
        out[("Role", meta.get("namespace") or "", meta.get("name") or "")] = list(role.get("rules") or [])
    plain = [r for r in cluster_roles if not r.get("aggregationRule")]
    for role in cluster_roles:
        meta = role.get("metadata") or {}
        rules = list(role.get("rules") or [])
        aggregation = role.get("aggregationRule") or {}
        selectors = aggregation.get("clusterRoleSelectors") or []
        if selectors and not rules:
            for other in plain:
                labels = (other.get("metadata") or {}).get("labels") or {}
                if any(_matches(labels, s) for s in selectors):
                    rules.extend(other.get("rules") or [])
        out[("ClusterRole", "", meta.get("name") or "")] = rules
    return out


def _flags(verb: str, group: str, resource: str, namespace: str, privileged: set[str]) -> GrantFlags:
    base, _, sub = resource.partition("/")
    full = verb == "*" and group == "*" and resource == "*"
    cluster_wide = namespace == "*"
    creates = verb in ("create", "*")
    privesc = (
        full
        or (
            verb in ("escalate", "bind", "*") and base in ROLE_RESOURCES and group in ("rbac.authorization.k8s.io", "*")
        )
        or verb == "impersonate"
        or (creates and (resource in ("serviceaccounts/token", "*") or (base == "serviceaccounts" and sub == "token")))
        or (resource in ("pods/exec", "pods/*") and verb in ("create", "get", "*"))
        or (creates and base in WORKLOAD_RESOURCES and not sub and (cluster_wide or namespace in privileged))
    )
    return {
        "is_full_wildcard": full,
        "is_admin": full and cluster_wide,
        "is_service_wildcard": verb == "*" or resource == "*",
        "is_privesc": privesc,
        "is_sensitive": verb in READ and base in ("secrets", "*") and not sub,
    }


def _rule_grants(
    rule: dict[str, Any],
    identity_ids: Iterable[str],
    scope: str,
    namespace: str,
    source: str,
    source_type: str,
    privileged: set[str],
) -> list[Grant]:
    grants = []
    names = rule.get("resourceNames") or []
    suffix = "/" + ",".join(sorted(names)) if names else ""
    targets = [(g or "core", r) for g in rule.get("apiGroups") or [] for r in rule.get("resources") or []]
    targets += [("nonResourceURL", u) for u in rule.get("nonResourceURLs") or []]
    for verb in rule.get("verbs") or []:
        for group, resource in targets:
            if group == "nonResourceURL":
                flags = GrantFlags(
                    is_full_wildcard=False,
                    is_admin=False,
                    is_service_wildcard=False,
                    is_privesc=False,
                    is_sensitive=False,
                )
                where = f"url:{resource}"
            else:
                flags = _flags(verb, "*" if group == "*" else group, resource, namespace, privileged)
                where = f"{namespace}/{group}/{resource}{suffix}"
                if names:  # a rule limited to named objects is not a wildcard over all of them
                    flags["is_admin"] = flags["is_full_wildcard"] = False
            for identity_id in identity_ids:
                grants.append(
                    Grant(
                        identity_id=identity_id,
                        provider="kubernetes",
                        scope=scope,
                        action=verb,
                        resource=where,
                        source=source,
                        source_type=source_type,
                        service=group,
                        **flags,
                    )
                )
    return grants


def transform_bindings(
    scope: str,
    role_bindings: list[dict[str, Any]],
    cluster_role_bindings: list[dict[str, Any]],
    rules_by_role: dict[tuple[str, str, str], list[dict[str, Any]]],
    accounts: dict[str, list[str]],
    sa_id: Callable[[str, str], str],  # (namespace, name) -> the account's identity id
    privileged: Iterable[str] = (),
) -> tuple[list[Grant], list[dict[str, Any]]]:
    """(grants, dangling bindings) for the service accounts ``accounts`` (namespace -> names)
    names. A binding whose role does not exist grants nothing today but would the moment
    someone creates that role: it is returned for the record."""
    privileged_set = set(privileged)
    grants: list[Grant] = []
    dangling: list[dict[str, Any]] = []
    for binding, cluster in [(b, False) for b in role_bindings] + [(b, True) for b in cluster_role_bindings]:
        meta = binding.get("metadata") or {}
        ref = binding.get("roleRef") or {}
        binding_ns = "" if cluster else meta.get("namespace") or ""
        ref_kind, ref_name = ref.get("kind"), ref.get("name")
        key = (ref_kind, binding_ns if ref_kind == "Role" else "", ref_name)
        namespace = "*" if cluster else binding_ns
        kind = "ClusterRoleBinding" if cluster else f"RoleBinding {binding_ns}"
        source = f"{kind}/{meta.get('name')} -> {ref_kind}/{ref_name}"
        # (source, subject ids): a binding naming an account directly, and one per group, so
        # a rule can tell "bound to this account" from "every account in the namespace"
        reached: dict[str, list[str]] = {}
        for subject in binding.get("subjects") or []:
            skind, sname = subject.get("kind"), subject.get("name") or ""
            if skind == "ServiceAccount":
                reached.setdefault(source, []).append(sa_id(subject.get("namespace") or binding_ns, sname))
            elif skind == "Group" and sname == SA_GROUP:
                reached.setdefault(f"{source} (via group {sname})", []).extend(
                    sa_id(ns, n) for ns, names in accounts.items() for n in names
                )
            elif skind == "Group" and sname.startswith(SA_GROUP + ":"):
                ns = sname[len(SA_GROUP) + 1 :]
                reached.setdefault(f"{source} (via group {sname})", []).extend(
                    sa_id(ns, n) for n in accounts.get(ns, [])
                )
        reached = {k: v for k, v in reached.items() if v}
        if not reached:
            continue
        if key not in rules_by_role:
            dangling.append({"binding": source, "subjects": sorted({i for ids in reached.values() for i in ids})})
            continue
        source_type = "cluster_role_binding" if cluster else "role_binding"
        for via, ids in reached.items():
            for rule in rules_by_role[key]:
                grants.extend(_rule_grants(rule, sorted(set(ids)), scope, namespace, via, source_type, privileged_set))
    return grants, dangling
