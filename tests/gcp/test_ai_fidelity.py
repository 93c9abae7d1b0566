"""The GCP fake's API Keys and Agent Engine answers validate against Google's own discovery
documents, and the fake refuses what the real APIs refuse.

Source of the models: the discovery documents bundled in google-api-python-client (the
``test`` extra; 2.202 at the time of writing): ``apikeys.v2.json`` (revision 20260818) and
``aiplatform.v1.json`` (revision 20261106), under googleapiclient/discovery_cache/documents.
A payload conforms when every field is declared by its schema (at any depth), with the
declared type, format and enum values.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from nhi_connectors.gcp.fake import GcpFake
from tests.gcp.test_ai import ENGINE, KEYS, PROJECT, estate


def _document(name: str) -> dict:
    import googleapiclient

    path = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / name
    return json.loads(path.read_text())


APIKEYS, AIPLATFORM = _document("apikeys.v2.json"), _document("aiplatform.v1.json")


class NonConforming(AssertionError):
    pass


def conforms(document: dict, schema: dict, value, where: str = "$") -> None:
    schemas = document["schemas"]
    if "$ref" in schema:
        schema = schemas[schema["$ref"]]
    kind = schema.get("type")
    if kind == "object":
        if not isinstance(value, dict):
            raise NonConforming(f"{where}: not an object")
        properties = schema.get("properties")
        if properties is not None:
            unknown = sorted(set(value) - set(properties))
            if unknown:
                raise NonConforming(f"{where}: {schema.get('id', 'object')} declares no {unknown}")
            for name, item in value.items():
                conforms(document, properties[name], item, f"{where}.{name}")
        elif "additionalProperties" in schema:
            for name, item in value.items():
                conforms(document, schema["additionalProperties"], item, f"{where}[{name!r}]")
    elif kind == "array":
        if not isinstance(value, list):
            raise NonConforming(f"{where}: not an array")
        for n, item in enumerate(value):
            conforms(document, schema["items"], item, f"{where}[{n}]")
    elif kind == "string":
        if not isinstance(value, str):
            raise NonConforming(f"{where}: not a string")
        if "enum" in schema and value not in schema["enum"]:
            raise NonConforming(f"{where}: {value!r} not in {schema['enum']}")
        if schema.get("format") == "google-datetime":
            datetime.fromisoformat(value.replace("Z", "+00:00"))
    elif kind == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
        raise NonConforming(f"{where}: not an integer")
    elif kind == "boolean" and not isinstance(value, bool):
        raise NonConforming(f"{where}: not a boolean")


def _method(document: dict, *path: str) -> dict:
    node = document
    for name in path[:-1]:
        node = node["resources"][name]
    return node["methods"][path[-1]]


KEYS_API = ("projects", "locations", "keys")


POLICY = {"bindings": [{"role": "roles/owner", "members": ["user:dana.lee@northwind.example"]}]}


@pytest.fixture
def served():
    with GcpFake(estate(reasoningEnginePolicies={ENGINE: POLICY}), page_size=2) as fake:
        yield fake, httpx.Client(base_url=fake.http.url, timeout=5)


def test_every_api_keys_and_agent_engine_answer_conforms(served):
    fake, http = served
    checks = [
        (APIKEYS, _method(APIKEYS, *KEYS_API, "list"), http.get(f"/v2/projects/{PROJECT}/locations/global/keys")),
        (APIKEYS, _method(APIKEYS, *KEYS_API, "list"),
         http.get(f"/v2/projects/{PROJECT}/locations/global/keys", params={"pageToken": "2"})),
        (APIKEYS, _method(APIKEYS, *KEYS_API, "get"), http.get(f"/v2/{KEYS}k-open")),
        (APIKEYS, _method(APIKEYS, *KEYS_API, "delete"), http.delete(f"/v2/{KEYS}k-open")),
        (APIKEYS, _method(APIKEYS, *KEYS_API, "undelete"), http.post(f"/v2/{KEYS}k-open:undelete", json={})),
        (AIPLATFORM, _method(AIPLATFORM, "projects", "locations", "reasoningEngines", "getIamPolicy"),
         http.post(f"/v1/{ENGINE}:getIamPolicy", params={"options.requestedPolicyVersion": 3})),
        (AIPLATFORM, _method(AIPLATFORM, "projects", "locations", "reasoningEngines", "list"),
         http.get(f"/v1/projects/{PROJECT}/locations/us-central1/reasoningEngines")),
    ]  # fmt: skip
    for document, method, response in checks:
        assert response.status_code == 200, response.text
        conforms(document, method["response"], response.json(), method["id"])
    engines = checks[-1][2].json()["reasoningEngines"]
    assert [e["name"] for e in engines][0] == ENGINE


def test_a_wrong_payload_fails_the_check():
    good = estate()["apiKeys"][PROJECT][0]
    schema = _method(APIKEYS, *KEYS_API, "get")["response"]
    conforms(APIKEYS, schema, good)
    renamed = {**{k: v for k, v in good.items() if k != "displayName"}, "display_name": good["displayName"]}
    with pytest.raises(NonConforming, match="display_name"):
        conforms(APIKEYS, schema, renamed)
    nested = {**good, "restrictions": {"apiTargets": {"service": "generativelanguage.googleapis.com"}}}
    with pytest.raises(NonConforming, match="not an array"):
        conforms(APIKEYS, schema, nested)


def test_the_fake_refuses_what_the_api_refuses(served):
    _, http = served
    too_big = http.get(f"/v2/projects/{PROJECT}/locations/global/keys", params={"pageSize": 301})
    assert too_big.status_code == 400 and too_big.json()["error"]["status"] == "INVALID_ARGUMENT"
    unknown = http.get(f"/v2/projects/{PROJECT}/locations/global/keys", params={"filter": "x"})
    assert unknown.status_code == 400
    assert http.post(f"/v2/{KEYS}k-open:undelete", json={}).json()["error"]["status"] == "FAILED_PRECONDITION"
    assert http.get(f"/v2/{KEYS}nope").status_code == 404
    # getIamPolicy: policy versions are 0, 1 or 3; an unknown engine is NOT_FOUND
    bad_version = http.post(f"/v1/{ENGINE}:getIamPolicy", params={"options.requestedPolicyVersion": 2})
    assert bad_version.status_code == 400
    assert http.post(f"/v1/{ENGINE}9:getIamPolicy").status_code == 404
