"""The fake proves itself: what it serves conforms to the OpenAPI models generated into the
official kubernetes client (pydantic models that forbid unknown fields), and it refuses what
the real API server refuses."""

from __future__ import annotations

import copy
import json

import pytest
from k8s_helpers import FIXTURES, NOW, TOKEN, fake_cluster

from nhi_cli.kit.times import load_relative_estate
from nhi_connectors.kubernetes.fake import RESOURCES, validate


def _fixture(resource: str) -> dict:
    return load_relative_estate(FIXTURES / f"{resource}.json", NOW)


@pytest.mark.parametrize("resource", sorted(RESOURCES))
def test_fixtures_conform_to_the_client_models(resource):
    validate(resource, _fixture(resource))


@pytest.mark.parametrize(
    "resource, break_it",
    [
        ("pods", lambda p: p["items"][0]["spec"].update(serviceAccountname="x")),  # renamed field
        ("pods", lambda p: p["items"][0]["spec"].pop("containers")),  # a required field missing
        ("clusterrolebindings", lambda p: p["items"][0].update(subjects={"kind": "ServiceAccount"})),  # nesting
        ("rolebindings", lambda p: p["items"][0].pop("roleRef")),
        ("serviceaccounts", lambda p: p["items"][0]["metadata"].update(creationTimestamp="last tuesday")),
        ("clusterroles", lambda p: p["items"][0]["rules"][0].update(verb=["get"])),
    ],
)
def test_wrong_payloads_fail_validation(resource, break_it):
    payload = copy.deepcopy(_fixture(resource))
    break_it(payload)
    with pytest.raises(ValueError):
        validate(resource, payload)


def _get(fake, path: str, token: str = TOKEN, accept: str = "application/json"):
    import urllib.error
    import urllib.request

    request = urllib.request.Request(fake.url + path, headers={"Authorization": f"Bearer {token}", "Accept": accept})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_fake_refuses_what_the_api_server_refuses():
    with fake_cluster() as fake:
        assert _get(fake, "/api/v1/pods?limit=0")[0] == 400
        assert _get(fake, "/api/v1/pods?namespaceSelector=x")[1]["reason"] == "BadRequest"
        code, body = _get(fake, "/api/v1/pods?fieldSelector=spec.nodeName%3Dx")
        assert code == 400 and "not a known field selector" in body["message"]
        assert _get(fake, "/api/v1/pods?continue=not-a-token")[0] == 400
        code, body = _get(fake, "/api/v1/pods", token="wrong")
        assert code == 401 and body["kind"] == "Status"


def test_fake_answers_conform_including_metadata_only_lists():
    with fake_cluster() as fake:
        for resource, (base, *_rest) in RESOURCES.items():
            code, body = _get(fake, f"{base}/{resource}?limit=2")
            assert code == 200, body
            validate(resource, body)
            assert body["metadata"]["resourceVersion"]
        code, body = _get(
            fake, "/api/v1/secrets", accept="application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
        )
        assert body["kind"] == "PartialObjectMetadataList" and "data" not in body["items"][0]
        validate("secrets", body)
        # a fake that would serve a non-conforming fixture answers 500 instead
        fake.objects["pods"][0]["spec"]["serviceAccountname"] = "x"
        assert _get(fake, "/api/v1/pods")[0] == 500
