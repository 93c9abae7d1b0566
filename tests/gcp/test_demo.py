"""`nhi scan --demo` covers GCP: the planted problems of Northwind's projects are found."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import invoke
from tests.gcp.conftest import PLANTED, query


def test_demo_scan_finds_the_planted_gcp_problems():
    result = invoke("scan", "--demo", "-p", "gcp", "--format", "json")
    assert result.code == 0, result.err  # nw-data is partial (Policy Analyzer off), not incomplete
    found = {
        (r["rule_id"], r["resource_id"].rsplit("/", 1)[-1])
        for r in query("SELECT rule_id, resource_id FROM finding WHERE provider = 'gcp' AND status = 'open'")
    }
    ops_key = "5f3c1a9e0b7d4c2a8e6f1b3d5c7a9e0b2d4f6a81"
    expected = {
        ("admin_grant", "ops-copilot@nw-ml-prod.iam.gserviceaccount.com"),
        ("credential_no_expiry", ops_key),
        ("gcp_sa_user_managed_key", ops_key),
        ("disabled_identity_active_credentials", "trainer@nw-ml-prod.iam.gserviceaccount.com"),
        ("gcp_sa_impersonable_by_broad_principal", "batch-runner@nw-ml-prod.iam.gserviceaccount.com"),
        ("gcp_default_sa_primitive_role", "412345678901-compute@developer.gserviceaccount.com"),
        # inherited: editor on the ml folder, held by an SA of another project
        ("admin_grant", "etl@nw-data.iam.gserviceaccount.com"),
        # an API key with no API restriction: Gemini (and every enabled API) from anywhere
        ("gcp_api_key_unrestricted", "4b7c2e9a-demo-gemini-prototype"),
    }
    assert expected <= found
    # the clean agent account and Google's service agents raise nothing
    assert not [f for f in found if "research-assistant" in f[1] or "gcp-sa-" in f[1] or "cloudservices" in f[1]]
    # nw-data's unknown last use is not called "unused"
    assert not [f for f in found if f[0] in ("credential_unused", "identity_unused") and "etl@" in f[1]]
    assert ("gcp_api_key_unrestricted", "7d1e0c55-demo-maps-widget") not in found  # browser-only maps key
    # the research assistant is deployed on Vertex AI Agent Engine, as its service account
    agents = {a["name"]: a for a in json.loads(invoke("agents", "list", "-f", "json").out)}
    assert agents["research-assistant"]["evidence"] == "registered by the platform (Vertex AI Agent Engine)"
    etl = query("SELECT reason FROM finding WHERE rule_id = 'admin_grant' AND resource_id LIKE 'etl@%'")
    assert "folders/420000000001#roles/editor" in etl[0]["reason"]
    blob = Path("nhi.db").read_bytes()
    for secret in PLANTED:
        assert secret not in result.out + result.err and secret.encode() not in blob
