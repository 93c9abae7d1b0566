"""A Kubernetes API server fake on the shared FakeHttpServer: cluster-wide lists with
``limit``/``continue`` paging, ``resourceVersion``, metadata-only lists, the token-secret field
selector, Status errors, and the mutations revoke and restore make.

A folder holds one JSON file per resource type (``serviceaccounts.json``, ``secrets.json``,
``pods.json``, ``replicasets.json``, ``jobs.json``, ``roles.json``, ``clusterroles.json``,
``rolebindings.json``, ``clusterrolebindings.json``), each the ``...List`` the API server
returns; times may be relative (``now-400d``, nhi_cli.kit.times).

Fidelity (connectors/README.md "Fakes"): every list the fake answers is validated against the
OpenAPI models generated into the official ``kubernetes`` client (pydantic models that forbid
unknown fields: ``kubernetes.client.V1PodList`` and so on; a metadata-only list against
``V1ListMeta``/``V1ObjectMeta``), and a payload that does not conform is a 500. Like the real
server it refuses (400 BadRequest) an unknown query parameter, a non-positive ``limit``, a
field selector other than ``type=`` on secrets or ``metadata.name``/``metadata.namespace``,
and a continue token it did not issue; an expired token (:meth:`expire_continue`) is 410 Gone.
"""

from __future__ import annotations

import base64
import copy
import json
import ssl
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

from nhi_cli.kit.http_fake import FakeHttpServer, FakeRequest, FakeResponse, IntRange, query_problem, reply
from nhi_cli.kit.times import load_relative_estate

CORE, APPS, BATCH, RBAC = "/api/v1", "/apis/apps/v1", "/apis/batch/v1", "/apis/rbac.authorization.k8s.io/v1"
# resource -> (collection path, List kind, item kind, apiVersion, namespaced, group for errors)
RESOURCES = {
    "serviceaccounts": (CORE, "ServiceAccountList", "ServiceAccount", "v1", True, ""),
    "secrets": (CORE, "SecretList", "Secret", "v1", True, ""),
    "pods": (CORE, "PodList", "Pod", "v1", True, ""),
    "replicasets": (APPS, "ReplicaSetList", "ReplicaSet", "apps/v1", True, "apps"),
    "jobs": (BATCH, "JobList", "Job", "batch/v1", True, "batch"),
    "roles": (RBAC, "RoleList", "Role", "rbac.authorization.k8s.io/v1", True, "rbac.authorization.k8s.io"),
    "clusterroles": (
        RBAC,
        "ClusterRoleList",
        "ClusterRole",
        "rbac.authorization.k8s.io/v1",
        False,
        "rbac.authorization.k8s.io",
    ),
    "rolebindings": (
        RBAC,
        "RoleBindingList",
        "RoleBinding",
        "rbac.authorization.k8s.io/v1",
        True,
        "rbac.authorization.k8s.io",
    ),
    "clusterrolebindings": (
        RBAC,
        "ClusterRoleBindingList",
        "ClusterRoleBinding",
        "rbac.authorization.k8s.io/v1",
        False,
        "rbac.authorization.k8s.io",
    ),
}
LIST_QUERY = {
    "limit": IntRange(1, 2**31 - 1),
    "continue": None,
    "fieldSelector": None,
    "labelSelector": None,
    "resourceVersion": None,
    "resourceVersionMatch": None,
    "timeoutSeconds": None,
    "allowWatchBookmarks": None,
    "watch": {"false"},
    "pretty": None,
}
METADATA_ONLY = "as=PartialObjectMetadataList"
DEMO_TOKEN = "nhi-demo-kubernetes-scanner-token"  # fake; only the local demo fake accepts it


def status(code: int, reason: str, message: str, **details: Any) -> FakeResponse:
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        body["details"] = details
    return reply(body, code)


def validate(resource: str, payload: dict[str, Any]) -> None:
    """Raise ValueError unless ``payload`` conforms to the client's model of the list."""
    from kubernetes import client
    from pydantic import ValidationError

    try:
        if payload.get("kind") == "PartialObjectMetadataList":
            extra = set(payload) - {"kind", "apiVersion", "metadata", "items"}
            if extra:
                raise ValueError(f"PartialObjectMetadataList declares no {sorted(extra)}")
            client.V1ListMeta.model_validate(payload.get("metadata") or {})
            for item in payload["items"]:
                if set(item) - {"kind", "apiVersion", "metadata"}:
                    raise ValueError(
                        f"PartialObjectMetadata declares no {sorted(set(item) - {'kind', 'apiVersion', 'metadata'})}"
                    )
                client.V1ObjectMeta.model_validate(item["metadata"])
            return
        model = getattr(client, "V1" + RESOURCES[resource][1])
        model.model_validate(payload)
    except ValidationError as exc:
        raise ValueError(f"{resource}: {exc}") from None


class KubernetesFake(FakeHttpServer):
    def __init__(
        self,
        objects: dict[str, list[dict[str, Any]]],
        *,
        tokens: set[str] | None = None,
        strict: bool = True,
        cluster: str = "demo-cluster",
        cluster_entry: str | None = None,
        tls: ssl.SSLContext | None = None,
    ):
        super().__init__(tls=tls)  # https only as the in-cluster API server (its CA in ca.crt)
        self.objects = {r: list(objects.get(r, [])) for r in RESOURCES}
        self.tokens = set(tokens or {DEMO_TOKEN})
        self.strict = strict  # validate every answer against the client's models
        self.cluster = cluster
        # the kubeconfig's name for the cluster (an EKS ARN, as `aws eks update-kubeconfig` writes)
        self.cluster_entry = cluster_entry or cluster
        self.version = 1000
        self.expired: set[str] = set()  # resources whose next continue token is stale
        for resource, (base, *_rest) in RESOURCES.items():
            self.route("GET", base + "/" + resource, self._auth(self._list, resource))
            namespaced = RESOURCES[resource][4]
            one = base + (r"/namespaces/(?P<ns>[^/]+)/" if namespaced else "/") + resource
            self.route("GET", one + r"/(?P<name>[^/]+)", self._auth(self._get, resource))
            self.route("DELETE", one + r"/(?P<name>[^/]+)", self._auth(self._delete, resource))
            self.route("PUT", one + r"/(?P<name>[^/]+)", self._auth(self._put, resource))
            self.route("POST", one, self._auth(self._post, resource))

    @classmethod
    def from_dir(cls, folder: Path, now: datetime | None = None, **kwargs: Any) -> KubernetesFake:
        objects = {}
        for resource in RESOURCES:
            path = folder / f"{resource}.json"
            if path.is_file():
                data = load_relative_estate(path, now) if now else json.loads(path.read_text())
                objects[resource] = data["items"]
        return cls(objects, **kwargs)

    # --- test controls ------------------------------------------------------------------
    def forbid(self, resource: str, times: int = 10) -> None:
        """Answer the next ``times`` lists of ``resource`` with 403 Forbidden."""
        group = RESOURCES[resource][5]
        self.fault(
            "GET",
            RESOURCES[resource][0] + "/" + resource,
            403,
            status(
                403,
                "Forbidden",
                f'{resource} is forbidden: User "system:serviceaccount:nhi:scanner" cannot list resource '
                f'"{resource}" in API group "{group}" at the cluster scope',
                kind=resource,
            ).body,
            times=times,
        )

    def expire_continue(self, resource: str) -> None:
        """The next continue token presented for ``resource`` has expired (410 Gone)."""
        self.expired.add(resource)

    def kubeconfig(self, context: str | None = None, token: str | None = None) -> dict[str, Any]:
        name = context or self.cluster
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": name,
            "clusters": [{"name": self.cluster_entry, "cluster": {"server": self.url}}],
            "users": [{"name": f"{name}-scanner", "user": {"token": token or sorted(self.tokens)[0]}}],
            "contexts": [{"name": name, "context": {"cluster": self.cluster_entry, "user": f"{name}-scanner"}}],
        }

    def write_kubeconfig(self, stack: ExitStack) -> Path:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="nhi-k8s-demo-")))
        path = folder / "kubeconfig"
        path.write_text(json.dumps(self.kubeconfig()))
        path.chmod(0o600)
        return path

    # --- serving ------------------------------------------------------------------------
    def _auth(
        self, handler: Callable[[FakeRequest, str], FakeResponse], resource: str
    ) -> Callable[[FakeRequest], FakeResponse]:
        """``handler`` for ``resource``, behind the bearer token check."""

        def wrapped(req: FakeRequest) -> FakeResponse:
            # the scheme is case-insensitive (RFC 7235; the API server lowercases it): the
            # official client's in-cluster loader sends "bearer <token>", a kubeconfig "Bearer"
            scheme, _, token = req.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or token not in self.tokens:
                return status(401, "Unauthorized", "Unauthorized")
            return handler(req, resource)

        return wrapped

    def _list(self, req: FakeRequest, resource: str) -> FakeResponse:
        if problem := query_problem(req, LIST_QUERY):
            return status(400, "BadRequest", problem)
        items = self.objects[resource]
        selector = req.arg("fieldSelector")
        if selector:
            field, _, value = selector.partition("=")
            if field == "type" and resource == "secrets":
                items = [i for i in items if i.get("type") == value]
            elif field in ("metadata.name", "metadata.namespace"):
                key = field.split(".")[1]
                items = [i for i in items if (i.get("metadata") or {}).get(key) == value]
            else:
                return status(
                    400,
                    "BadRequest",
                    f'"{field}" is not a known field selector: only "metadata.name", "metadata.namespace"',
                )
        start = 0
        token = req.arg("continue")
        if token:
            try:
                state = json.loads(base64.urlsafe_b64decode(token.encode()))
                start = int(state["start"])
                assert state["resource"] == resource
            except Exception:
                return status(400, "BadRequest", "continue key is not valid: incorrect encoded start resourceVersion")
            if resource in self.expired:
                self.expired.discard(resource)
                return status(
                    410,
                    "Expired",
                    "The provided continue parameter is too old to display a consistent "
                    "list result. You can start a new list without the continue parameter.",
                )
        limit = int(req.arg("limit") or 0) or len(items) or 1
        chunk = items[start : start + limit]
        meta: dict[str, Any] = {"resourceVersion": str(self.version)}
        if start + limit < len(items):
            meta["continue"] = base64.urlsafe_b64encode(
                json.dumps({"resource": resource, "start": start + limit, "rv": self.version}).encode()
            ).decode()
            meta["remainingItemCount"] = len(items) - start - limit
        _base, list_kind, _item_kind, api_version, *_ = RESOURCES[resource]
        if METADATA_ONLY in req.headers.get("accept", ""):
            payload = {
                "kind": "PartialObjectMetadataList",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": meta,
                "items": [
                    {
                        "kind": "PartialObjectMetadata",
                        "apiVersion": "meta.k8s.io/v1",
                        "metadata": i.get("metadata") or {},
                    }
                    for i in chunk
                ],
            }
        else:
            payload = {
                "kind": list_kind,
                "apiVersion": api_version,
                "metadata": meta,
                "items": chunk,  # items of a typed list carry no kind/apiVersion
            }
        if self.strict:
            validate(resource, payload)
        return reply(payload)

    def _find(self, req: FakeRequest, resource: str) -> dict[str, Any] | None:
        ns = req.match.groupdict().get("ns") if req.match else None
        name = req.match["name"] if req.match else None
        for item in self.objects[resource]:
            meta = item.get("metadata") or {}
            if meta.get("name") == name and (ns is None or meta.get("namespace") == ns):
                return item
        return None

    def _not_found(self, req: FakeRequest, resource: str) -> FakeResponse:
        name = req.match["name"] if req.match else ""
        return status(404, "NotFound", f'{resource} "{name}" not found', name=name, kind=resource)

    def _get(self, req: FakeRequest, resource: str) -> FakeResponse:
        item = self._find(req, resource)
        if item is None:
            return self._not_found(req, resource)
        _base, _lk, item_kind, api_version, *_ = RESOURCES[resource]
        if "as=PartialObjectMetadata;" in req.headers.get("accept", "") + ";":
            return reply(
                {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": item["metadata"]}
            )
        return reply(dict(item, kind=item_kind, apiVersion=api_version))

    def _delete(self, req: FakeRequest, resource: str) -> FakeResponse:
        item = self._find(req, resource)
        if item is None:
            return self._not_found(req, resource)
        self.objects[resource].remove(item)
        self.version += 1
        return reply(
            {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Success",
                "details": {"name": item["metadata"]["name"], "kind": resource},
            }
        )

    def _body(self, req: FakeRequest, resource: str) -> dict[str, Any] | FakeResponse:
        from kubernetes import client
        from pydantic import ValidationError

        try:
            body: dict[str, Any] = req.json()  # a valid model is a JSON object
            getattr(client, "V1" + RESOURCES[resource][2]).model_validate(body)
        except (ValueError, ValidationError) as exc:
            return status(400, "BadRequest", f"the body is not a valid {RESOURCES[resource][2]}: {str(exc)[:200]}")
        body = copy.deepcopy(body)
        body.pop("kind", None)
        body.pop("apiVersion", None)
        body.setdefault("metadata", {})
        body["metadata"].pop("resourceVersion", None)
        return body

    def _post(self, req: FakeRequest, resource: str) -> FakeResponse:
        body = self._body(req, resource)
        if isinstance(body, FakeResponse):
            return body
        meta = body["metadata"]
        if RESOURCES[resource][4]:
            meta["namespace"] = req.match["ns"] if req.match else meta.get("namespace")
        if any(
            (i.get("metadata") or {}).get("name") == meta.get("name")
            and (i.get("metadata") or {}).get("namespace") == meta.get("namespace")
            for i in self.objects[resource]
        ):
            return status(409, "AlreadyExists", f'{resource} "{meta.get("name")}" already exists')
        self.version += 1
        meta["resourceVersion"] = str(self.version)
        self.objects[resource].append(body)
        return reply(body, 201)

    def _put(self, req: FakeRequest, resource: str) -> FakeResponse:
        item = self._find(req, resource)
        if item is None:
            return self._not_found(req, resource)
        body = self._body(req, resource)
        if isinstance(body, FakeResponse):
            return body
        body["metadata"] = {**item.get("metadata", {}), **body["metadata"]}
        self.version += 1
        body["metadata"]["resourceVersion"] = str(self.version)
        self.objects[resource][self.objects[resource].index(item)] = body
        return reply(body)
