"""iam:GetAccountAuthorizationDetails: every user, role, group and customer managed policy of
an account, with inline policies, attachments, tags and trust policies, in pages of up to
1,000 entities. This one paginated call replaces the per-user and per-role List*/Get* calls.

AWS managed policies are filtered out (``AWSManagedPolicy`` would add ~1,300 documents and
several megabytes to every account); the attached ones are resolved in ``managed.py``.
"""
from __future__ import annotations

from typing import Any

GAAD_FILTER = ["User", "Role", "Group", "LocalManagedPolicy"]
LISTS = ("UserDetailList", "RoleDetailList", "GroupDetailList", "Policies")


def get_authorization_details(iam) -> dict[str, list[dict[str, Any]]]:
    """All pages merged into one dict of lists (raises botocore ClientError)."""
    merged: dict[str, list[dict[str, Any]]] = {name: [] for name in LISTS}
    paginator = iam.get_paginator("get_account_authorization_details")
    for page in paginator.paginate(Filter=GAAD_FILTER, PaginationConfig={"PageSize": 1000}):
        for name in LISTS:
            merged[name].extend(page.get(name, []))
    return merged
