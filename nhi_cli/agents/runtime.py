"""Runtime chains: what an agent's members run as and become.

A Kubernetes workload runs as a service account (trust ``runs_as`` from the kubernetes
connector), and a service account becomes a cloud identity through workload identity (IRSA, GKE,
Azure; view v_workload_identity_links). An agent that claims the deployment therefore also
holds the service account and the cloud role: they are what a compromise of the agent reaches,
and what ``nhi revoke --agent`` must cut. The chain is recorded in each member's evidence, so
``nhi agents show`` reads deployment -> service account -> cloud role.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from nhi_cli.agents.classify import Evidence
from nhi_cli.store.interface import DbConnection

MAX_DEPTH = 4  # workload -> service account -> cloud identity, with room for one more hop


def runtime_edges(conn: DbConnection) -> dict[str, list[tuple[str, str]]]:
    """principal id -> [(identity it runs as or becomes, how)], for live identities."""
    edges: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for principal, target in conn.execute(
        "SELECT t.principal, t.identity_id FROM trust t JOIN identity i ON i.id = t.identity_id "
        "AND i.removed_at IS NULL WHERE t.principal_type = 'k8s_workload'"
    ):
        edges[principal].append((target, "runs as"))
    for principal, target, link_type in conn.execute(
        "SELECT service_account_id, cloud_identity_id, link_type FROM v_workload_identity_links "
        "WHERE cloud_identity_id IS NOT NULL"
    ):
        edges[principal].append((target, f"becomes ({link_type.replace('_', ' ')})"))
    return edges


def follow(members: list[str], edges: dict[str, list[tuple[str, str]]]) -> dict[str, Evidence]:
    """Identities reached from ``members`` through runtime edges (members included), with the
    hop that first reached each."""
    reached: dict[str, Evidence] = {}
    frontier = list(members)
    seen = set(members)  # walked from already
    for _ in range(MAX_DEPTH):
        nxt = []
        for source in frontier:
            for target, how in edges.get(source, []):
                # a member reached by the chain gets the hop as evidence too (a glob claimed
                # the service account; the chain says why it belongs)
                reached.setdefault(target, Evidence("runtime_chain", f"{source} {how} {target}", "strong"))
                if target not in seen:
                    seen.add(target)
                    nxt.append(target)
        frontier = nxt
        if not frontier:
            break
    return reached


def chains(conn: DbConnection, members: set[str]) -> list[list[dict[str, Any]]]:
    """The runtime chains among an agent's members, each from a member nothing leads to:
    [[{id, how}], ...] with ``how`` the hop that reached the identity (None for the first)."""
    inner = {
        source: [(t, how) for t, how in targets if t in members]
        for source, targets in runtime_edges(conn).items()
        if source in members
    }
    reached = {t for targets in inner.values() for t, _ in targets}
    out: list[list[dict[str, Any]]] = []

    def walk(path: list[dict[str, Any]]) -> None:
        nxt = [(t, how) for t, how in inner.get(path[-1]["id"], []) if all(t != p["id"] for p in path)]
        if not nxt or len(path) > MAX_DEPTH:
            out.append(path)
            return
        for target, how in sorted(nxt):
            walk(path + [{"id": target, "how": how}])

    for root in sorted(s for s, targets in inner.items() if targets and s not in reached):
        walk([{"id": root, "how": None}])
    return out
