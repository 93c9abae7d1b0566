"""OpenAI shapes the vendor documents and nhi once got wrong (issue 12), over the wire to the fake."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from nhi_connectors.openai.fake import OpenAIFake
from tests.conftest import db_rows

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "openai"
ADMIN_KEY = "sk-admin-TESTPLANTEDADMINKEY0000000000000000000000test"  # fake, used for auth: must never land


def scan(nhi, monkeypatch, fake):
    monkeypatch.setenv("OPENAI_ADMIN_KEY", ADMIN_KEY)
    Path("nhi.yaml").write_text(
        yaml.safe_dump(
            {"version": 1, "providers": {"openai": {"endpoint": fake.url + "/v1", "organization": "org-test"}}}
        )
    )
    return nhi("scan")


def recorded():
    fake = OpenAIFake.from_dir(ROOT, admin_keys={ADMIN_KEY})
    return copy.deepcopy((fake.projects, fake.keys, fake.accounts, fake.admin_keys_data))


def test_keys_whose_owner_lost_project_access_are_listed(nhi, monkeypatch):
    with OpenAIFake.from_dir(ROOT, admin_keys={ADMIN_KEY}) as fake:
        result = scan(nhi, monkeypatch, fake)
    assert result.code == 0, result.err
    (row,) = db_rows("SELECT * FROM v_credentials WHERE id = 'openai:key_5'")
    assert row["owner"] == "former@example.com"
    assert json.loads(row["attrs"])["owner_project_access"] == "inactive"
    assert {r.arg("owner_project_access") for r in fake.calls("GET", r"/v1/organization/projects/[^/]+/api_keys")} == {
        "any"
    }


def test_the_fake_hides_those_keys_from_a_default_listing():
    """The fake applies the documented membership-based visibility, so the test above can fail."""
    import httpx

    with OpenAIFake.from_dir(ROOT, admin_keys={ADMIN_KEY}) as fake:
        headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
        default = httpx.get(fake.url + "/v1/organization/projects/proj_B/api_keys", headers=headers).json()
        every = httpx.get(
            fake.url + "/v1/organization/projects/proj_B/api_keys",
            params={"owner_project_access": "any"},
            headers=headers,
        ).json()
        too_big = httpx.get(
            fake.url + "/v1/organization/projects/proj_B/api_keys", params={"limit": 101}, headers=headers
        )
        unknown = httpx.get(
            fake.url + "/v1/organization/projects/proj_B/api_keys", params={"owner": "x"}, headers=headers
        )
    assert [k["id"] for k in default["data"]] == ["key_4"]
    assert [k["id"] for k in every["data"]] == ["key_4", "key_5"]
    assert too_big.status_code == 400 and unknown.status_code == 400


def test_expired_admin_key_is_expired_and_ids_do_not_collide(nhi, monkeypatch):
    projects, keys, accounts, admin = recorded()
    # An admin key whose id is also a project key's id (separate id spaces at OpenAI), expired a year ago.
    admin.append(
        {
            **copy.deepcopy(admin[1]),
            "id": "key_1",
            "name": "expired-admin",
            "redacted_value": "sk-admin-exp...7777",
            "created_at": 1600000000,
            "expires_at": 1700000000,
        }
    )
    with OpenAIFake(projects, keys, accounts, admin, admin_keys={ADMIN_KEY}) as fake:
        result = scan(nhi, monkeypatch, fake)
    assert result.code == 0, result.err
    creds = {r["id"]: r for r in db_rows("SELECT * FROM v_credentials WHERE provider = 'openai'")}
    assert creds["openai:admin_key/key_1"]["status"] == "expired"
    assert creds["openai:admin_key/key_1"]["kind"] == "admin_api_key"
    assert creds["openai:key_1"]["kind"] == "api_key" and creds["openai:key_1"]["status"] == "active"
    assert creds["openai:admin_key/key_adm1"]["status"] == "active"  # no expiry


@pytest.mark.parametrize(
    "mutation",
    [
        lambda k: k.update(created_at="2024-01-01"),  # an ISO string where Unix seconds are documented
        lambda k: k.pop("redacted_value"),
        lambda k: k.update(owner="user_abc"),  # a string where an object is documented
    ],
)
def test_one_odd_key_is_a_gap_not_a_lost_scan(nhi, monkeypatch, mutation):
    projects, keys, accounts, admin = recorded()
    mutation(keys["proj_A"][2])  # key_3
    with OpenAIFake(projects, keys, accounts, admin, admin_keys={ADMIN_KEY}) as fake:
        result = scan(nhi, monkeypatch, fake)
    assert result.code == 0, result.err  # partial is a gap, not an incomplete scan
    (scope,) = db_rows("SELECT status, gaps FROM scope_result")
    assert scope["status"] == "partial" and "OpenAI project API key key_3" in scope["gaps"]
    ids = {r["id"] for r in db_rows("SELECT id FROM v_credentials WHERE provider = 'openai'")}
    assert {"openai:key_1", "openai:key_2", "openai:key_4", "openai:admin_key/key_adm1"} <= ids
    assert "openai:key_3" not in ids


def test_an_answer_no_transform_foresaw_fails_only_its_scope(nhi, monkeypatch):
    from nhi_connectors.anthropic.fake import AnthropicFake

    anthropic_key = "sk-ant-admin01-TESTPLANTEDADMIN000000000000000000000000AA"
    monkeypatch.setenv("ANTHROPIC_ADMIN_KEY", anthropic_key)
    with (
        OpenAIFake.from_dir(ROOT, admin_keys={ADMIN_KEY}) as fake,
        AnthropicFake.from_dir(ROOT.parent / "anthropic", admin_keys={anthropic_key}) as anthropic,
    ):
        fake.fault("GET", r"/v1/organization/projects", 200, ["not", "a", "list", "object"])
        monkeypatch.setenv("OPENAI_ADMIN_KEY", ADMIN_KEY)
        Path("nhi.yaml").write_text(
            yaml.safe_dump(
                {
                    "version": 1,
                    "providers": {
                        "openai": {"endpoint": fake.url + "/v1", "organization": "org-test"},
                        "anthropic": {"endpoint": anthropic.url},
                    },
                }
            )
        )
        result = nhi("scan")
    assert result.code == 3 and "Traceback" not in result.err
    status = {r["provider"]: (r["status"], r["error_code"]) for r in db_rows("SELECT * FROM scope_result")}
    assert status == {"openai": ("error", "unexpected_error"), "anthropic": ("complete", None)}
