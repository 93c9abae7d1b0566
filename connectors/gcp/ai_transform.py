"""The transform layer for GCP AI credentials and agents (ai.py payloads -> records). Pure.

- ``gcp_api_key``: an API key of the project (API Keys API), a credential of the service
  account it is bound to (``serviceAccountEmail``) or else of the project's
  ``gcp_api_keys`` holder identity. ``attrs`` say what it may call and from where:
  ``unrestricted`` (no API targets: every enabled API, Gemini's included), ``api_targets``,
  ``app_restriction`` (browser, server, android, ios or none), and ``ai_credential``: it can
  call the Generative Language API (Gemini) or Vertex AI.
- ``vertex_reasoning_engine``: an agent deployed on Vertex AI Agent Engine, registered by the
  platform, with the identity it runs as (``attrs.service_account``). Its owner, first found of:
  the user holding an owner-like role on the engine itself (its IAM policy: ``roles/owner``,
  then ``roles/aiplatform.admin``, then ``roles/editor``; ``owner_source`` ``iam_policy:<role>``),
  an ``owner`` label (``label:owner``; label values cannot be e-mail addresses), or the owner of
  the user-managed service account it runs as (``service_account``, from that account's
  description). ``attrs.resource_bindings`` lists the roles granted on the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
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


OWNER_ROLES = ("roles/owner", "roles/aiplatform.admin", "roles/editor")  # most owner-like first
OWNER_LABELS = ("owner", "nhi-owner", "nhi_owner")


def engine_owner(
    policy: Mapping[str, Any] | None, labels: dict[str, str], sa_owner: str | None
) -> tuple[str | None, str | None]:
    """(owner, owner_source) of one engine; see the module docstring for the order."""
    for role in OWNER_ROLES:
        for binding in (policy or {}).get("bindings") or []:
            if binding.get("role") == role and not binding.get("condition"):
                users = sorted(m[5:] for m in binding.get("members") or [] if m.startswith("user:"))
                if users:
                    return users[0], f"iam_policy:{role}"
    label = next((k for k in OWNER_LABELS if labels.get(k)), None)
    if label:
        return labels[label], f"label:{label}"
    return (sa_owner, "service_account") if sa_owner else (None, None)


def transform_reasoning_engines(
    project: str,
    region: str,
    engines: list[dict[str, Any]],
    policies: Mapping[str, Mapping[str, Any]] | None = None,
    sa_owners: dict[str, str] | None = None,
) -> Batch:
    """``policies``: engine name -> its IAM policy (engines not read have none);
    ``sa_owners``: service account e-mail -> its owner."""
    batch = Batch()
    for engine in engines:
        require(engine, "name", what="reasoning engine")
        spec = engine.get("spec") or {}
        identity = spec.get("effectiveIdentity") or spec.get("serviceAccount")
        service_account = identity if identity and identity.endswith(".gserviceaccount.com") else None
        labels = {str(k): str(v) for k, v in (engine.get("labels") or {}).items()}
        policy = (policies or {}).get(engine["name"])
        owner, owner_source = engine_owner(policy, labels, (sa_owners or {}).get(service_account or ""))
        batch.identities.append(
            Identity(
                id=engine["name"],
                provider="gcp",
                scope=project,
                kind="vertex_reasoning_engine",
                name=engine.get("displayName") or engine["name"].rsplit("/", 1)[-1],
                created_at=_time(engine.get("createTime")),
                description=engine.get("description"),
                owner=owner,
                owner_source=owner_source,
                tags=labels,
                attrs={
                    "region": region,
                    "platform": "Vertex AI Agent Engine",
                    "registered_by_platform": True,
                    "service_account": service_account,
                    "runs_as": identity or "the Vertex AI Reasoning Engine Service Agent",
                    "identity_type": spec.get("identityType"),
                    "agent_framework": spec.get("agentFramework"),
                    "inbound_auth": "iam",
                    "resource_bindings": None
                    if policy is None
                    else [
                        {"role": b.get("role"), "members": sorted(b.get("members") or [])}
                        for b in policy.get("bindings") or []
                    ],
                    "reach": [],
                },
            )
        )
    return batch
