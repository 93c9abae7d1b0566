"""iam:GetAccountAuthorizationDetails: every user, role, group and customer managed policy of
an account, with inline policies, attachments, tags and trust policies, in pages of up to
1,000 entities. This one paginated call replaces the per-user and per-role List*/Get* calls.

AWS managed policies are filtered out (``AWSManagedPolicy`` would add ~1,300 documents and
several megabytes to every account); the attached ones are resolved in ``managed.py``.
"""

from __future__ import annotations

from typing import Any

from .clients import BotoClient
from .policies import attached_arns, is_aws_managed

GAAD_FILTER = ["User", "Role", "Group", "LocalManagedPolicy"]
LISTS = ("UserDetailList", "RoleDetailList", "GroupDetailList", "Policies")


def get_authorization_details(iam: BotoClient) -> dict[str, list[dict[str, Any]]]:
    """All pages merged into one dict of lists (raises botocore ClientError)."""
    merged: dict[str, list[dict[str, Any]]] = {name: [] for name in LISTS}
    paginator = iam.get_paginator("get_account_authorization_details")
    for page in paginator.paginate(Filter=GAAD_FILTER, PaginationConfig={"PageSize": 1000}):
        for name in LISTS:
            merged[name].extend(page.get(name, []))
    return merged


def unlisted_groups(details: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Groups some user is in but no page listed. GAAD pages are not a snapshot: a group
    deleted after the page with its members and before the page that would hold it is gone
    from the merged answer, while its former members still name it."""
    listed = {g["GroupName"] for g in _items(details, "GroupDetailList") if isinstance(g.get("GroupName"), str)}
    named = {g for u in _items(details, "UserDetailList") for g in _list(u.get("GroupList")) if isinstance(g, str)}
    return sorted(named - listed)


def unlisted_policies(details: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Customer managed policies attached somewhere but not in any page's Policies (deleted
    while GAAD was paging, as for groups above)."""
    listed = {p["Arn"] for p in _items(details, "Policies") if isinstance(p.get("Arn"), str)}
    return sorted(a for a in attached_arns(details) if not is_aws_managed(a) and a not in listed)


def _items(details: dict[str, list[dict[str, Any]]], name: str) -> list[dict[str, Any]]:
    """The objects of one GAAD list (an item of another shape is the transform's gap to report)."""
    return [item for item in _list(details.get(name)) if isinstance(item, dict)]


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
