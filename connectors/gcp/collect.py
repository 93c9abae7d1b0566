"""get_* functions: call the Google APIs (through GcpClients) and return snake_case dicts.

Each returns plain data for the pure transforms. Key material that an API might return
(``private_key_data``, ``public_key_data``) is dropped here, the moment it arrives.
"""
from __future__ import annotations

from typing import Any

from nhi_connectors.gcp.clients import GcpClients

KEY_MATERIAL = ("private_key_data", "public_key_data", "private_key_type")
ACTIVITY_SA = "serviceAccountLastAuthentication"
ACTIVITY_KEY = "serviceAccountKeyLastAuthentication"


def _plain(message: Any) -> dict:
    """A proto-plus or raw protobuf message as a snake_case dict (enums as names)."""
    from google.protobuf import json_format

    raw = getattr(type(message), "pb", None)
    pb = raw(message) if raw else message
    return json_format.MessageToDict(pb, preserving_proto_field_name=True)


def get_service_accounts(c: GcpClients, project: str) -> list[dict]:
    pages = c.pages("iam:ListServiceAccounts", c.iam.list_service_accounts,
                    {"name": f"projects/{project}", "page_size": 100}, "accounts")
    return [_plain(sa) for sa in pages]


def get_keys(c: GcpClients, sa_name: str) -> list[dict]:
    """Keys of one SA: the API has no project-wide key listing, so this is one call per SA."""
    from google.cloud.iam_admin_v1 import types

    request: dict[str, Any] = {"name": sa_name}
    if not c.settings.system_managed_keys:
        request["key_types"] = [types.ListServiceAccountKeysRequest.KeyType.USER_MANAGED]
    response = c.call("iam:ListServiceAccountKeys", c.iam.list_service_account_keys, request=request)
    keys = []
    for key in response.keys:
        data = _plain(key)
        for field in KEY_MATERIAL:
            data.pop(field, None)
        keys.append(data)
    return keys


def get_service_account_policy(c: GcpClients, sa_name: str) -> dict:
    """The SA's own IAM policy. IAM has no bulk read of these; one call per SA is the price
    (Cloud Asset Inventory's searchAllIamPolicies could replace it; not used here)."""
    policy = c.call("iam:GetIamPolicy", c.iam.get_iam_policy,
                    request={"resource": sa_name, "options": {"requested_policy_version": 3}})
    return _plain(policy)


def get_project_policy(c: GcpClients, project: str) -> dict:
    """Requested at version 3: conditional bindings come back only then."""
    policy = c.call("cloudresourcemanager:GetIamPolicy", c.projects.get_iam_policy,
                    request={"resource": f"projects/{project}", "options": {"requested_policy_version": 3}})
    return _plain(policy)


def get_activities(c: GcpClients, project: str, activity_type: str) -> list[dict]:
    path = f"/v1/projects/{project}/locations/global/activityTypes/{activity_type}/activities:query"
    params: dict[str, Any] = {"pageSize": 1000}
    items: list[dict] = []
    while True:  # nextPageToken paging, counted under one readable name
        body = c.analyzer.request("GET", path, params=params, count_as="policyanalyzer:activities.query").json()
        items.extend(body.get("activities", []))
        if not body.get("nextPageToken"):
            return items
        params["pageToken"] = body["nextPageToken"]


def _active_projects(c: GcpClients, query: str) -> list[dict]:
    pages = c.pages("cloudresourcemanager:SearchProjects", c.projects.search_projects, {"query": query}, "projects")
    return [p for p in (_plain(x) for x in pages) if p.get("state") == "ACTIVE"]


def discover_projects(c: GcpClients, parent: str | None, folder_parents: dict[str, str] | None = None) -> list[dict]:
    """Every ACTIVE project under ``parent`` (an organization or folder, walked through its
    sub-folders), or every project the caller can see when there is no parent. The parent of
    every folder seen on the way goes into ``folder_parents``: the ancestry for inherited
    policies then costs no further calls."""
    if parent is None:
        return _active_projects(c, "state:ACTIVE")
    projects: list[dict] = []
    pending = [parent]
    while pending:
        container = pending.pop()
        projects.extend(_active_projects(c, f"parent:{container} state:ACTIVE"))
        folders = c.pages("cloudresourcemanager:ListFolders", c.folders.list_folders, {"parent": container}, "folders")
        for folder in (_plain(x) for x in folders):
            if folder_parents is not None and folder.get("parent"):
                folder_parents[folder["name"]] = folder["parent"]
            if folder.get("state", "ACTIVE") == "ACTIVE":
                pending.append(folder["name"])
    return projects


def get_parent(c: GcpClients, resource: str) -> str | None:
    """The parent of ``projects/ID`` or ``folders/N`` ("folders/..." / "organizations/..."), or
    None for a project outside any organization. Only asked for what discovery did not see."""
    if resource.startswith("projects/"):
        found = c.call("cloudresourcemanager:GetProject", c.projects.get_project, request={"name": resource})
    else:
        found = c.call("cloudresourcemanager:GetFolder", c.folders.get_folder, request={"name": resource})
    return found.parent or None


def get_ancestor_policy(c: GcpClients, resource: str) -> dict:
    """The IAM policy of a folder or the organization, at version 3 (conditions included)."""
    if resource.startswith("organizations/"):
        label, client = "cloudresourcemanager:organizations.GetIamPolicy", c.organizations
    else:
        label, client = "cloudresourcemanager:folders.GetIamPolicy", c.folders
    policy = c.call(label, client.get_iam_policy,
                    request={"resource": resource, "options": {"requested_policy_version": 3}})
    return _plain(policy)
