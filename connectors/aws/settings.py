"""The AWS connector's settings: ``providers.aws`` in nhi.yaml."""

from __future__ import annotations

from typing import Literal

from nhi_cli.kit.connector import ConnectorSettings


class AwsSettings(ConnectorSettings):
    profile: str | None = None  # a profile from ~/.aws/config (SSO, assume-role, ...)
    region: str = "us-east-1"
    org: bool = False  # scan every active account of the Organization
    org_role: str = "OrganizationAccountAccessRole"  # role assumed in each member account
    external_id: str | None = None  # for the org role, if its trust requires one
    accounts: list[str] = []  # explicit account ids (assumed through org_role); empty: caller's account
    skip_accounts: list[str] = []
    credential_report_max_age_hours: int = 4  # reuse a report this fresh instead of generating one
    owner_tags: list[str] | None = None  # overrides the top-level owner_tags for AWS
    scanner_role_session_name: str = "nhi-scan"
    # false (default): the fixed call budget; keys identified by user and report slot, ids
    # resolved only for keys sighted elsewhere (sightings.py) and at revoke time. true:
    # ListAccessKeys once per user the credential report shows holding a key, every id up front.
    access_key_ids: bool = False
    # AWS managed policies outside the shipped well-known set: fetch (ListPolicies + one
    # GetPolicyVersion per distinct policy, cached per scan) or known (shipped set only).
    aws_managed_policies: Literal["fetch", "known"] = "fetch"
    # AI platforms (ai_platforms.py): Bedrock long-term API keys (one IAM call per account) and
    # Bedrock Agents / AgentCore in ``ai_regions`` (empty: ``region`` only). Describe calls per
    # region and service stop at ai_describe_limit; what is left is listed without details.
    bedrock_api_keys: bool = True
    ai_platforms: bool = True
    ai_regions: list[str] = []
    ai_describe_limit: int = 200
