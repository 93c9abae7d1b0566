"""Revoke and restore for Azure: plan, act, read the state back.

- service principal / agent identity: ``disable_service_principal``, PATCH accountEnabled
  false. Reversible.
- client secret: ``remove_client_secret``, POST .../removePassword. **Not** reversible: a secret
  cannot be re-created.
- certificate: ``remove_certificate``, PATCH keyCredentials without it (removeKey needs a proof
  JWT signed by the app's own key, which nhi does not hold). Reversible: the public certificate
  is recorded.
- managed identity: ``remove_role_assignments``, DELETE each of its ARM role assignments.
  Reversible: re-created with PUT from the recorded properties.

Managed-identity service principals cannot be modified through Graph, so their access is cut
at ARM. Every step reads the object back afterwards and fails if the change did not hold.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeAlias

from nhi_cli.kit.connector import CollectContext, Connector, RevokeStep, ScopeError, StepOutcome
from nhi_cli.kit.http import NotFound, RestClient

from . import revoke_ai
from .arm import active_subscriptions, get_role_assignments, get_subscriptions
from .clients import ARM_API_VERSION, arm_client, credential, graph_client, object_lock
from .settings import AzureSettings

SECRET_FIELDS = ("keyId", "displayName", "hint", "startDateTime", "endDateTime")  # never secretText
CERT_FIELDS = ("keyId", "displayName", "type", "usage", "key", "startDateTime", "endDateTime", "customKeyIdentifier")
ASSIGNMENT_FIELDS = (
    "roleDefinitionId",
    "principalId",
    "principalType",
    "condition",
    "conditionVersion",
    "description",
    "delegatedManagedIdentityResourceId",
)
# an action's execute or restore: (the connector, the revoke's context, the step) -> outcome
Action: TypeAlias = Callable[[Connector, CollectContext, RevokeStep], StepOutcome]


def _attrs(row: dict[str, Any]) -> dict[str, Any]:
    attrs = row.get("attrs") or {}
    return json.loads(attrs) if isinstance(attrs, str) else dict(attrs)


def _collection(on: str) -> str:
    return "applications" if on == "application" else "servicePrincipals"


# --- plan (no provider call: from the inventory row alone) ------------------------------
def plan(
    connector: Connector, ctx: CollectContext, target: dict[str, Any], options: dict[str, Any]
) -> list[RevokeStep]:
    if target.get("kind") in revoke_ai.KINDS:
        return revoke_ai.plan(target, options)
    attrs = _attrs(target)
    scope = target.get("scope") or ""
    kind = target.get("kind")
    name = target.get("name") or target["id"]
    if target.get("type") == "credential" or (target.get("type") is None and "identity_id" in target):
        return [_credential_step(target, attrs, scope, (target.get("identity") or {}).get("name"))]
    creds = [c for c in target.get("credentials") or [] if c.get("status", "active") != "revoked"]
    if kind in ("service_principal", "agent_identity"):
        steps = [
            RevokeStep(
                "azure",
                scope,
                "identity",
                target["id"],
                "disable_service_principal",
                f"Disable service principal {name} (accountEnabled false): no new tokens are issued "
                f"to it; reversible with `nhi restore`.",
                True,
                {"object_id": target["id"]},
            )
        ]
        if options.get("delete"):
            steps += _credential_steps(creds, scope, name, include_secrets=True)
        return steps
    if kind == "managed_identity":
        return [
            RevokeStep(
                "azure",
                scope,
                "identity",
                target["id"],
                "remove_role_assignments",
                f"Remove every Azure role assignment of managed identity {name} in the scanned "
                f"subscriptions (managed identities cannot be disabled in Entra); reversible: each "
                f"assignment is recorded and re-created by `nhi restore`.",
                True,
                {"principal_id": target["id"]},
            )
        ]
    if kind == "application":
        steps = _credential_steps(creds, scope, name, include_secrets=bool(options.get("delete")))
        if not steps:
            raise NotImplementedError(
                f"application {name} has only client secrets, which cannot be disabled; "
                "pass --delete to remove them (irreversible)"
            )
        return steps
    raise NotImplementedError(f"the azure connector cannot revoke a {kind}")


def _credential_steps(creds: list[dict[str, Any]], scope: str, owner: str, include_secrets: bool) -> list[RevokeStep]:
    """Certificates first (reversible), then client secrets (irreversible)."""
    certs = [c for c in creds if c.get("kind") in ("certificate", "symmetric_key")]
    secrets = [c for c in creds if c.get("kind") == "client_secret"] if include_secrets else []
    return [_credential_step(c, _attrs(c), scope, owner) for c in certs + secrets]


def _credential_step(cred: dict[str, Any], attrs: dict[str, Any], scope: str, owner: str | None) -> RevokeStep:
    key_id = cred.get("key_id") or cred["id"]
    on = attrs.get("object") or "application"
    params = {"on": on, "object_id": attrs.get("object_id") or attrs.get("application_object_id"), "key_id": key_id}
    if not params["object_id"]:
        raise NotImplementedError(f"credential {key_id} has no recorded application object id; scan again")
    label = cred.get("name") or key_id
    where = f"{'application' if on == 'application' else 'service principal'} {owner or params['object_id']}"
    if cred.get("kind") == "client_secret":
        return RevokeStep(
            "azure",
            cred.get("scope") or scope,
            "credential",
            cred["id"],
            "remove_client_secret",
            f"Remove client secret {label} (keyId {key_id}) from {where}. IRREVERSIBLE: a removed "
            f"secret cannot be restored; issue a new one if the app still needs it.",
            False,
            params,
        )
    return RevokeStep(
        "azure",
        cred.get("scope") or scope,
        "credential",
        cred["id"],
        "remove_certificate",
        f"Remove certificate {label} (keyId {key_id}) from {where} by updating its key credentials "
        f"without it; reversible (the public certificate is recorded).",
        True,
        params,
    )


# --- execute ----------------------------------------------------------------------------
def execute(connector: Connector, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
    try:
        return _ACTIONS[step.action][0](connector, ctx, step)
    except (ScopeError, NotFound) as exc:
        return StepOutcome("failed", error=str(exc))


def restore(connector: Connector, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
    try:
        return _ACTIONS[step.action][1](connector, ctx, step)
    except (ScopeError, NotFound) as exc:
        return StepOutcome("failed", error=str(exc))


def _sp_enabled(graph: RestClient, object_id: str) -> bool:
    return bool(
        graph.get_json(f"/v1.0/servicePrincipals/{object_id}", params={"$select": "id,accountEnabled"}).get(
            "accountEnabled"
        )
    )


def _set_enabled(connector: Connector, ctx: CollectContext, step: RevokeStep, enabled: bool) -> StepOutcome:
    object_id = step.params["object_id"]
    with graph_client(ctx, credential(ctx)) as graph:
        before = _sp_enabled(graph, object_id)
        if before == enabled:
            return StepOutcome("already_done", restore_data={"was_enabled": before})
        graph.request("PATCH", f"/v1.0/servicePrincipals/{object_id}", json={"accountEnabled": enabled})
        if _sp_enabled(graph, object_id) != enabled:
            return StepOutcome("failed", error=f"service principal {object_id} still has accountEnabled {before}")
    return StepOutcome("done", restore_data={"was_enabled": before})


def _disable(connector: Connector, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
    return _set_enabled(connector, ctx, step, False)


def _enable(connector: Connector, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
    if step.restore_data and step.restore_data.get("was_enabled") is False:
        return StepOutcome("skipped", error="the service principal was already disabled before the revoke")
    return _set_enabled(connector, ctx, step, True)


def _credentials(graph: RestClient, on: str, object_id: str, field: str) -> list[dict[str, Any]]:
    return graph.get_json(f"/v1.0/{_collection(on)}/{object_id}", params={"$select": f"id,{field}"}).get(field) or []


def _remove_secret(connector: Connector, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
    p = step.params
    lock = object_lock(ctx, f"/v1.0/{_collection(p['on'])}/{p['object_id']}")
    with lock, graph_client(ctx, credential(ctx)) as graph:
        current = {e["keyId"]: e for e in _credentials(graph, p["on"], p["object_id"], "passwordCredentials")}
        if p["key_id"] not in current:
            return StepOutcome("already_done")
        removed = {k: current[p["key_id"]].get(k) for k in SECRET_FIELDS}  # public metadata for the log
        graph.request(
            "POST", f"/v1.0/{_collection(p['on'])}/{p['object_id']}/removePassword", json={"keyId": p["key_id"]}
        )
        if any(e["keyId"] == p["key_id"] for e in _credentials(graph, p["on"], p["object_id"], "passwordCredentials")):
            return StepOutcome("failed", error=f"client secret {p['key_id']} is still present after removePassword")
    return StepOutcome("done", restore_data={"removed": removed, "restorable": False})


def _no_restore_secret(connector: Connector, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
    return StepOutcome("skipped", error="a removed client secret cannot be restored; add a new secret instead")


def _remove_certificate(connector: Connector, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
    p = step.params
    path = f"/v1.0/{_collection(p['on'])}/{p['object_id']}"
    with object_lock(ctx, path), graph_client(ctx, credential(ctx)) as graph:
        current = _credentials(graph, p["on"], p["object_id"], "keyCredentials")
        target = next((e for e in current if e["keyId"] == p["key_id"]), None)
        if target is None:
            return StepOutcome("already_done")
        keep = [{k: e.get(k) for k in CERT_FIELDS} for e in current if e["keyId"] != p["key_id"]]
        graph.request("PATCH", path, json={"keyCredentials": keep})
        if any(e["keyId"] == p["key_id"] for e in _credentials(graph, p["on"], p["object_id"], "keyCredentials")):
            return StepOutcome("failed", error=f"certificate {p['key_id']} is still present after the update")
    removed = {k: target.get(k) for k in CERT_FIELDS}
    return StepOutcome("done", restore_data={"removed": removed, "restorable": bool(removed.get("key"))})


def _restore_certificate(connector: Connector, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
    p, data = step.params, step.restore_data or {}
    removed = data.get("removed") or {}
    if not removed.get("key"):
        return StepOutcome("skipped", error="the certificate's public key was not recorded; upload it again")
    path = f"/v1.0/{_collection(p['on'])}/{p['object_id']}"
    with object_lock(ctx, path), graph_client(ctx, credential(ctx)) as graph:
        current = _credentials(graph, p["on"], p["object_id"], "keyCredentials")
        if any(e["keyId"] == p["key_id"] for e in current):
            return StepOutcome("already_done")
        keep = [{k: e.get(k) for k in CERT_FIELDS} for e in current]
        graph.request("PATCH", path, json={"keyCredentials": keep + [removed]})
        if not any(e["keyId"] == p["key_id"] for e in _credentials(graph, p["on"], p["object_id"], "keyCredentials")):
            return StepOutcome("failed", error=f"certificate {p['key_id']} did not come back")
    return StepOutcome("done")


def _subscriptions(arm: RestClient, settings: AzureSettings) -> list[str]:
    return settings.subscriptions or [s["subscriptionId"] for s in active_subscriptions(get_subscriptions(arm))]


def _assignments_of(arm: RestClient, subs: list[str], principal_id: str) -> list[dict[str, Any]]:
    return [a for sub in subs for a in get_role_assignments(arm, sub, principal_id=principal_id)]


def _remove_assignments(connector: Connector, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
    """Every role assignment of the principal NOW (not only those the last scan saw)."""
    principal = step.params["principal_id"]
    with arm_client(ctx, credential(ctx)) as arm:
        subs = _subscriptions(arm, ctx.settings)
        found = _assignments_of(arm, subs, principal)
        if not found:
            return StepOutcome("already_done", restore_data={"subscriptions": subs, "assignments": []})
        recorded = []
        for a in found:
            props = a.get("properties") or {}
            recorded.append(
                {
                    "id": a["id"],
                    "role": props.get("roleDefinitionId", "").rsplit("/", 1)[-1],
                    "scope": props.get("scope"),
                    "properties": {k: props[k] for k in ASSIGNMENT_FIELDS if props.get(k) is not None},
                }
            )
            arm.request("DELETE", a["id"], params={"api-version": ARM_API_VERSION})
        left = _assignments_of(arm, subs, principal)
    data = {"subscriptions": subs, "assignments": recorded}
    if left:
        return StepOutcome(
            "failed", error=f"{len(left)} role assignment(s) of {principal} remain after DELETE", restore_data=data
        )
    return StepOutcome("done", restore_data=data)


def _restore_assignments(connector: Connector, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
    data = step.restore_data or {}
    wanted = data.get("assignments") or []
    if not wanted:
        return StepOutcome("already_done")
    with arm_client(ctx, credential(ctx)) as arm:
        present = {
            a["id"].lower()
            for a in _assignments_of(
                arm, data.get("subscriptions") or _subscriptions(arm, ctx.settings), step.params["principal_id"]
            )
        }
        missing = [a for a in wanted if a["id"].lower() not in present]
        for a in missing:
            arm.request("PUT", a["id"], params={"api-version": ARM_API_VERSION}, json={"properties": a["properties"]})
        present = {
            a["id"].lower() for a in _assignments_of(arm, data.get("subscriptions") or [], step.params["principal_id"])
        }
    still = [a["id"] for a in wanted if a["id"].lower() not in present]
    if still:
        return StepOutcome("failed", error=f"role assignment(s) did not come back: {', '.join(still)}")
    return StepOutcome("done" if missing else "already_done")


_ACTIONS: dict[str, tuple[Action, Action]] = {
    "disable_service_principal": (_disable, _enable),
    "remove_client_secret": (_remove_secret, _no_restore_secret),
    "remove_certificate": (_remove_certificate, _restore_certificate),
    "remove_role_assignments": (_remove_assignments, _restore_assignments),
    "disable_local_auth": (revoke_ai.disable_local_auth, revoke_ai.enable_local_auth),
    "regenerate_key": (revoke_ai.regenerate_key, revoke_ai.no_restore),
}
