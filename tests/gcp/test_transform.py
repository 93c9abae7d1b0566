"""The pure GCP transforms: classification a user relies on, and loud failure on bad payloads."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from nhi_connectors.gcp import transform as t

NOW = datetime(2026, 11, 28, tzinfo=UTC)


@pytest.mark.parametrize(
    "email, service",
    [
        ("service-412345678901@gcp-sa-aiplatform.iam.gserviceaccount.com", "aiplatform"),
        ("service-412345678901@gcp-sa-aiplatform-cc.iam.gserviceaccount.com", "aiplatform-cc"),
        ("412345678901@cloudservices.gserviceaccount.com", "cloudservices"),
        ("service-412345678901@compute-system.iam.gserviceaccount.com", "compute-system"),
        ("ops-copilot@nw-ml-prod.iam.gserviceaccount.com", None),
        ("etl@nw-data.iam.gserviceaccount.com", None),  # another project's user-managed SA
        ("412345678901-compute@developer.gserviceaccount.com", None),
        ("nw-ml-prod@appspot.gserviceaccount.com", None),
    ],
)
def test_service_agents_are_told_from_user_managed_accounts(email, service):
    assert t.service_agent_of(email, "nw-ml-prod") == service


def test_key_expiry_and_status():
    base = {
        "name": "projects/p/serviceAccounts/a@p.iam.gserviceaccount.com/keys/k1",
        "valid_after_time": "2025-01-01T00:00:00Z",
        "key_type": "USER_MANAGED",
    }
    never = t.transform_key({**base, "valid_before_time": "9999-12-31T23:59:59Z"}, "a@p", "p", NOW, {})
    assert never.expires_at is None and never.status == "active" and never.supports_expiry
    old = t.transform_key({**base, "valid_before_time": "2026-01-01T00:00:00Z"}, "a@p", "p", NOW, {})
    assert old.status == "expired"
    off = t.transform_key(
        {**base, "valid_before_time": "2027-01-01T00:00:00.123456789Z", "disabled": True}, "a@p", "p", NOW, {}
    )
    assert off.status == "inactive" and off.expires_at.year == 2027


def test_a_payload_without_a_required_field_fails_loudly():
    with pytest.raises(ValueError, match="email"):
        t.transform_service_account({"name": "projects/p/serviceAccounts/x"}, "p", {})
    with pytest.raises(ValueError, match="role"):
        t.transform_project_policy({"bindings": [{"members": ["serviceAccount:a@p.iam.gserviceaccount.com"]}]}, "p")


def test_owner_convention_in_the_description():
    assert t.owner_from_description("Nightly ETL. owner=dana.lee@northwind.example") == "dana.lee@northwind.example"
    assert t.owner_from_description("Owner: team-ml") == "team-ml"
    assert t.owner_from_description("no one") is None


def test_inherited_policy_keeps_only_this_projects_accounts_and_names_the_ancestor():
    policy = {
        "bindings": [
            {
                "role": "roles/owner",
                "members": [
                    "serviceAccount:a@p1.iam.gserviceaccount.com",
                    "serviceAccount:b@p2.iam.gserviceaccount.com",
                    "user:x@example.com",
                ],
            },
            {
                "role": "roles/iam.securityAdmin",
                "members": ["serviceAccount:a@p1.iam.gserviceaccount.com"],
                "condition": {"title": "t", "expression": "true"},
            },
        ]
    }
    grants = t.transform_inherited_policy(policy, "folders/7", "p1", {"a@p1.iam.gserviceaccount.com"})
    assert [(g.identity_id, g.source, g.resource, g.source_type) for g in grants] == [
        ("a@p1.iam.gserviceaccount.com", "folders/7#roles/owner", "folders/7", "inherited_binding"),
        ("a@p1.iam.gserviceaccount.com", "folders/7#roles/iam.securityAdmin", "folders/7", "inherited_binding"),
    ]
    assert (
        grants[0].is_full_wildcard
        and grants[1].is_admin
        and grants[1].condition == {"title": "t", "expression": "true"}
    )
    with pytest.raises(ValueError, match="'role'"):
        t.transform_inherited_policy({"bindings": [{"members": []}]}, "organizations/1", "p1", set())
