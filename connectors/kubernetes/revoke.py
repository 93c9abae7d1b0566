"""Revoking Kubernetes access, through the official client, each step read back:

- ``remove_role_bindings`` (identity ``k8s_service_account``; RESTORABLE): take the account out of
  every RoleBinding and ClusterRoleBinding that names it. A binding naming only the account is
  deleted, one naming others too is replaced without it; each original binding is recorded,
  and ``nhi restore`` re-creates or re-adds it. Grants through the ``system:serviceaccounts``
  groups reach every account alike and are not touched (the plan says so).
  On a ``k8s_workload`` it is the same step for the account the workload runs as.
- ``delete_token_secret`` (credential ``k8s_legacy_token``, and an account's tokens with
  ``--delete``; IRREVERSIBLE): delete the ``kubernetes.io/service-account-token`` secret; the
  token stops working at once. Read back as metadata only, so the token is never fetched.

Planning makes no call: the bindings are found when the step runs (two cluster-wide LISTs).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from nhi_cli.errors import NhiError
from nhi_cli.kit.connector import CollectContext, RevokeStep, StepOutcome

from .clients import close, get_list, make_api_client, unsendable, why_unreachable
from .transform import sa_id

if TYPE_CHECKING:  # the kubernetes client (typed) loads when a step runs
    from kubernetes.client import ApiClient, CoreV1Api

METADATA = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"
REVOKE_KINDS: dict[str, list[str]] = {
    "k8s_service_account": ["remove_role_bindings", "delete_token_secret"],
    "k8s_workload": ["remove_role_bindings"],  # of the service account it runs as
    "k8s_legacy_token": ["delete_token_secret"],
}
SERVER_FIELDS = ("resourceVersion", "uid", "creationTimestamp", "managedFields", "generation", "selfLink")


def _token_step(cred: dict[str, Any], scope: str) -> RevokeStep | None:
    if cred.get("status") == "revoked":
        return None
    attrs = cred.get("attrs") or {}
    return RevokeStep(
        "kubernetes",
        cred.get("scope") or scope,
        "credential",
        cred["id"],
        "delete_token_secret",
        f"Delete the legacy token secret {attrs.get('namespace')}/{attrs.get('secret_name')} of service account "
        f"{attrs.get('service_account')} in {cred.get('scope') or scope}. IRREVERSIBLE: the token stops working; "
        f"clients must request short-lived tokens.",
        False,
        {"namespace": attrs["namespace"], "name": attrs["secret_name"]},
    )


def plan(target: dict[str, Any], options: dict[str, Any]) -> list[RevokeStep]:
    scope = target.get("scope", "")
    if target.get("type") == "credential":
        if target.get("kind") != "k8s_legacy_token":
            raise NhiError(f"Kubernetes cannot revoke a credential of kind {target.get('kind')!r}")
        step = _token_step(target, scope)
        return [step] if step else []
    attrs = target.get("attrs") or {}
    namespace = attrs.get("namespace") or ""
    if target.get("kind") == "k8s_workload":
        # A workload holds no credential of its own: its API access is its service account's.
        return [
            _bindings_step(
                scope,
                namespace,
                account,
                f" (workload {target.get('name')} runs as it; so does every other pod naming it)",
            )
            for account in attrs.get("service_accounts") or []
        ]
    if target.get("kind") != "k8s_service_account":
        raise NhiError(f"Kubernetes cannot revoke a {target.get('kind')}")
    steps = [_bindings_step(scope, namespace, (target.get("name") or "").split("/")[-1])]
    if options.get("delete"):
        steps += [s for s in (_token_step(c, scope) for c in target.get("credentials") or []) if s]
    return steps


def _bindings_step(scope: str, namespace: str, name: str, why: str = "") -> RevokeStep:
    return RevokeStep(
        "kubernetes",
        scope,
        "identity",
        sa_id(scope, namespace, name),
        "remove_role_bindings",
        f"Remove service account {namespace}/{name}{why} from every RoleBinding and ClusterRoleBinding in "
        f"{scope} that names it (restorable: `nhi restore` puts it back). Grants through the "
        f"system:serviceaccounts groups are shared by every account and stay.",
        True,
        {"namespace": namespace, "name": name},
    )


def _names(binding: dict[str, Any], namespace: str, name: str) -> bool:
    return any(_is(s, binding, namespace, name) for s in binding.get("subjects") or [])


def _is(subject: dict[str, Any], binding: dict[str, Any], namespace: str, name: str) -> bool:
    ns = subject.get("namespace") or (binding.get("metadata") or {}).get("namespace")
    return subject.get("kind") == "ServiceAccount" and subject.get("name") == name and ns == namespace


def _clean(binding: dict[str, Any]) -> dict[str, Any]:
    meta = {k: v for k, v in (binding.get("metadata") or {}).items() if k not in SERVER_FIELDS}
    return {**{k: v for k, v in binding.items() if k not in ("metadata", "kind", "apiVersion")}, "metadata": meta}


def _error(exc: Exception) -> str:
    from kubernetes.client import ApiException

    if isinstance(exc, ApiException):
        try:
            body = json.loads(exc.body or "{}")
        except ValueError:
            body = {}
        return f"{body.get('reason') or exc.status}: {str(body.get('message') or exc.reason)[:200]}"
    return f"unreachable: cannot reach the API server: {why_unreachable(exc)}"


class _Rbac:
    """The RoleBinding/ClusterRoleBinding calls of one step, counted."""

    def __init__(self, ctx: CollectContext, api_client: ApiClient) -> None:
        from kubernetes import client

        self.ctx, self.api = ctx, client.RbacAuthorizationV1Api(api_client)

    def get(self, namespace: str | None, name: str) -> dict[str, Any] | None:
        from kubernetes.client import ApiException

        self.ctx.count("k8s:GET rolebinding" if namespace else "k8s:GET clusterrolebinding")
        try:
            # with _preload_content=False the client returns the raw HTTP response (its stubs
            # only know the decoded model), and bodies are sent as the plain dicts read here
            if namespace:
                r: Any = self.api.read_namespaced_role_binding(name, namespace, _preload_content=False)
            else:
                r = self.api.read_cluster_role_binding(name, _preload_content=False)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        binding: dict[str, Any] = json.loads(r.data)  # a RoleBinding or ClusterRoleBinding
        return binding

    def delete(self, namespace: str | None, name: str) -> None:
        self.ctx.count("k8s:DELETE rolebinding" if namespace else "k8s:DELETE clusterrolebinding")
        if namespace:
            self.api.delete_namespaced_role_binding(name, namespace, _preload_content=False)
        else:
            self.api.delete_cluster_role_binding(name, _preload_content=False)

    def put(self, namespace: str | None, name: str, body: dict[str, Any]) -> None:
        self.ctx.count("k8s:PUT rolebinding" if namespace else "k8s:PUT clusterrolebinding")
        if namespace:
            self.api.replace_namespaced_role_binding(name, namespace, body, _preload_content=False)  # type: ignore[arg-type]  # a dict body is serialised as is
        else:
            self.api.replace_cluster_role_binding(name, body, _preload_content=False)  # type: ignore[arg-type]  # as above

    def create(self, namespace: str | None, body: dict[str, Any]) -> None:
        self.ctx.count("k8s:POST rolebinding" if namespace else "k8s:POST clusterrolebinding")
        if namespace:
            self.api.create_namespaced_role_binding(namespace, body, _preload_content=False)  # type: ignore[arg-type]  # as above
        else:
            self.api.create_cluster_role_binding(body, _preload_content=False)  # type: ignore[arg-type]  # as above


def execute(ctx: CollectContext, step: RevokeStep) -> StepOutcome:
    api = make_api_client(ctx, step.scope)
    try:
        if step.action == "delete_token_secret":
            return _delete_token(ctx, api, step.params["namespace"], step.params["name"], step.target_id)
        if step.action == "remove_role_bindings":
            return _remove_bindings(ctx, api, step.params["namespace"], step.params["name"])
        return StepOutcome("skipped", f"unknown action {step.action}")
    except Exception as exc:  # noqa: BLE001 - a provider error is a failed step, never a crash
        from kubernetes.client import ApiException
        from urllib3.exceptions import HTTPError

        if isinstance(exc, (ApiException, HTTPError)):
            return StepOutcome("failed", _error(exc))
        if isinstance(exc, ValueError):  # not sent; its message may quote the token: not kept
            refused = unsendable(exc)
            return StepOutcome("failed", f"{refused.code}: {refused.message}")
        raise
    finally:
        close(api)


def _secret_exists(ctx: CollectContext, core: CoreV1Api, namespace: str, name: str) -> bool:
    from kubernetes.client import ApiException

    ctx.count("k8s:GET secret (metadata)")
    try:
        core.read_namespaced_secret(name, namespace, _preload_content=False, _headers={"Accept": METADATA})
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise
    return True


def _delete_token(ctx: CollectContext, api: ApiClient, namespace: str, name: str, credential_id: str) -> StepOutcome:
    from kubernetes import client
    from kubernetes.client import ApiException

    core = client.CoreV1Api(api)
    ctx.count("k8s:DELETE secret")
    try:
        core.delete_namespaced_secret(name, namespace, _preload_content=False)
    except ApiException as exc:
        if exc.status == 404:
            return StepOutcome("already_done", inventory={credential_id: "revoked"})
        raise
    if _secret_exists(ctx, core, namespace, name):
        return StepOutcome("failed", f"verification: secret {namespace}/{name} still exists after DELETE")
    return StepOutcome("done", inventory={credential_id: "revoked"})


def _remove_bindings(ctx: CollectContext, api: ApiClient, namespace: str, name: str) -> StepOutcome:
    rbac = _Rbac(ctx, api)
    saved: list[dict[str, Any]] = []
    for resource in ("rolebindings", "clusterrolebindings"):
        bindings, _version = get_list(ctx, api, resource)
        for binding in bindings:
            if not _names(binding, namespace, name):
                continue
            meta = binding.get("metadata") or {}
            ns = meta.get("namespace") if resource == "rolebindings" else None
            remaining = [s for s in binding.get("subjects") or [] if not _is(s, binding, namespace, name)]
            if remaining:
                rbac.put(ns, meta["name"], {**_clean(binding), "subjects": remaining})
                how = "replaced"
            else:
                rbac.delete(ns, meta["name"])
                how = "deleted"
            saved.append({"resource": resource, "how": how, "binding": _clean(binding)})
    if not saved:
        return StepOutcome("already_done", restore_data={"bindings": []})
    for entry in saved:  # read back: gone, or no longer naming the account
        meta = entry["binding"]["metadata"]
        now = rbac.get(meta.get("namespace") if entry["resource"] == "rolebindings" else None, meta["name"])
        if now is not None and _names(now, namespace, name):
            return StepOutcome(
                "failed", f"verification: {meta['name']} still names {namespace}/{name}", {"bindings": saved}
            )
    return StepOutcome("done", restore_data={"bindings": saved})


def restore(ctx: CollectContext, step: RevokeStep) -> StepOutcome:
    if step.action != "remove_role_bindings":
        return StepOutcome("skipped", "a deleted token secret cannot be restored: request a new token")
    saved = (step.restore_data or {}).get("bindings") or []
    namespace, name = step.params["namespace"], step.params["name"]
    api = make_api_client(ctx, step.scope)
    try:
        rbac = _Rbac(ctx, api)
        changed = False
        for entry in saved:
            binding = entry["binding"]
            meta = binding["metadata"]
            ns = meta.get("namespace") if entry["resource"] == "rolebindings" else None
            current = rbac.get(ns, meta["name"])
            if current is None:
                rbac.create(ns, binding)
                changed = True
            elif not _names(current, namespace, name):
                mine = [s for s in binding.get("subjects") or [] if _is(s, binding, namespace, name)]
                rbac.put(ns, meta["name"], {**_clean(current), "subjects": (current.get("subjects") or []) + mine})
                changed = True
            now = rbac.get(ns, meta["name"])
            if now is None or not _names(now, namespace, name):
                return StepOutcome("failed", f"verification: {meta['name']} does not name {namespace}/{name} again")
        return StepOutcome("done" if changed else "already_done")
    except Exception as exc:  # noqa: BLE001 - a provider error is a failed step, never a crash
        from kubernetes.client import ApiException
        from urllib3.exceptions import HTTPError

        if isinstance(exc, (ApiException, HTTPError)):
            return StepOutcome("failed", _error(exc))
        if isinstance(exc, ValueError):  # not sent; its message may quote the token: not kept
            refused = unsendable(exc)
            return StepOutcome("failed", f"{refused.code}: {refused.message}")
        raise
    finally:
        close(api)
