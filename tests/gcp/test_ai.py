"""GCP AI credentials and agents: API keys (API Keys API v2) and Vertex AI Agent Engine reasoning
engines, through nhi's REST client against the GCP fake, and delete/undelete of a key."""

from __future__ import annotations

import copy
import json

import pytest

from nhi_cli.kit.times import load_relative_estate
from nhi_connectors.gcp.fake import GcpFake
from tests.conftest import invoke
from tests.gcp.conftest import ESTATE, NOW, query

PROJECT = "nw-ml-prod"
KEYS = f"projects/{PROJECT}/locations/global/keys/"
TRAINER = "trainer@nw-ml-prod.iam.gserviceaccount.com"
API_KEYS = [
    {"name": KEYS + "k-open", "uid": "k-open", "displayName": "prototype key", "createTime": "2026-01-05T10:00:00Z",
     "restrictions": {}},
    {"name": KEYS + "k-gemini", "uid": "k-gemini", "displayName": "gemini from anywhere",
     "createTime": "2026-03-01T10:00:00Z",
     "restrictions": {"apiTargets": [{"service": "generativelanguage.googleapis.com"}]}},
    {"name": KEYS + "k-maps", "uid": "k-maps", "displayName": "maps widget", "createTime": "2026-02-01T10:00:00Z",
     "restrictions": {"browserKeyRestrictions": {"allowedReferrers": ["https://northwind.example/*"]},
                      "apiTargets": [{"service": "maps-backend.googleapis.com"}]}},
    {"name": KEYS + "k-bound", "uid": "k-bound", "displayName": "trainer's key", "createTime": "2026-04-01T10:00:00Z",
     "serviceAccountEmail": TRAINER,
     "restrictions": {"serverKeyRestrictions": {"allowedIps": ["203.0.113.0/24"]},
                      "apiTargets": [{"service": "aiplatform.googleapis.com"}]}},
]  # fmt: skip
ENGINE = f"projects/{PROJECT}/locations/us-central1/reasoningEngines/4471"
ENGINES = {
    PROJECT: {
        "us-central1": [
            {"name": ENGINE, "displayName": "claims-triage", "createTime": "2026-05-01T10:00:00Z",
             "updateTime": "2026-05-02T10:00:00Z",
             "spec": {"serviceAccount": TRAINER, "effectiveIdentity": TRAINER, "agentFramework": "google-adk"}},
            {"name": f"projects/{PROJECT}/locations/us-central1/reasoningEngines/4472", "displayName": "faq-bot",
             "createTime": "2026-05-01T10:00:00Z", "updateTime": "2026-05-01T10:00:00Z",
             "spec": {"effectiveIdentity": "service-210000000001@gcp-sa-aiplatform-re.iam.gserviceaccount.com"}},
        ]
    }
}  # fmt: skip


def estate(**extra) -> dict:
    data = load_relative_estate(ESTATE, NOW)
    data["apiKeys"] = {PROJECT: copy.deepcopy(API_KEYS)}
    data["reasoningEngines"] = copy.deepcopy(ENGINES)
    data.update(extra)
    return data


@pytest.fixture
def ai_fake(tmp_path):
    with GcpFake(estate(), page_size=2) as fake:
        _config(fake, tmp_path)
        yield fake


def _config(fake, tmp_path, **settings):
    import yaml

    section = {**fake.settings(), "projects": [PROJECT], **settings}
    (tmp_path / "nhi.yaml").write_text(yaml.safe_dump({"version": 1, "providers": {"gcp": section}}))


def _scan():
    return invoke("scan", "--config", "nhi.yaml", "-q", "-f", "json")


def test_api_keys_are_credentials_with_what_they_may_call_and_engines_are_platform_agents(ai_fake):
    result = _scan()
    assert result.code in (0, 1), result.err
    keys = {r["key_id"]: r for r in query("SELECT * FROM v_credentials WHERE kind = 'gcp_api_key'")}
    assert set(keys) == {"k-open", "k-gemini", "k-maps", "k-bound"}
    reach = {k: json.loads(r["attrs"]) for k, r in keys.items()}
    assert (reach["k-open"]["unrestricted"], reach["k-open"]["ai_credential"]) == (True, True)
    assert reach["k-gemini"]["api_targets"] == ["generativelanguage.googleapis.com"]
    assert (reach["k-gemini"]["app_restriction"], reach["k-gemini"]["ai_credential"]) == ("none", True)
    assert (reach["k-maps"]["app_restriction"], reach["k-maps"]["ai_credential"]) == ("browser", False)
    assert keys["k-bound"]["identity_id"] == TRAINER
    assert keys["k-open"]["identity_id"] == f"projects/{PROJECT}/apiKeys"
    engines = {
        r["name"]: json.loads(r["attrs"])
        for r in query("SELECT * FROM v_identities WHERE kind = 'vertex_reasoning_engine'")
    }
    assert engines["claims-triage"]["service_account"] == TRAINER
    assert engines["faq-bot"]["service_account"].startswith("service-210000000001@gcp-sa-aiplatform-re")
    # pages of 2: 4 keys take two list calls, 2 engines one
    listed = [r.path for r in ai_fake.http.calls("GET", r"/v2/projects/.*/keys")]
    assert len(listed) == 2
    scope = next(s for s in json.loads(result.out)["scopes"] if s["scope"] == PROJECT)
    assert scope["api_calls"]["apikeys:keys.list"] == 2 and scope["api_calls"]["aiplatform:reasoningEngines.list"] == 1
    # the engine is an agent registered by the platform, joined to the service account it runs as
    agents = {a["name"]: a for a in json.loads(invoke("agents", "list", "-f", "json").out)}
    assert agents["claims-triage"]["evidence"] == "registered by the platform (Vertex AI Agent Engine)"
    detail = json.loads(invoke("agents", "show", "claims-triage", "-f", "json").out)
    assert TRAINER in {i["identity_id"] for i in detail["identities"]}
    findings = {(r["rule_id"], r["resource_id"]) for r in query("SELECT rule_id, resource_id FROM finding")}
    assert ("gcp_api_key_unrestricted", KEYS + "k-open") in findings
    assert ("gcp_api_key_unrestricted", KEYS + "k-gemini") in findings
    assert ("gcp_api_key_unrestricted", KEYS + "k-maps") not in findings
    assert ("gcp_api_key_unrestricted", KEYS + "k-bound") not in findings  # Vertex AI, from one network only


def test_a_refused_ai_api_is_a_gap_that_keeps_earlier_records(ai_fake):
    assert _scan().code in (0, 1)
    ai_fake.estate["aiDenied"] = [PROJECT]
    result = _scan()
    assert result.code in (0, 1), result.err  # partial, not failed
    scope = next(s for s in json.loads(result.out)["scopes"] if s["scope"] == PROJECT)
    assert scope["status"] == "partial"
    assert {(g["what"], g["code"]) for g in scope["gaps"]} >= {
        ("apikeys:keys.list", "PERMISSION_DENIED"),
        ("aiplatform:reasoningEngines.list us-central1", "PERMISSION_DENIED"),
    }
    assert query("SELECT removed_at FROM credential WHERE key_id = 'k-open'") == [{"removed_at": None}]
    assert query("SELECT removed_at FROM identity WHERE name = 'claims-triage'") == [{"removed_at": None}]


def test_revoke_deletes_the_key_and_restore_undeletes_it_within_30_days(ai_fake):
    assert _scan().code in (0, 1)
    done = invoke("revoke", KEYS + "k-open", "--config", "nhi.yaml", "--yes", "--reason", "leaked", "-f", "json")
    assert done.code == 0, done.err
    key = next(k for k in ai_fake.estate["apiKeys"][PROJECT] if k["uid"] == "k-open")
    assert key.get("deleteTime")
    again = invoke("revoke", KEYS + "k-open", "--config", "nhi.yaml", "--yes", "--reason", "leaked")
    assert again.code == 0 and "already" in (again.out + again.err).lower()
    restored = invoke("restore", str(json.loads(done.out)["revocation_id"]), "--config", "nhi.yaml", "--yes")
    assert restored.code == 0, restored.err
    assert not key.get("deleteTime")


def test_restore_after_the_undelete_window_says_so(ai_fake):
    assert _scan().code in (0, 1)
    ai_fake.estate["apiKeysClockSkewDays"] = -31  # Google deleted it 31 days ago
    done = invoke("revoke", KEYS + "k-gemini", "--config", "nhi.yaml", "--yes", "--reason", "leaked", "-f", "json")
    assert done.code == 0, done.err
    key = next(k for k in ai_fake.estate["apiKeys"][PROJECT] if k["uid"] == "k-gemini")
    deleted = key["deleteTime"]
    restored = invoke("restore", str(json.loads(done.out)["revocation_id"]), "--config", "nhi.yaml", "--yes")
    assert "30-day undelete window passed" in restored.out + restored.err
    assert restored.code != 0
    assert key["deleteTime"] == deleted  # nothing was attempted on a key Google no longer keeps
    assert not ai_fake.http.calls("POST", r".*:undelete")


def test_engine_owners_come_from_the_engine_iam_policy_then_labels_then_its_service_account(tmp_path):
    engines = copy.deepcopy(ENGINES)
    region = engines[PROJECT]["us-central1"]
    region[1]["labels"] = {"owner": "support-team"}
    region.append(
        {"name": f"projects/{PROJECT}/locations/us-central1/reasoningEngines/4473", "displayName": "intake-bot",
         "createTime": "2026-05-03T10:00:00Z", "updateTime": "2026-05-03T10:00:00Z",
         "spec": {"serviceAccount": TRAINER, "effectiveIdentity": TRAINER}}
    )  # fmt: skip
    policies = {
        ENGINE: {
            "bindings": [
                {"role": "roles/aiplatform.user", "members": ["group:claims@northwind.example"]},
                {"role": "roles/owner", "members": ["user:dana.lee@northwind.example", "group:ml@northwind.example"]},
            ]
        },
        # a conditional grant is not ownership
        f"projects/{PROJECT}/locations/us-central1/reasoningEngines/4473": {
            "bindings": [
                {"role": "roles/owner", "members": ["user:temp@northwind.example"],
                 "condition": {"title": "until friday", "expression": "request.time < timestamp('2026-06-01')"}}
            ]
        },
    }  # fmt: skip
    with GcpFake(estate(reasoningEngines=engines, reasoningEnginePolicies=policies), page_size=2) as fake:
        _config(fake, tmp_path)
        result = _scan()
        assert result.code in (0, 1), result.err
        rows = {r["name"]: r for r in query("SELECT * FROM v_identities WHERE kind = 'vertex_reasoning_engine'")}
        owners = {name: (r["owner"], r["owner_source"]) for name, r in rows.items()}
        assert owners == {
            "claims-triage": ("dana.lee@northwind.example", "iam_policy:roles/owner"),
            "faq-bot": ("support-team", "label:owner"),
            "intake-bot": ("sam.ortiz@northwind.example", "service_account"),  # the trainer account's owner
        }
        bindings = json.loads(rows["claims-triage"]["attrs"])["resource_bindings"]
        assert {"role": "roles/aiplatform.user", "members": ["group:claims@northwind.example"]} in bindings
        listed = fake.http.calls("GET", r"/v1/projects/.*/reasoningEngines")
        assert len(listed) == 2  # three engines on pages of two: the list is followed to its end
        calls = fake.http.calls("POST", r"/v1/projects/.*/reasoningEngines/[^/]+:getIamPolicy")
        assert len(calls) == 3 and all(c.query["options.requestedPolicyVersion"] == ["3"] for c in calls)
        agents = {a["name"]: a for a in json.loads(invoke("agents", "list", "-f", "json").out)}
        assert agents["claims-triage"]["owner"] == "dana.lee@northwind.example"


def test_engine_policies_beyond_the_limit_or_refused_are_gaps_and_the_engines_still_load(tmp_path):
    with GcpFake(estate(), page_size=2) as fake:
        _config(fake, tmp_path, vertex_policy_limit=1)
        result = _scan()
        scope = next(s for s in json.loads(result.out)["scopes"] if s["scope"] == PROJECT)
        assert [(g["what"], g["code"]) for g in scope["gaps"]] == [
            ("aiplatform:reasoningEngines.getIamPolicy us-central1", "DescribeBudget")
        ]
        policies = r".*/reasoningEngines/[^/]+:getIamPolicy"
        assert len(fake.http.calls("POST", policies)) == 1
        fake.http.fault("POST", policies, 403, {"error": {"code": 403, "status": "PERMISSION_DENIED"}})
        result = _scan()
        scope = next(s for s in json.loads(result.out)["scopes"] if s["scope"] == PROJECT)
        assert ("aiplatform:reasoningEngines.getIamPolicy us-central1", "PERMISSION_DENIED") in [
            (g["what"], g["code"]) for g in scope["gaps"]
        ]
        names = {r["name"] for r in query("SELECT name FROM v_identities WHERE kind = 'vertex_reasoning_engine'")}
        assert names == {"claims-triage", "faq-bot"}
