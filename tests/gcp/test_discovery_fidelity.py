"""Project discovery as Resource Manager documents it (issue 12), through the real REST client.

SearchProjects matches ANY of several query fields, so ``parent:X state:ACTIVE`` returns active
projects outside X (and the same ones again for every folder searched). The fake implements
that documented semantics; discovery walks ListProjects / ListFolders by parent instead."""

from __future__ import annotations

import json

import httpx
import pytest
import yaml

from nhi_cli.kit.times import load_relative_estate
from nhi_connectors.gcp.fake import GcpFake
from tests.gcp.conftest import ESTATE, NOW

ORG = "organizations/410000000001"


def estate_with_neighbours() -> dict:
    estate = load_relative_estate(ESTATE, NOW)
    estate["projects"].append(
        {
            "name": "projects/477777777777",
            "projectId": "other-org-app",
            "parent": "organizations/499999999999",
            "state": "ACTIVE",
            "displayName": "Not ours",
        }
    )
    estate["projects"].append(
        {
            "name": "projects/488888888888",
            "projectId": "nw-ml-sandbox",
            "parent": "folders/420000000002",
            "state": "ACTIVE",
            "displayName": "nested",
        }
    )
    estate["folders"].append(
        {"name": "folders/420000000002", "parent": "folders/420000000001", "displayName": "sandbox", "state": "ACTIVE"}
    )
    return estate


def test_discovery_stays_inside_the_organization_and_lists_each_project_once(nhi, tmp_path):
    with GcpFake(estate_with_neighbours(), page_size=2) as fake:
        (tmp_path / "nhi.yaml").write_text(
            yaml.safe_dump({"version": 1, "providers": {"gcp": {**fake.settings(), "organization": ORG}}})
        )
        result = nhi("scan", "--format", "json")
        searched = fake.http.calls("GET", r"/v3/projects:search")
        listed = fake.http.calls("GET", r"/v3/projects")
    assert result.code in (0, 3), result.err  # nw-secret is denied in the recorded estate
    found = [s["scope"] for s in json.loads(result.out)["scopes"] if s["provider"] == "gcp"]
    assert sorted(found) == ["nw-data", "nw-ml-dev", "nw-ml-prod", "nw-ml-sandbox", "nw-secret"]
    assert searched == []
    assert {r.arg("parent") for r in listed} == {ORG, "folders/420000000001", "folders/420000000002"}


def test_the_fake_search_has_the_documented_any_field_semantics():
    with GcpFake(estate_with_neighbours()) as fake:
        body = httpx.get(fake.http.url + "/v3/projects:search", params={"query": f"parent:{ORG} state:ACTIVE"}).json()
        no_parent = httpx.get(fake.http.url + "/v3/projects")
    ids = {p["projectId"] for p in body["projects"]}
    assert "other-org-app" in ids and "nw-ml-prod" in ids  # matches state:ACTIVE, though not under the org
    assert no_parent.status_code == 400  # ListProjects requires parent


def test_iam_fake_refuses_a_page_size_above_the_documented_maximum(gcp_fake):
    """ListServiceAccounts documents a maximum page_size of 100 (default 20): the real IAMClient
    asking for 101 gets INVALID_ARGUMENT from the fake, 100 is served."""
    import grpc
    from google.api_core.exceptions import InvalidArgument
    from google.cloud import iam_admin_v1
    from google.cloud.iam_admin_v1.services.iam.transports import IAMGrpcTransport

    channel = grpc.insecure_channel(gcp_fake.iam.endpoint)
    try:
        client = iam_admin_v1.IAMClient(transport=IAMGrpcTransport(channel=channel))
        request = {"name": "projects/nw-ml-prod", "page_size": 101}
        with pytest.raises(InvalidArgument, match="maximum of 100"):
            client.list_service_accounts(request=request, retry=None).next_page_token  # noqa: B018
        first = client.list_service_accounts(request={**request, "page_size": 100}, retry=None)
        assert first.accounts  # served (in the fake's own test-sized pages)
    finally:
        channel.close()
