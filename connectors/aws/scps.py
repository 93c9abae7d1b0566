"""Service control policies of the AWS Organization (``--aws-org`` / ``org: true``), read once
per scan from the account that lists the Organization, and the SCP levels above each member
account as policy documents for the IAM evaluator (nhi_cli/iam), which caps what identity policies
allow: at every level (root, each OU down to the account, the account itself) some SCP must
allow the action and none may deny it.

Call pattern, chosen because it does not grow with the number of accounts (apart from pages):

- ``ListRoots`` (1 call);
- ``ListPolicies`` with ``Filter=SERVICE_CONTROL_POLICY`` (1 call per 20 policies);
- per SCP, ``DescribePolicy`` (its document) and ``ListTargetsForPolicy`` (the roots, OUs and
  accounts it is attached to): 2 calls per policy, plus pages;
- the tree, for each account's chain of parents: ``ListOrganizationalUnitsForParent`` and
  ``ListAccountsForParent`` per root and OU (2 calls per node, plus pages of 20 accounts).

So 2 + 2 x policies + 2 x (OUs + 1) calls for an Organization of any size (plus pages), where
``ListPoliciesForTarget`` and ``ListParents`` per account would cost calls per account.

SCPs do not restrict the management account or service-linked roles; the evaluator leaves
those uncapped. A level whose policies could not all be read is left out (not capped) and the
scope records a gap, so a read failure can only over-report, never hide, a finding.

Storage: each SCP is a policy document of the member account's scope (connectors/aws/documents.py),
attached with ``source_type = 'scp'``, ``source`` the policy ARN and ``identity_id =
'scp:<level>:<target>'`` (level 0 is the root). No identity has that id, so ``v_grants`` and the
rules never see them.
"""

from __future__ import annotations

from typing import Any

from nhi_cli.model import PolicyAttachment, PolicyGrant

from .clients import BotoClient
from .documents import Documents

SCP = "SERVICE_CONTROL_POLICY"


def get_organization_scps(org: BotoClient) -> dict[str, Any]:
    """Everything the levels need, in the call pattern above (raises botocore errors)."""
    roots = [r["Id"] for page in org.get_paginator("list_roots").paginate() for r in page["Roots"]]
    policies: dict[str, dict[str, Any]] = {}
    for page in org.get_paginator("list_policies").paginate(Filter=SCP):
        for p in page["Policies"]:
            policies[p["Id"]] = {"arn": p["Arn"], "name": p.get("Name", ""), "document": None, "error": None}
    attached: dict[str, list[str]] = {}  # target id -> policy ids
    for policy_id, policy in policies.items():
        described = org.describe_policy(PolicyId=policy_id)["Policy"]
        policy["document"] = described.get("Content")
        for page in org.get_paginator("list_targets_for_policy").paginate(PolicyId=policy_id):
            for target in page["Targets"]:
                attached.setdefault(target["TargetId"], []).append(policy_id)
    parents: dict[str, str] = {}  # OU or account id -> parent id
    pending = list(roots)
    while pending:
        node = pending.pop()
        for page in org.get_paginator("list_organizational_units_for_parent").paginate(ParentId=node):
            for ou in page["OrganizationalUnits"]:
                parents[ou["Id"]] = node
                pending.append(ou["Id"])
        for page in org.get_paginator("list_accounts_for_parent").paginate(ParentId=node):
            for account in page["Accounts"]:
                parents[account["Id"]] = node
    return {"roots": roots, "policies": policies, "attached": attached, "parents": parents}


def account_levels(data: dict[str, Any], account: str) -> tuple[list[tuple[str, list[dict[str, Any]]]], list[str]]:
    """The SCP levels above ``account``, root first: [(target id, [policy, ...]), ...], and
    the targets left out because a policy of theirs has no readable document (pure)."""
    chain = [account]
    seen = {account}
    while chain[-1] in data["parents"]:
        parent = data["parents"][chain[-1]]
        if parent in seen:  # a cycle cannot happen in AWS; do not loop if a payload says so
            break
        seen.add(parent)
        chain.append(parent)
    levels, unreadable = [], []
    for target in reversed(chain):
        ids = data["attached"].get(target, [])
        if not ids:
            continue
        found = [data["policies"].get(i) for i in ids]
        if any(p is None or not p.get("document") for p in found):
            unreadable.append(target)
            continue
        levels.append((target, [p for p in found if p is not None]))
    return levels, unreadable


def scp_documents(
    levels: list[tuple[str, list[dict[str, Any]]]], account: str
) -> tuple[list[PolicyGrant], list[PolicyAttachment], list[str]]:
    """The member account's SCP levels as policy documents attached to ``scp:<level>:<target>``
    (an SCP attached at several levels is stored once), and the targets whose documents could
    not be parsed (left out, as unreadable ones are) (pure)."""
    docs = Documents(account)
    attachments: list[PolicyAttachment] = []
    unparsed: list[str] = []
    for index, (target, found) in enumerate(levels):
        try:
            level = [
                docs.attach(
                    policy["document"], identity_id=f"scp:{index}:{target}", source=policy["arn"], source_type="scp"
                )
                for policy in found
            ]
        except (ValueError, TypeError, KeyError, AttributeError):
            unparsed.append(target)
            continue
        attachments += level
    return docs.rows(attachments), attachments, unparsed
