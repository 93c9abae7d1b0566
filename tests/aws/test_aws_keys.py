"""Access keys: one credential per key, each judged on its own, ages and last use as AWS says."""

from __future__ import annotations

import pytest
from aws_helpers import iam_calls, scan_json, write_config

from nhi_connectors.aws import fake
from tests.conftest import db_rows

ACCOUNT = "123456789012"


_rows = db_rows


@pytest.fixture
def rotated_estate(moto_url, now):
    """ci-deployer rotated badly: key 1 fresh and in use, key 2 old and unused for a year."""
    be = fake.iam_backend(ACCOUNT)
    fake.add_user(
        be, {"name": "ci-deployer", "created_days_ago": 800, "tags": {"owner": "dana.lee@northwind.example"}}, now
    )
    fake.add_access_key(be, "ci-deployer", now, key_id="AKIATESTFRESHKEY0001", age_days=20, last_used_days_ago=1)
    fake.add_access_key(be, "ci-deployer", now, key_id="AKIATESTSTALEKEY0002", age_days=500, last_used_days_ago=365)
    fake.add_user(be, {"name": "never-used"}, now)
    fake.add_access_key(be, "never-used", now, key_id="AKIATESTNEVERUSED003", age_days=200)
    fake.add_user(be, {"name": "switched-off"}, now)
    fake.add_access_key(be, "switched-off", now, key_id="AKIATESTINACTIVE0004", age_days=90, active=False)
    return moto_url


def test_each_key_is_its_own_row_with_its_own_age_and_last_use(nhi, tmp_path, rotated_estate):
    result, out = scan_json(nhi, write_config(tmp_path / "nhi.yaml", rotated_estate, access_key_ids=True))
    assert result.code == 0, result.err
    keys = {r["id"]: r for r in _rows("SELECT * FROM v_credentials WHERE provider = 'aws'")}
    fresh, stale = keys["AKIATESTFRESHKEY0001"], keys["AKIATESTSTALEKEY0002"]
    assert fresh["identity_name"] == stale["identity_name"] == "ci-deployer"
    assert (fresh["age_days"], fresh["days_since_used"], fresh["status"]) == (20, 1, "active")
    assert (stale["age_days"], stale["days_since_used"], stale["status"]) == (500, 365, "active")
    assert fresh["key_id"] == "AKIATESTFRESHKEY0001" and fresh["kind"] == "access_key"
    never = keys["AKIATESTNEVERUSED003"]
    assert never["never_used"] == 1 and never["last_used_at"] is None and never["age_days"] == 200
    assert keys["AKIATESTINACTIVE0004"]["status"] == "inactive"
    # only key 2 is stale: a query for keys unused for 90+ days names it and nothing else
    stale_ids = [
        r["id"]
        for r in _rows(
            "SELECT id FROM v_credentials WHERE status = 'active' AND COALESCE(days_since_used, age_days) >= 90"
        )
    ]
    assert sorted(stale_ids) == ["AKIATESTNEVERUSED003", "AKIATESTSTALEKEY0002"]
    user = _rows("SELECT * FROM v_identities WHERE name = 'ci-deployer'")[0]
    assert user["active_credentials"] == 2 and user["owner"] == "dana.lee@northwind.example"
    assert user["days_since_used"] == 1
    switched_off = _rows("SELECT enabled, attrs FROM v_identities WHERE name = 'switched-off'")[0]
    # no password, no active key: dormant (IAM cannot disable a user; one CreateAccessKey revives it)
    assert switched_off["enabled"] == 1 and '"dormant": true' in switched_off["attrs"]
    # one credential row per key: never key_1/key_2 columns
    columns = [r["name"] for r in _rows("PRAGMA table_info(credential)")]
    assert not [c for c in columns if "key_1" in c or "key_2" in c]


def test_by_default_keys_are_separate_rows_at_the_fixed_budget(nhi, tmp_path, rotated_estate):
    result, out = scan_json(nhi, write_config(tmp_path / "nhi.yaml", rotated_estate))
    assert result.code == 0, result.err
    assert "iam:ListAccessKeys" not in iam_calls(out["scopes"][0])
    rows = _rows("SELECT * FROM v_credentials WHERE identity_name = 'ci-deployer' ORDER BY age_days")
    assert [(r["age_days"], r["days_since_used"], r["key_id"]) for r in rows] == [(20, 1, None), (500, 365, None)]
    assert all(r["id"].startswith(f"arn:aws:iam::{ACCOUNT}:user/ci-deployer/access-key/") for r in rows)
