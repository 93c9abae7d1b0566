"""Record fixtures/aws/account.json by hand: what boto3 hands nhi for one account.

moto (the version pinned in pyproject) serves the first account of the demo estate
(fixtures/demo/aws/estate.yaml) at a fixed clock; the answers of the three calls nhi makes per
account (GetAccountAuthorizationDetails with nhi's filter, GetCredentialReport, ListAccessKeys
per user) are written as JSON, timestamps in ISO 8601. tests/fidelity/test_vendor_models.py
checks them against botocore's IAM model; the mutation test feeds them to the transform.
moto draws the unique ids (AIDA..., AROA...), so a new recording differs in those.

    python tests/fidelity/record_aws_account.py > fixtures/aws/account.json
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import boto3
from moto import mock_aws

from nhi_connectors.aws.fake import load_estate, seed_account
from nhi_connectors.aws.gaad import GAAD_FILTER

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def plain(v):
    if isinstance(v, datetime):
        return v.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items() if k != "ResponseMetadata"}
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, bytes):
        return v.decode()
    return v


os.environ.update({"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1"})
with mock_aws():
    estate = load_estate(Path(__file__).resolve().parents[2] / "fixtures/demo/aws")
    account = estate["accounts"][0]
    seed_account(account["id"], account, NOW)
    iam = boto3.client("iam")
    gaad = iam.get_account_authorization_details(Filter=GAAD_FILTER, MaxItems=1000)
    assert not gaad.get("IsTruncated")
    iam.generate_credential_report()
    report = iam.get_credential_report()
    keys = {u["UserName"]: plain(iam.list_access_keys(UserName=u["UserName"])) for u in gaad["UserDetailList"]}
out = {
    "GetAccountAuthorizationDetails": plain(gaad),
    "GetCredentialReport": plain(report),
    "ListAccessKeys": keys,
}
json.dump(out, sys.stdout, indent=1)
