"""`nhi findings list` filters and formats over an inventory seeded through the real loader."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from nhi_cli.errors import ExitCode
from nhi_cli.model import Batch, Credential, Grant, Identity
from tests.rules.conftest import seed

ADMIN = "arn:aws:iam::111111111111:user/admin-bot"
OLD = datetime(2025, 1, 1, tzinfo=UTC)


def _aws_batch() -> Batch:
    return Batch(
        identities=[
            Identity(
                ADMIN,
                "aws",
                "111111111111",
                "iam_user",
                "admin-bot",
                created_at=OLD,
                owner="dana.lee@northwind.example",
            )
        ],
        credentials=[
            Credential(
                "AKIAADMINBOT0001",
                ADMIN,
                "aws",
                "111111111111",
                "access_key",
                "active",
                created_at=OLD,
                last_used_at=datetime(2026, 11, 27, tzinfo=UTC),
            )
        ],
        grants=[
            Grant(
                ADMIN,
                "aws",
                "111111111111",
                "*",
                "AdministratorAccess",
                "managed",
                is_admin=True,
                is_full_wildcard=True,
            )
        ],
    )


def _gcp_batch() -> Batch:
    sa = "etl@nw-data.iam.gserviceaccount.com"
    return Batch(identities=[Identity(sa, "gcp", "nw-data", "service_account", "etl", created_at=OLD)])


def test_filters_by_severity_rule_provider_and_status(nhi, tmp_path):
    seed(tmp_path / "nhi.db", _aws_batch())
    seed(tmp_path / "nhi.db", _gcp_batch(), provider="gcp", scope="nw-data")
    everything = json.loads(nhi("findings", "list", "-f", "json").out)
    assert {(r["rule_id"], r["provider"]) for r in everything} == {
        ("admin_grant", "aws"),
        ("credential_max_age", "aws"),
        ("identity_no_owner", "gcp"),
        ("identity_unused", "gcp"),
    }
    assert [r["severity"] for r in everything][0] == "critical"  # worst first
    critical = json.loads(nhi("findings", "list", "--severity", "critical", "-f", "json").out)
    assert [r["resource_id"] for r in critical] == [ADMIN]
    by_rule = json.loads(nhi("findings", "list", "--rule", "identity_*", "-f", "json").out)
    assert {r["rule_id"] for r in by_rule} == {"identity_no_owner", "identity_unused"}
    gcp = json.loads(nhi("findings", "list", "--provider", "gcp", "-f", "json").out)
    assert {r["provider"] for r in gcp} == {"gcp"}
    new = json.loads(nhi("findings", "list", "--new", "-f", "json").out)
    assert {r["provider"] for r in new} == {"gcp"}  # the aws ones were already there in scan 1
    table = nhi("findings", "list")
    assert table.code == 0 and "admin-bot" in table.out and "new" in table.out


def test_bad_filter_values_and_empty_inventory_exit_2(nhi, tmp_path):
    empty = nhi("findings", "list")
    assert empty.code in (ExitCode.USAGE, ExitCode.CANNOT_RUN)
    seed(tmp_path / "nhi.db", _aws_batch())
    bad = nhi("findings", "list", "--severity", "urgent")
    assert bad.code == ExitCode.USAGE and "--severity 'urgent'" in bad.err
    bad = nhi("findings", "list", "--status", "closed")
    assert bad.code == ExitCode.USAGE
    assert nhi("findings", "list", "--scan", "99").code == ExitCode.USAGE
