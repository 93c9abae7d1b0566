"""The GitHub get layer: REST list calls, paged (the authenticated client comes from auth.py,
deploy keys from deploy_keys.py)."""

from __future__ import annotations

from typing import Any

from nhi_cli.kit.http import RestClient


def _paged(client: RestClient, org: str, what: str, items_key: str | None = None) -> list[dict[str, Any]]:
    """Every item of ``/orgs/{org}/<what>``, following the Link header, 100 a page."""
    return list(
        client.paged_link(
            f"/orgs/{org}/{what}", {"per_page": 100}, items_key=items_key, count_as=f"github:GET /orgs/{{org}}/{what}"
        )
    )


def get_installations(client: RestClient, org: str) -> list[dict[str, Any]]:
    return _paged(client, org, "installations", items_key="installations")


def get_fine_grained_pats(client: RestClient, org: str) -> list[dict[str, Any]]:
    return _paged(client, org, "personal-access-tokens")


def get_credential_authorizations(client: RestClient, org: str) -> list[dict[str, Any]]:
    return _paged(client, org, "credential-authorizations")
