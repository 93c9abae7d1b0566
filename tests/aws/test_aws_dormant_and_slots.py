"""Two correctness bugs from a held-out account (issue 13):

(a) an IAM user with no password and no active key is dormant, not disabled: IAM has no switch
    that disables a user, and one iam:CreateAccessKey makes it usable again, so it keeps its
    admin and escalation findings and the finding says it is dormant;
(b) two keys created in the same second are matched to their own credential-report slots,
    never by a coin flip on the key id.
"""

from __future__ import annotations

import pytest
from aws_helpers import scan_json, write_config

from nhi_connectors.aws import fake as demo
from tests.conftest import db_rows

ACCOUNT = "123456789012"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def _findings(rule: str) -> dict[str, str]:
    return {
        r["resource_name"]: r["reason"]
        for r in db_rows("SELECT resource_name, reason FROM finding WHERE rule_id = ? AND status <> 'resolved'", rule)
    }


@pytest.fixture
def dormant_estate(moto_url, now):
    be = demo.iam_backend(ACCOUNT)
    # no key, no password: dormant, one CreateAccessKey away from administrator
    demo.add_user(be, {"name": "old-admin", "created_days_ago": 400, "managed_policies": [ADMIN]}, now)
    # only an inactive key: still dormant
    demo.add_user(
        be,
        {
            "name": "parked-escalator",
            "created_days_ago": 400,
            "inline_policies": {
                "keys": {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "*"}],
                }
            },
        },
        now,
    )
    demo.add_access_key(be, "parked-escalator", now, age_days=300, active=False)
    # an active key: in use, not dormant
    demo.add_user(be, {"name": "live-admin", "managed_policies": [ADMIN]}, now)
    demo.add_access_key(be, "live-admin", now, age_days=10, last_used_days_ago=1)
    return moto_url


def test_a_dormant_user_is_enabled_and_keeps_its_permission_findings(nhi, tmp_path, dormant_estate):
    result, _ = scan_json(nhi, write_config(tmp_path / "nhi.yaml", dormant_estate))
    assert result.code == 0, result.err
    users = {r["name"]: r for r in db_rows("SELECT name, enabled, attrs FROM v_identities WHERE kind = 'iam_user'")}
    assert {n: u["enabled"] for n, u in users.items()} == {"old-admin": 1, "parked-escalator": 1, "live-admin": 1}
    assert '"dormant": true' in users["old-admin"]["attrs"]
    assert '"dormant": true' in users["parked-escalator"]["attrs"]
    assert '"dormant": false' in users["live-admin"]["attrs"]

    admin = _findings("admin_grant")
    assert set(admin) == {"old-admin", "live-admin"}
    assert "dormant" in admin["old-admin"] and "iam:CreateAccessKey" in admin["old-admin"]
    assert "dormant" not in admin["live-admin"]
    escalation = _findings("privilege_escalation")
    assert "parked-escalator" in escalation and "dormant" in escalation["parked-escalator"]
    # not "disabled": the rule for disabled identities holding active credentials stays quiet
    assert not _findings("disabled_identity_active_credentials")


@pytest.fixture
def same_second_estate(moto_url, now):
    """Two keys created in the same second. The one in slot 2 is active and used an hour ago;
    slot 1's key is inactive and never used. Slot 2's key id sorts first, so a tie broken by
    key id swaps them."""
    be = demo.iam_backend(ACCOUNT)
    demo.add_user(be, {"name": "twin-keys"}, now)
    demo.add_access_key(be, "twin-keys", now, key_id="AKIAZZZZSLOTONE00001", age_days=30, active=False)
    demo.add_access_key(be, "twin-keys", now, key_id="AKIAAAAASLOTTWO00002", age_days=30, last_used_days_ago=0.05)
    # the same, both active: only the report's slot order tells them apart
    demo.add_user(be, {"name": "twin-active"}, now)
    demo.add_access_key(be, "twin-active", now, key_id="AKIAZZZZACTIVEONE001", age_days=30)
    demo.add_access_key(be, "twin-active", now, key_id="AKIAAAAAACTIVETWO002", age_days=30, last_used_days_ago=2)
    return moto_url


def test_same_second_keys_get_their_own_slots_with_key_ids(nhi, tmp_path, same_second_estate):
    result, _ = scan_json(nhi, write_config(tmp_path / "nhi.yaml", same_second_estate, access_key_ids=True))
    assert result.code in (0, 1), result.err
    keys = {r["key_id"]: r for r in db_rows("SELECT * FROM v_credentials WHERE kind = 'access_key'")}
    used, unused = keys["AKIAAAAASLOTTWO00002"], keys["AKIAZZZZSLOTONE00001"]
    assert (used["status"], used["days_since_used"], used["never_used"]) == ("active", 0, 0)
    assert (unused["status"], unused["never_used"]) == ("inactive", 1)
    assert keys["AKIAAAAAACTIVETWO002"]["days_since_used"] == 2
    assert keys["AKIAZZZZACTIVEONE001"]["never_used"] == 1
    never_used = {
        r["resource_name"]
        for r in db_rows(
            "SELECT c.key_id AS resource_name FROM finding f JOIN credential c ON c.id = f.resource_id "
            "WHERE f.rule_id = 'credential_unused'"
        )
    }
    assert "AKIAAAAASLOTTWO00002" not in never_used and "AKIAAAAAACTIVETWO002" not in never_used


def test_same_second_keys_without_key_ids_are_two_rows_by_slot(nhi, tmp_path, same_second_estate):
    result, _ = scan_json(nhi, write_config(tmp_path / "nhi.yaml", same_second_estate, access_key_ids=False))
    assert result.code in (0, 1), result.err
    rows = db_rows(
        "SELECT id, status, never_used, days_since_used, attrs FROM v_credentials "
        "WHERE identity_name = 'twin-keys' ORDER BY id"
    )
    assert len(rows) == 2 and rows[0]["id"] != rows[1]["id"]
    by_status = {r["status"]: r for r in rows}
    assert by_status["active"]["days_since_used"] == 0 and by_status["inactive"]["never_used"] == 1
    assert '"slot": 2' in by_status["active"]["attrs"] and '"slot": 1' in by_status["inactive"]["attrs"]
