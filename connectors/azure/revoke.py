"""Revoke and restore for Azure: plan, act, read the state back.

| target | action | reversible |
|---|---|---|
| service principal / agent identity | ``disable_service_principal``: PATCH accountEnabled false | yes |
| client secret | ``remove_client_secret``: POST .../removePassword | **no**: a secret cannot be re-created |
| certificate | ``remove_certificate``: PATCH keyCredentials without it (removeKey needs a proof JWT signed by the app's own key, which nhi does not hold) | yes: the public certificate is recorded |
| managed identity | ``remove_role_assignment``: DELETE each ARM role assignment | yes: re-created with PUT from the recorded properties |

Managed-identity service principals cannot be modified through Graph, so their access is cut
at ARM. Every step reads the object back afterwards and fails if the change did not hold.
"""
from __future__ import annotations

import json
from typing import Any

from nhi_cli.connector import CollectContext, RevokeStep, ScopeDenied, StepOutcome
from nhi_cli.http import NotFound

from .arm import active_subscriptions, get_role_assignments, get_subscriptions
from .clients import ARM_API_VERSION, arm_client, graph_client

SECRET_FIELDS = ("keyId", "displayName", "hint", "startDateTime", "endDateTime")  # never secretText
CERT_FIELDS = ("keyId", "displayName", "type", "usage", "key", "startDateTime", "endDateTime", "customKeyIdentifier")
ASSIGNMENT_FIELDS = ("roleDefinitionId", "principalId", "principalType", "condition", "conditionVersion",
                     "description", "delegatedManagedIdentityResourceId")


def _attrs(row: dict[str, Any]) -> dict[str, Any]:
    attrs = row.get("attrs") or {}
    return json.loads(attrs) if isinstance(attrs, str) else dict(attrs)


def _collection(on: str) -> str:
    return "applications" if on == "application" else "servicePrincipals"


# --- plan -------------------------------------------------------------------------------
def plan(connector, ctx: CollectContext, target: dict[str, Any], options: dict[str, Any]) -> list[RevokeStep]:
    attrs = _attrs(target)
    scope = target.get("scope") or ""
    kind = target.get("kind")
    is_credential = target.get("target_type") == "credential" or "identity_id" in target
    if is_credential:
        return [_credential_step(target, attrs, scope)]
    name = target.get("name") or target["id"]
    if kind in ("service_principal", "agent_identity"):
        return [RevokeStep("azure", scope, "identity", target["id"], "disable_service_principal",
                           f"Disable service principal {name} (accountEnabled false): no new tokens are issued "
                           f"to it; reversible with `nhi restore`.", True, {"object_id": target["id"]})]
    if kind == "managed_identity":
        return _role_assignment_steps(connector, ctx, target, name, scope)
    if kind == "application":
        return _application_steps(connector, ctx, target, attrs, name, scope)
    raise ScopeDenied("Unsupported", f"azure cannot revoke a {kind or 'target'} of this kind")


def _credential_step(cred: dict, attrs: dict, scope: str) -> RevokeStep:
    key_id = cred.get("key_id") or cred["id"]
    on = attrs.get("object") or "application"
    params = {"on": on, "object_id": attrs.get("object_id") or attrs.get("application_object_id"), "key_id": key_id}
    label = cred.get("name") or cred.get("hint") or key_id
    owner = cred.get("identity_name") or params["object_id"]
    if cred.get("kind") == "client_secret":
        return RevokeStep("azure", scope, "credential", cred["id"], "remove_client_secret",
                          f"Remove client secret {label} (keyId {key_id}) from {on} {owner}. IRREVERSIBLE: a "
                          f"removed secret cannot be restored; issue a new one if the app still needs it.",
                          False, params)
    return RevokeStep("azure", scope, "credential", cred["id"], "remove_certificate",
                      f"Remove certificate {label} (keyId {key_id}) from {on} {owner} by updating its key "
                      f"credentials without it; reversible (the public certificate is recorded).", True, params)


def _role_assignment_steps(connector, ctx, target, name, scope) -> list[RevokeStep]:
    settings = ctx.settings
    with arm_client(ctx, connector.credential(settings)) as arm:
        subs = settings.subscriptions or [s["subscriptionId"] for s in active_subscriptions(get_subscriptions(arm))]
        steps = []
        for sub in subs:
            for a in get_role_assignments(arm, sub, principal_id=target["id"]):
                props = a.get("properties") or {}
                steps.append(RevokeStep(
                    "azure", f"subscription:{sub}", "identity", target["id"], "remove_role_assignment",
                    f"Remove role assignment {a['name']} ({props.get('roleDefinitionId', '').rsplit('/', 1)[-1]}) "
                    f"on {props.get('scope')} from managed identity {name}; reversible (re-created from the "
                    f"recorded assignment).", True, {"assignment_id": a["id"]}))
    return steps


def _application_steps(connector, ctx, target, attrs, name, scope) -> list[RevokeStep]:
    object_id = attrs.get("application_object_id") or target["id"]
    with graph_client(ctx, connector.credential(ctx.settings)) as graph:
        app = graph.get_json(f"/v1.0/applications/{object_id}", params={"$select": "passwordCredentials,keyCredentials"})
    steps = []
    for kind, entries in (("certificate", app.get("keyCredentials") or []),
                          ("client_secret", app.get("passwordCredentials") or [])):
        for e in entries:  # certificates first: they are reversible
            row = {"id": e["keyId"], "key_id": e["keyId"], "kind": kind, "name": e.get("displayName"),
                   "hint": e.get("hint"), "identity_name": name}
            steps.append(_credential_step(row, {"object": "application", "object_id": object_id}, scope))
    return steps


# --- execute ----------------------------------------------------------------------------
def execute(connector, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
    try:
        return _ACTIONS[step.action][0](connector, ctx, step)
    except (ScopeDenied, NotFound) as exc:
        return StepOutcome("failed", error=str(exc))


def restore(connector, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
    try:
        return _ACTIONS[step.action][1](connector, ctx, step)
    except (ScopeDenied, NotFound) as exc:
        return StepOutcome("failed", error=str(exc))


def _sp_enabled(graph, object_id: str) -> bool:
    return bool(graph.get_json(f"/v1.0/servicePrincipals/{object_id}", params={"$select": "id,accountEnabled"})
                .get("accountEnabled"))


def _set_enabled(connector, ctx, step: RevokeStep, enabled: bool) -> StepOutcome:
    object_id = step.params["object_id"]
    with graph_client(ctx, connector.credential(ctx.settings)) as graph:
        before = _sp_enabled(graph, object_id)
        if before == enabled:
            return StepOutcome("already_done", restore_data={"was_enabled": before})
        graph.request("PATCH", f"/v1.0/servicePrincipals/{object_id}", json={"accountEnabled": enabled})
        if _sp_enabled(graph, object_id) != enabled:
            return StepOutcome("failed", error=f"service principal {object_id} still has accountEnabled {before}")
    return StepOutcome("done", restore_data={"was_enabled": before})


def _disable(connector, ctx, step):
    return _set_enabled(connector, ctx, step, False)


def _enable(connector, ctx, step):
    if step.restore_data and step.restore_data.get("was_enabled") is False:
        return StepOutcome("skipped", error="the service principal was already disabled before the revoke")
    return _set_enabled(connector, ctx, step, True)


def _credentials(graph, on: str, object_id: str, field: str) -> list[dict]:
    return graph.get_json(f"/v1.0/{_collection(on)}/{object_id}", params={"$select": f"id,{field}"}).get(field) or []


def _remove_secret(connector, ctx, step: RevokeStep) -> StepOutcome:
    p = step.params
    with graph_client(ctx, connector.credential(ctx.settings)) as graph:
        current = {e["keyId"]: e for e in _credentials(graph, p["on"], p["object_id"], "passwordCredentials")}
        if p["key_id"] not in current:
            return StepOutcome("already_done")
        removed = {k: current[p["key_id"]].get(k) for k in SECRET_FIELDS}  # public metadata for the log
        graph.request("POST", f"/v1.0/{_collection(p['on'])}/{p['object_id']}/removePassword",
                      json={"keyId": p["key_id"]})
        if any(e["keyId"] == p["key_id"] for e in _credentials(graph, p["on"], p["object_id"], "passwordCredentials")):
            return StepOutcome("failed", error=f"client secret {p['key_id']} is still present after removePassword")
    return StepOutcome("done", restore_data={"removed": removed, "restorable": False})


def _no_restore_secret(connector, ctx, step: RevokeStep) -> StepOutcome:
    return StepOutcome("skipped", error="a removed client secret cannot be restored; add a new secret instead")


def _remove_certificate(connector, ctx, step: RevokeStep) -> StepOutcome:
    p = step.params
    path = f"/v1.0/{_collection(p['on'])}/{p['object_id']}"
    with graph_client(ctx, connector.credential(ctx.settings)) as graph:
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


def _restore_certificate(connector, ctx, step: RevokeStep) -> StepOutcome:
    p, data = step.params, step.restore_data or {}
    removed = data.get("removed") or {}
    if not removed.get("key"):
        return StepOutcome("skipped", error="the certificate's public key was not recorded; upload it again")
    with graph_client(ctx, connector.credential(ctx.settings)) as graph:
        current = _credentials(graph, p["on"], p["object_id"], "keyCredentials")
        if any(e["keyId"] == p["key_id"] for e in current):
            return StepOutcome("already_done")
        keep = [{k: e.get(k) for k in CERT_FIELDS} for e in current]
        graph.request("PATCH", f"/v1.0/{_collection(p['on'])}/{p['object_id']}",
                      json={"keyCredentials": keep + [removed]})
        if not any(e["keyId"] == p["key_id"] for e in _credentials(graph, p["on"], p["object_id"], "keyCredentials")):
            return StepOutcome("failed", error=f"certificate {p['key_id']} did not come back")
    return StepOutcome("done")


def _assignment(arm, assignment_id: str) -> dict | None:
    try:
        return arm.get_json(assignment_id, params={"api-version": ARM_API_VERSION})
    except NotFound:
        return None


def _remove_assignment(connector, ctx, step: RevokeStep) -> StepOutcome:
    assignment_id = step.params["assignment_id"]
    with arm_client(ctx, connector.credential(ctx.settings)) as arm:
        found = _assignment(arm, assignment_id)
        if found is None:
            return StepOutcome("already_done")
        props = found.get("properties") or {}
        recorded = {"assignment_id": assignment_id, "scope": props.get("scope"),
                    "properties": {k: props[k] for k in ASSIGNMENT_FIELDS if props.get(k) is not None}}
        arm.request("DELETE", assignment_id, params={"api-version": ARM_API_VERSION})
        if _assignment(arm, assignment_id) is not None:
            return StepOutcome("failed", error=f"role assignment {assignment_id} is still present after DELETE")
    return StepOutcome("done", restore_data=recorded)


def _restore_assignment(connector, ctx, step: RevokeStep) -> StepOutcome:
    data = step.restore_data or {}
    assignment_id = data.get("assignment_id") or step.params["assignment_id"]
    if not data.get("properties"):
        return StepOutcome("skipped", error="the role assignment was not recorded")
    with arm_client(ctx, connector.credential(ctx.settings)) as arm:
        if _assignment(arm, assignment_id) is not None:
            return StepOutcome("already_done")
        arm.request("PUT", assignment_id, params={"api-version": ARM_API_VERSION},
                    json={"properties": data["properties"]})
        if _assignment(arm, assignment_id) is None:
            return StepOutcome("failed", error=f"role assignment {assignment_id} did not come back")
    return StepOutcome("done")


_ACTIONS = {
    "disable_service_principal": (_disable, _enable),
    "remove_client_secret": (_remove_secret, _no_restore_secret),
    "remove_certificate": (_remove_certificate, _restore_certificate),
    "remove_role_assignment": (_remove_assignment, _restore_assignment),
}
