"""The GitHub get layer: REST list calls, paged (the authenticated client comes from auth.py,
deploy keys from deploy_keys.py)."""

from __future__ import annotations


def get_installations(client, org: str) -> list[dict]:
    return list(
        client.paged_link(
            f"/orgs/{org}/installations",
            {"per_page": 100},
            items_key="installations",
            count_as="github:GET /orgs/{org}/installations",
        )
    )


def get_fine_grained_pats(client, org: str) -> list[dict]:
    return list(
        client.paged_link(
            f"/orgs/{org}/personal-access-tokens",
            {"per_page": 100},
            count_as="github:GET /orgs/{org}/personal-access-tokens",
        )
    )


def get_credential_authorizations(client, org: str) -> list[dict]:
    return list(
        client.paged_link(
            f"/orgs/{org}/credential-authorizations",
            {"per_page": 100},
            count_as="github:GET /orgs/{org}/credential-authorizations",
        )
    )
