"""Deploy keys across every repository of an org, on an API budget.

Listing keys repository by repository costs one REST call per repository (5,000 calls for
5,000 repositories), though most repositories have none. The ``graphql`` strategy (default)
asks GraphQL for ``deployKeys.totalCount`` of 100 repositories per query, then reads the keys
over REST only for the repositories that have any: REST is where the numeric id (for delete),
``last_used`` and ``added_by`` are. Calls: ceil(repos / 100) + repos with keys. The ``rest``
strategy (for servers without GraphQL) lists repositories (ceil(repos / 100)) and then every
repository's keys. benchmarks/README.md "Connector API budgets" has the measured counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from nhi_cli.kit.connector import ScopeFailed
from nhi_cli.kit.http import NotFound, RestClient

REPOS_WITH_KEYS = """
query($org: String!, $cursor: String) {
  organization(login: $org) {
    repositories(first: 100, after: $cursor) {
      pageInfo { hasNextPage endCursor }
      nodes { name deployKeys { totalCount } }
    }
  }
}
"""


def repos_with_keys_graphql(client: RestClient, graphql_url: str, org: str) -> Iterator[str]:
    cursor: str | None = None
    while True:
        body = client.request(
            "POST",
            graphql_url,
            json={"query": REPOS_WITH_KEYS, "variables": {"org": org, "cursor": cursor}},
            count_as="github:POST /graphql (repositories.deployKeys)",
        ).json()
        if body.get("errors"):
            first = body["errors"][0]
            raise ScopeFailed(str(first.get("type") or "graphql_error"), f"GraphQL: {first.get('message', '')}")
        repos = ((body.get("data") or {}).get("organization") or {}).get("repositories")
        if repos is None:
            raise ScopeFailed("graphql_error", f"GraphQL returned no repositories for {org}")
        for node in repos["nodes"]:
            if node and node["deployKeys"]["totalCount"]:
                yield node["name"]
        if not repos["pageInfo"]["hasNextPage"]:
            return
        cursor = repos["pageInfo"]["endCursor"]


def all_repos_rest(client: RestClient, org: str) -> Iterator[str]:
    for repo in client.paged_link(
        f"/orgs/{org}/repos", {"per_page": 100, "type": "all"}, count_as="github:GET /orgs/{org}/repos"
    ):
        yield repo["name"]


def get_deploy_keys(client: RestClient, org: str, repo: str) -> list[dict[str, Any]]:
    try:
        return list(
            client.paged_link(
                f"/repos/{org}/{repo}/keys", {"per_page": 100}, count_as="github:GET /repos/{org}/{repo}/keys"
            )
        )
    except NotFound:  # deleted or renamed between listing and reading
        return []


def collect_deploy_keys(
    client: RestClient, graphql_url: str, org: str, strategy: str
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    repos = repos_with_keys_graphql(client, graphql_url, org) if strategy == "graphql" else all_repos_rest(client, org)
    for repo in list(repos):
        keys = get_deploy_keys(client, org, repo)
        if keys:
            yield repo, keys
