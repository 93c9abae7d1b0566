"""Documents of the AWS managed policies attached in an account, without per-identity calls.

GAAD's ``AWSManagedPolicy`` filter would return all ~1,300 AWS managed policies in every
account. Instead nhi ships the documents of the common ones (``aws_managed_policies.json``:
AdministratorAccess, PowerUserAccess, IAMFullAccess, ...) and, for any other attached AWS
managed policy, with ``aws_managed_policies: fetch`` (the default) makes one
``iam:ListPolicies(Scope=AWS, OnlyAttached)`` page walk plus one ``iam:GetPolicyVersion``
per distinct policy. AWS managed policies are identical in every account of a partition, so
a fetched document is cached for the rest of the scan (``ctx.cache``): the cost grows with the
number of distinct AWS policies in use, never with the number of identities.
"""

from __future__ import annotations

import threading
from typing import Any

from .clients import BotoClient
from .policies import well_known_aws_policies

_lock = threading.Lock()


def get_aws_managed_documents(
    iam: BotoClient, attached: set[str], *, fetch: bool, cache: dict[str, Any]
) -> dict[str, Any]:
    """ARN -> document for every attached AWS managed policy nhi can resolve."""
    known = well_known_aws_policies()
    documents = {arn: known[arn]["document"] for arn in attached if arn in known}
    wanted = {arn for arn in attached if ":iam::aws:policy/" in arn and arn not in known}
    if not wanted or not fetch:
        return documents
    with _lock:
        for arn in list(wanted):
            if arn in cache:
                documents[arn] = cache[arn]
                wanted.discard(arn)
    if not wanted:
        return documents
    versions: dict[str, str] = {}
    for page in iam.get_paginator("list_policies").paginate(Scope="AWS", OnlyAttached=True):
        for policy in page.get("Policies", []):
            if policy["Arn"] in wanted:
                versions[policy["Arn"]] = policy["DefaultVersionId"]
    for arn, version in sorted(versions.items()):
        document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
        documents[arn] = document
        with _lock:
            cache[arn] = document
    return documents
