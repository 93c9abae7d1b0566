"""The GCP get layer for AI credentials and agents (connector.py calls it per project).

- API Keys API v2: ``GET /v2/projects/{project}/locations/global/keys`` (``pageSize`` 300,
  ``pageToken``): every key of the project with its restrictions, one call per 300 keys. The
  key string is never asked for (that is ``GetKeyString``, a separate call nhi does not make);
  a ``keyString`` a proxy might add is dropped here.
- Vertex AI Agent Engine: ``GET https://{region}-aiplatform.googleapis.com/v1/projects/{project}/
  locations/{region}/reasoningEngines`` (``pageSize`` 100) per region in ``vertex_regions``:
  every deployed agent with the identity it runs as. One call per region and project. Then
  ``POST .../reasoningEngines/{id}:getIamPolicy`` (``options.requestedPolicyVersion=3``;
  ``aiplatform.reasoningEngines.getIamPolicy``, read-only despite the POST) per engine, at most
  ``vertex_policy_limit`` per project and region: the roles granted on the agent itself, whose
  owner-like user is the engine's owner (an engine has no creator field, and label values cannot
  hold an e-mail address).

Both use nhi's RestClient (retries, counting, 401/403 -> ScopeDenied), like Policy Analyzer.
Revoke: ``DELETE /v2/{key}`` and ``POST /v2/{key}:undelete`` (revoke.py).
"""

from __future__ import annotations

from typing import Any

from nhi_cli.kit.http import RestClient

from .clients import GcpClients
from .settings import GcpSettings

API_KEYS_PAGE = 300  # the API Keys API's documented maximum
ENGINES_PAGE = 100


def rest(c: GcpClients, label: str, base: str) -> RestClient:
    """A RestClient for one more Google REST API, with the scope's bearer and retry policy."""
    made = RestClient(
        base,
        c.ctx,
        label=label,
        headers=c._bearer,
        timeout=c.settings.timeout,
        max_retries=c.settings.max_retries,
        max_wait=c.settings.retry_max_wait,
        sleep=c.sleep,
    )
    c.extra.append(made)  # closed with the other clients
    return made


def _pages(client: RestClient, path: str, params: dict[str, Any], key: str, count_as: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params = dict(params)
    while True:
        body = client.request("GET", path, params=params, count_as=count_as).json()
        items.extend(body.get(key, []))
        if not body.get("nextPageToken"):
            return items
        params["pageToken"] = body["nextPageToken"]


def get_api_keys(c: GcpClients, project: str, show_deleted: bool = False) -> list[dict[str, Any]]:
    client = rest(c, "apikeys", c.settings.apikeys_endpoint)
    keys = _pages(
        client,
        f"/v2/projects/{project}/locations/global/keys",
        {"pageSize": API_KEYS_PAGE, **({"showDeleted": "true"} if show_deleted else {})},
        "keys",
        "apikeys:keys.list",
    )
    for key in keys:
        key.pop("keyString", None)  # never requested; never kept
    return keys


def aiplatform_endpoint(settings: GcpSettings, region: str) -> str:
    return settings.aiplatform_endpoint or f"https://{region}-aiplatform.googleapis.com"


def get_reasoning_engines(c: GcpClients, project: str, region: str) -> list[dict[str, Any]]:
    client = rest(c, "aiplatform", aiplatform_endpoint(c.settings, region))
    engines = _pages(
        client,
        f"/v1/projects/{project}/locations/{region}/reasoningEngines",
        {"pageSize": ENGINES_PAGE},
        "reasoningEngines",
        "aiplatform:reasoningEngines.list",
    )
    # Only what nhi reads: the package and source specs point at code, env vars may hold secrets.
    keep = ("name", "displayName", "description", "createTime", "updateTime", "labels")
    return [
        {
            **{k: e[k] for k in keep if k in e},
            "spec": {
                k: (e.get("spec") or {}).get(k)
                for k in ("serviceAccount", "effectiveIdentity", "identityType", "agentFramework")
            },
        }
        for e in engines
    ]


def get_engine_policies(c: GcpClients, region: str, names: list[str]) -> dict[str, dict[str, Any]]:
    """The IAM policy set on each engine (version 3: conditional bindings come back whole)."""
    client = rest(c, "aiplatform", aiplatform_endpoint(c.settings, region))
    policies: dict[str, dict[str, Any]] = {}
    for name in names:
        response = client.request(
            "POST",
            f"/v1/{name}:getIamPolicy",
            params={"options.requestedPolicyVersion": 3},
            count_as="aiplatform:reasoningEngines.getIamPolicy",
        )
        body = response.json()
        policies[name] = {"bindings": [b for b in body.get("bindings") or [] if isinstance(b, dict)]}
    return policies
