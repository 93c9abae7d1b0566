"""The transform layer for GCP AI credentials and agents (ai.py payloads -> records). Pure.

- ``gcp_api_key``: an API key of the project (API Keys API), a credential of the service
  account it is bound to (``serviceAccountEmail``) or else of the project's
  ``gcp_api_keys`` holder identity. ``attrs`` say what it may call and from where:
  ``unrestricted`` (no API targets: every enabled API, Gemini's included), ``api_targets``,
  ``app_restriction`` (browser, server, android, ios or none), and ``ai_credential``: it can
  call the Generative Language API (Gemini) or Vertex AI.
- ``vertex_reasoning_engine``: an agent deployed on Vertex AI Agent Engine, registered by the
  platform, with the identity it runs as (``attrs.service_account``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from nhi_cli.kit.payloads import require
from nhi_cli.model import Batch, Credential, Identity

AI_SERVICES = {"generativelanguage.googleapis.com", "aiplatform.googleapis.com"}
APP_RESTRICTIONS = {
    "browserKeyRestrictions": "browser",
    "serverKeyRestrictions": "server",
    "androidKeyRestrictions": "android",
    "iosKeyRestrictions": "ios",
}


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def key_reach(restrictions: dict[str, Any] | None) -> dict[str, Any]:
    restrictions = restrictions or {}
    targets = sorted({t.get("service", "") for t in restrictions.get("apiTargets") or []} - {""})
    app = next((label for field, label in APP_RESTRICTIONS.items() if restrictions.get(field)), "none")
    return {
        "unrestricted": not targets,
        "api_targets": targets,
        "app_restriction": app,
        "ai_credential": not targets or bool(AI_SERVICES & set(targets)),
    }


def holder_id(project: str) -> str:
    return f"projects/{project}/apiKeys"


def transform_api_keys(project: str, keys: list[dict[str, Any]]) -> Batch:
    batch = Batch()
    holder_needed = False
    for key in keys:
        require(key, "name", "uid", what="API key")
        if key.get("deleteTime"):
            continue  # deleted (restorable for 30 days): not a working credential
        bound = key.get("serviceAccountEmail")
        holder_needed |= not bound
        batch.credentials.append(
            Credential(
                id=key["name"],
                identity_id=bound or holder_id(project),
                provider="gcp",
                scope=project,
                kind="gcp_api_key",
                status="active",
                name=key.get("displayName") or key["uid"],
                created_at=_time(key.get("createTime")),
                supports_expiry=False,
                key_id=key["uid"],
                attrs={**key_reach(key.get("restrictions")), "bound_service_account": bound},
            )
        )
    if holder_needed:
        batch.identities.append(
            Identity(
                id=holder_id(project),
                provider="gcp",
                scope=project,
                kind="gcp_api_keys",
                name=f"API keys of {project}",
                description="API keys not bound to a service account: they act as the project",
            )
        )
    return batch


def transform_reasoning_engines(project: str, region: str, engines: list[dict[str, Any]]) -> Batch:
    batch = Batch()
    for engine in engines:
        require(engine, "name", what="reasoning engine")
        spec = engine.get("spec") or {}
        identity = spec.get("effectiveIdentity") or spec.get("serviceAccount")
        service_account = identity if identity and identity.endswith(".gserviceaccount.com") else None
        batch.identities.append(
            Identity(
                id=engine["name"],
                provider="gcp",
                scope=project,
                kind="vertex_reasoning_engine",
                name=engine.get("displayName") or engine["name"].rsplit("/", 1)[-1],
                created_at=_time(engine.get("createTime")),
                description=engine.get("description"),
                tags=dict(engine.get("labels") or {}),
                attrs={
                    "region": region,
                    "platform": "Vertex AI Agent Engine",
                    "registered_by_platform": True,
                    "service_account": service_account,
                    "runs_as": identity or "the Vertex AI Reasoning Engine Service Agent",
                    "identity_type": spec.get("identityType"),
                    "agent_framework": spec.get("agentFramework"),
                    "inbound_auth": "iam",
                    "reach": [],
                },
            )
        )
    return batch
