"""The GitHub get layer: REST list calls, paged (the authenticated client comes from auth.py,
deploy keys from deploy_keys.py)."""

from __future__ import annotations


def _paged(client, org: str, what: str, items_key: str | None = None) -> list[dict]:
    """Every item of ``/orgs/{org}/<what>``, following the Link header, 100 a page."""
    return list(
        client.paged_link(
            f"/orgs/{org}/{what}", {"per_page": 100}, items_key=items_key, count_as=f"github:GET /orgs/{{org}}/{what}"
        )
    )


def get_installations(client, org: str) -> list[dict]:
    return _paged(client, org, "installations", items_key="installations")


def get_fine_grained_pats(client, org: str) -> list[dict]:
    return _paged(client, org, "personal-access-tokens")


def get_credential_authorizations(client, org: str) -> list[dict]:
    return _paged(client, org, "credential-authorizations")
