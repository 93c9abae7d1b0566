"""The EKS Pod Identity API fake (fake layer): what moto 5.2 does not implement.

moto has EKS clusters but no Pod Identity associations. ``EksFake`` answers the two read calls
nhi makes, ``ListPodIdentityAssociations`` and ``DescribePodIdentityAssociation``, over their
real protocol (rest-json, SigV4-signed; boto3 reaches it through the ``eks_endpoint`` setting)
on loopback. Like connectors/aws/ai_fake.py it checks every request against the operation's
input shape and every answer against its output shape in botocore's EKS model
(nhi_cli/kit/botocore_model.py), and refuses what the real API refuses: a ``maxResults``
outside 1..100 or a foreign ``nextToken`` (400 InvalidParameterException), a cluster that does
not exist in the signed region (404 ResourceNotFoundException), an unsigned request (403).
Any other EKS call (a mutation above all) has no route: 404, and a test reading
``fake.requests`` sees it.

Clusters are keyed by (region, name); an association is what DescribePodIdentityAssociation
returns (``PodIdentityAssociation``), its list summary is derived from it.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from nhi_cli.kit.botocore_model import NonConforming, check_request, from_rest, rest_json
from nhi_cli.kit.http_fake import FakeHttpServer, FakeRequest, FakeResponse
from nhi_cli.kit.payloads import iso_time
from nhi_cli.kit.times import load_relative_estate

SERVICE = "eks"
CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/eks/aws4_request")
CLUSTER = r"/clusters/(?P<name>[^/]+)/pod-identity-associations"
SUMMARY = ("clusterName", "namespace", "serviceAccount", "associationArn", "associationId", "ownerArn")


class EksFake(FakeHttpServer):
    def __init__(self, page_size: int = 100, latency: float = 0.0) -> None:
        super().__init__()
        self.latency = latency  # seconds each answer waits, as a real region's round trip (benchmarks)
        self.in_flight = 0
        self.most_in_flight = 0  # the most calls answered at once: how concurrent the client was
        self.clusters: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.page_size = page_size  # the most a page holds, whatever maxResults asks
        self.denied: dict[str, str] = {}  # operation -> error code answered with 403
        self.route("GET", CLUSTER, lambda r: self._answer(r, "ListPodIdentityAssociations"))
        self.route(
            "GET", CLUSTER + r"/(?P<associationId>[^/]+)", lambda r: self._answer(r, "DescribePodIdentityAssociation")
        )

    # --- seeding ------------------------------------------------------------------------
    def add_cluster(self, name: str, region: str = "us-east-1") -> None:
        self.clusters.setdefault((region, name), [])

    def add_association(
        self,
        cluster: str,
        namespace: str,
        service_account: str,
        role_arn: str,
        *,
        region: str = "us-east-1",
        created: datetime,
        target_role_arn: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        account = role_arn.split(":")[4]
        digest = hashlib.sha256(f"{region}/{cluster}/{namespace}/{service_account}".encode()).hexdigest()
        association_id = "a-" + digest[:17]
        item = {
            "clusterName": cluster,
            "namespace": namespace,
            "serviceAccount": service_account,
            "roleArn": role_arn,
            "associationArn": f"arn:aws:eks:{region}:{account}:podidentityassociation/{cluster}/{association_id}",
            "associationId": association_id,
            "tags": tags or None,
            "createdAt": created,
            "modifiedAt": created,
            "disableSessionTags": False,
            "targetRoleArn": target_role_arn,
        }
        self.clusters.setdefault((region, cluster), []).append({k: v for k, v in item.items() if v is not None})
        return item

    @classmethod
    def from_file(cls, path: Path, now: datetime, **kwargs: Any) -> EksFake:
        """``{"clusters": [{"name", "region", "associations": [{"namespace", "serviceAccount",
        "roleArn", "createdAt": "now-30d", ...}]}]}`` (times relative, nhi_cli.kit.times)."""
        fake = cls(**kwargs)
        data = load_relative_estate(path, now)
        for cluster in data["clusters"]:
            region = cluster.get("region", "us-east-1")
            fake.add_cluster(cluster["name"], region)
            for a in cluster.get("associations", []):
                fake.add_association(
                    cluster["name"],
                    a["namespace"],
                    a["serviceAccount"],
                    a["roleArn"],
                    region=region,
                    created=_when(a.get("createdAt"), now),
                    target_role_arn=a.get("targetRoleArn"),
                    tags=a.get("tags"),
                )
        return fake

    def deny(self, operation: str, code: str = "AccessDeniedException") -> None:
        """Refuse ``operation`` as IAM refuses a call the caller's policy does not allow."""
        self.denied[operation] = code

    # --- serving ------------------------------------------------------------------------
    def _answer(self, req: FakeRequest, operation: str) -> FakeResponse:
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.latency:
                time.sleep(self.latency)  # each connection has its own thread: concurrent calls overlap
            return self._serve(req, operation)
        finally:
            with self.lock:
                self.in_flight -= 1

    def _serve(self, req: FakeRequest, operation: str) -> FakeResponse:
        scope = CREDENTIAL_SCOPE.search(req.headers.get("authorization", ""))
        if scope is None:
            return _error(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
        region = scope.group(1)
        if operation in self.denied:
            return _error(
                403,
                self.denied[operation],
                f"User: arn:aws:sts::000000000000:assumed-role/nhi-scan/nhi is not authorized to perform: "
                f"eks:{operation} on resource: cluster/{req.match['name'] if req.match else ''}",
            )
        uri = {k: unquote(v) for k, v in (req.match.groupdict() if req.match else {}).items()}
        try:
            params = check_request(SERVICE, operation, from_rest(SERVICE, operation, uri, req.query, req.body))
        except NonConforming as exc:
            return _error(400, "InvalidParameterException", str(exc))
        associations = self.clusters.get((region, params["clusterName"]))
        if associations is None:
            return _error(404, "ResourceNotFoundException", f"No cluster found for name: {params['clusterName']}.")
        if operation == "DescribePodIdentityAssociation":
            found = [a for a in associations if a["associationId"] == params["associationId"]]
            if not found:
                return _error(
                    404, "ResourceNotFoundException", f"No association found for id: {params['associationId']}."
                )
            return _ok(operation, {"association": found[0]})
        chosen = [
            a
            for a in associations
            if params.get("namespace") in (None, a["namespace"])
            and params.get("serviceAccount") in (None, a["serviceAccount"])
        ]
        token = params.get("nextToken")
        if token is not None and not (token.isdigit() and 0 < int(token) < len(chosen)):
            return _error(400, "InvalidParameterException", "The nextToken is not valid.")
        start = int(token or 0)
        size = min(params.get("maxResults") or self.page_size, self.page_size)
        page = [{k: a[k] for k in SUMMARY if k in a} for a in chosen[start : start + size]]
        more = start + size < len(chosen)
        return _ok(operation, {"associations": page, **({"nextToken": str(start + size)} if more else {})})


def _ok(operation: str, result: dict[str, Any]) -> FakeResponse:
    try:
        body = rest_json(SERVICE, operation, result)
    except NonConforming as exc:  # the fake's own answer is wrong: fail the test that asked, loudly
        return _error(500, "InternalFailure", f"the fake's {operation} answer does not conform: {exc}")
    return FakeResponse(200, body, {"Content-Type": "application/json"})


def _error(status: int, code: str, message: str) -> FakeResponse:
    return FakeResponse(
        status,
        json.dumps({"message": message}).encode(),
        {"Content-Type": "application/json", "x-amzn-ErrorType": code},
    )


def _when(value: Any, now: datetime) -> datetime:
    return iso_time(value) or now
