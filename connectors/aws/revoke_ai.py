"""Revoking AWS AI credentials (revoke.py dispatches here): a Bedrock long-term API key is an
IAM service-specific credential, set Inactive (``deactivate_service_credential``, restorable:
``nhi restore`` sets it Active again). Each step reads the key back before reporting done.

Agents registered by Bedrock Agents or AgentCore act through their execution role: revoking
one plans revoke.py's role steps on that role (``revoke_sessions``, with --block-assume also
``block_assume``), named from the inventory's ``attrs.execution_role``.
"""

from __future__ import annotations

from typing import Any

from nhi_cli.kit.connector import StepOutcome

from .clients import BotoClient

BEDROCK_SERVICE = "bedrock.amazonaws.com"
AGENT_KINDS = ("bedrock_agent", "agentcore_runtime", "agentcore_gateway")


def _keys(iam: BotoClient, user: str) -> dict[str, str]:
    """The user's Bedrock API keys: id -> status (one call; a user holds at most two)."""
    page = iam.list_service_specific_credentials(UserName=user, ServiceName=BEDROCK_SERVICE)
    return {k["ServiceSpecificCredentialId"]: k["Status"] for k in page.get("ServiceSpecificCredentials", [])}


def set_service_credential(iam: BotoClient, user: str, credential_id: str, status: str) -> StepOutcome:
    before = _keys(iam, user).get(credential_id)
    if before is None:
        return StepOutcome("already_done", error="the key no longer exists", inventory={credential_id: "revoked"})
    if before == status:
        return StepOutcome("already_done", inventory={credential_id: status.lower()})
    iam.update_service_specific_credential(UserName=user, ServiceSpecificCredentialId=credential_id, Status=status)
    after = _keys(iam, user).get(credential_id)
    if after != status:
        return StepOutcome("failed", error=f"verification: key {credential_id} is {after} after setting {status}")
    return StepOutcome("done", restore_data={"previous_status": before}, inventory={credential_id: status.lower()})


def deactivate(iam: BotoClient, p: dict[str, Any]) -> StepOutcome:
    return set_service_credential(iam, p["user_name"], p["credential_id"], "Inactive")


def restore(iam: BotoClient, p: dict[str, Any], data: dict[str, Any]) -> StepOutcome:
    return set_service_credential(iam, p["user_name"], p["credential_id"], data.get("previous_status", "Active"))


def execution_role_name(target: dict[str, Any]) -> str:
    arn: str | None = (target.get("attrs") or {}).get("execution_role")
    if not arn or ":role/" not in arn:
        raise NotImplementedError(
            f"{target['kind']} {target['name']} has no execution role in the inventory; scan again"
        )
    return arn.rsplit("/", 1)[1]
