"""Property test (issue 12): no payload a vendor could send crashes a connector's transform.

Each connector's real transform is fed its recorded fixture payloads with ONE field of ONE
item changed: removed, null, a value of the wrong type, or an odd timestamp. Whatever the
change, the transform must return (never raise), and if any record the unmutated payload
produced is missing, the result must carry a gap that says why (the scope is then ``partial``
with a reason; the scan and the other scopes go on: see the per-connector fidelity tests that
run the same over the wire). AWS payloads are checked against botocore's IAM model before
they are mutated; MCP's are config files the real connector reads from a folder.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nhi_cli.kit.times import load_relative_estate
from nhi_cli.model import Batch

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
MISSING = object()
# A value of the field's own type is a well-formed payload (another name, an empty list), not a
# malformed one: such draws are skipped, except odd values of a time field.
TIME_FIELD = re.compile(r"(_at$|At$|Time$|_time$|DateTime$|_date$|^created|Timestamp$)")
ODD_VALUES = [
    MISSING,
    None,
    12345,
    -1,
    1.5,
    True,
    "",
    "x",
    [],
    {},
    ["x"],
    {"x": 1},
    "2026-11-20T08:00:00-8:00",
    "not-a-time",
    "9999-99-99T99:99:99Z",
    10**20,
]


def data(path: Path) -> Any:
    body = json.loads(path.read_text())
    return body["data"] if isinstance(body, dict) and "data" in body else body


def snake(obj: Any) -> Any:
    """proto JSON (camelCase) -> the snake_case dicts the GCP get layer hands to transforms."""
    if isinstance(obj, dict):
        return {re.sub(r"(?<!^)([A-Z])", r"_\1", k).lower(): snake(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [snake(v) for v in obj]
    return obj


@dataclass
class Case:
    name: str
    payloads: dict[str, list]  # name -> list of items the vendor sends
    run: Callable[[dict[str, list]], Batch]
    # Records found IN a field's text (MCP's embedded secrets) go when the field goes, and a
    # server's name may be a field of its entry (Continue's list): then only the number of
    # identities, one per entry, must hold or leave a gap.
    identities_only: bool = False
    examples: int = 300  # field mutations tried (MCP's run a real connector over files: fewer)


def openai_case() -> Case:
    from nhi_connectors.openai import transform as t

    project = {"id": "proj_A", "name": "A"}

    def run(p):
        batch = t.transform_service_accounts("org", project, p["service_accounts"])
        batch.extend(t.transform_project_keys("org", project, p["api_keys"], NOW))
        batch.extend(t.transform_admin_keys("org", p["admin_keys"], "sk-admin-x", NOW))
        return batch

    root = FIXTURES / "openai"
    return Case(
        "openai",
        {
            "service_accounts": data(root / "projects/proj_A/service_accounts.json"),
            "api_keys": data(root / "projects/proj_A/api_keys.json"),
            "admin_keys": data(root / "admin_api_keys.json"),
        },
        run,
    )


def anthropic_case() -> Case:
    from nhi_connectors.anthropic import transform as t

    root = FIXTURES / "anthropic"
    workspaces = {w["id"]: w for w in data(root / "workspaces.json")}
    users = {u["id"]: u for u in data(root / "users.json")}
    return Case(
        "anthropic",
        {"api_keys": data(root / "api_keys.json")},
        lambda p: t.transform_api_keys("org", p["api_keys"], workspaces, users, {"wrkspc_00Default"}),
    )


def azure_case() -> Case:
    from nhi_connectors.azure.rbac import transform_role_assignments
    from nhi_connectors.azure.transform import transform_tenant

    estate = load_relative_estate(FIXTURES / "azure" / "tenant.json", NOW)
    for obj in estate["servicePrincipals"] + estate["applications"]:
        obj["owners"] = []  # the fake expands owner ids into objects; transforms see the objects
    assignments: dict[str, list] = {}
    for a in estate["appRoleAssignments"]:
        assignments.setdefault(a["principalId"], []).append(a)
    arm = [
        {**a, "id": f"/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/{a['name']}"}
        for items in estate["roleAssignments"].values()
        for a in items
    ]

    def run(p):
        by_sp: dict[str, list] = {}
        for a in p["appRoleAssignments"]:
            # the get layer keys them by the SP they were expanded on, a string
            key = a.get("principalId") if isinstance(a, dict) and isinstance(a.get("principalId"), str) else "?"
            by_sp.setdefault(key, []).append(a)
        batch = transform_tenant(
            tenant_id=estate["tenant"]["id"],
            scope="tenant",
            now=NOW,
            sps=p["servicePrincipals"],
            apps=p["applications"],
            role_assignments=by_sp,
            delegated=p["oauth2PermissionGrants"],
            directory_roles=p["directoryRoles"],
            users=p["users"],
            sign_ins=p["signInActivities"],
            credential_sign_ins=p["credentialSignInActivities"],
            agent_identities=[],
            inherited={
                "5e7a1000-0000-4000-8000-000000000005": estate["inheritedPermissions"][
                    "5e7a1000-0000-4000-8000-000000000005"
                ]
            },
        )
        batch.extend(transform_role_assignments(p["roleAssignments"], {}, "subscription"))
        return batch

    roles = [{**r, "members": [{"id": m} for m in r["members"]]} for r in estate["directoryRoles"]]
    return Case(
        "azure",
        {
            "servicePrincipals": estate["servicePrincipals"],
            "applications": estate["applications"],
            "appRoleAssignments": estate["appRoleAssignments"],
            "oauth2PermissionGrants": estate["oauth2PermissionGrants"],
            "directoryRoles": roles,
            "users": estate["users"],
            "signInActivities": estate["signInActivities"],
            "credentialSignInActivities": estate["credentialSignInActivities"],
            "roleAssignments": arm,
        },
        run,
    )


def gcp_case() -> Case:
    from nhi_cli.kit.connector import CollectContext
    from nhi_connectors.gcp import GcpConnector
    from nhi_connectors.gcp.settings import GcpSettings
    from nhi_connectors.gcp.transform import last_authentications

    estate = load_relative_estate(FIXTURES / "gcp" / "estate.json", NOW)
    project = "nw-ml-prod"
    accounts = snake(estate["serviceAccounts"][project])
    keys = {sa["email"]: snake(estate["keys"].get(sa["email"], [])) for sa in accounts}
    policy = snake(estate["projectPolicies"][project])

    def run(p):
        problems = Batch()
        sa_auth = last_authentications(p["activities"], "sa", problems)
        ctx = CollectContext(now=NOW, settings=GcpSettings())
        per_sa = [
            {
                "keys": keys.get(
                    sa.get("email") if isinstance(sa, dict) and isinstance(sa.get("email"), str) else "", []
                ),
                "policy": None,
                "policy_error": None,
            }
            for sa in p["accounts"]
        ]
        batch = GcpConnector()._batch(ctx, project, p["accounts"], per_sa, policy, sa_auth, {})
        batch.extend(problems)
        return batch

    return Case(
        "gcp",
        {"accounts": accounts, "activities": estate["activities"][project]["serviceAccountLastAuthentication"]},
        run,
    )


def github_case() -> Case:
    from nhi_connectors.github import transform as t

    root = FIXTURES / "github" / "acme-alpha"

    def run(p):
        owners: dict = {}
        batch = t.transform_installations("acme-alpha", p["installations"])
        batch.extend(t.transform_fine_grained_pats("acme-alpha", p["pats"], owners))
        batch.extend(t.transform_credential_authorizations("acme-alpha", p["authorizations"], owners))
        batch.extend(t.transform_deploy_keys("acme-alpha", "infra", p["deploy_keys"]))
        return batch

    return Case(
        "github",
        {
            "installations": data(root / "installations.json")["installations"],
            "pats": data(root / "personal-access-tokens.json"),
            "authorizations": data(root / "credential-authorizations.json"),
            "deploy_keys": data(root / "deploy-keys.json")["infra"],
        },
        run,
    )


def aws_case() -> Case:
    """GAAD, the credential report (rows of its CSV) and ListAccessKeys of the recorded
    account, as boto3 hands them over (checked against botocore's model first)."""
    import csv
    import io

    from nhi_cli.kit.botocore_model import check_response
    from nhi_connectors.aws import credential_report, gaad, policies, transform

    recorded = json.loads((FIXTURES / "aws" / "account.json").read_text())
    details = check_response(
        "iam", "GetAccountAuthorizationDetails", recorded["GetAccountAuthorizationDetails"], "GAAD"
    )
    text = recorded["GetCredentialReport"]["Content"]
    columns = next(csv.reader(io.StringIO(text)))
    aws_documents = {arn: known["document"] for arn, known in policies.well_known_aws_policies().items()}
    # what get_access_keys hands over: each user's keys (AccessKeyId, Status, CreateDate),
    # asked by user name; owners[i] is the user keys[i] was listed for
    listed = [
        (user, {k: v for k, v in key.items() if k != "UserName"})
        for user, answer in recorded["ListAccessKeys"].items()
        for key in check_response("iam", "ListAccessKeys", answer, user)["AccessKeyMetadata"]
    ]
    owners, keys = [user for user, _ in listed], [key for _, key in listed]

    def run(p):
        out = io.StringIO()
        writer = csv.DictWriter(out, columns, lineterminator="\n")
        writer.writeheader()
        for row in p["report"]:  # a row of the wrong shape is a line of the wrong shape
            writer.writerow(row) if isinstance(row, dict) else out.write(f"{row}\n")
        problems = Batch()
        report = credential_report.parse_credential_report(out.getvalue(), problems)
        merged = {"UserDetailList": p["users"], "RoleDetailList": p["roles"]}
        merged |= {"GroupDetailList": p["groups"], "Policies": p["policies"]}
        by_user: dict[str, list] = {}
        for user, key in zip(owners, p["access_keys"], strict=True):
            by_user.setdefault(user, []).append(key)
        batch = Batch()
        for listed in (None, by_user):  # default (ids from sightings) and access_key_ids: true
            batch.extend(
                transform.transform_account(
                    "123456789012",
                    merged,
                    report,
                    aws_documents=aws_documents,
                    keys_by_user=listed,
                )
            )
        gaad.unlisted_groups(merged), gaad.unlisted_policies(merged)  # what collect asks of GAAD
        batch.extend(problems)
        return batch

    return Case(
        "aws",
        {
            "users": details["UserDetailList"],
            "roles": details["RoleDetailList"],
            "groups": details["GroupDetailList"],
            "policies": details["Policies"],
            "report": list(csv.DictReader(io.StringIO(text))),
            "access_keys": keys,
        },
        run,
    )


def mcp_case() -> Case:
    """The per-user configs of fixtures/mcp/home and fixtures/mcp/clients/home in every
    client's syntax and layout (JSON/JSONC mcpServers and servers, Zed's context_servers,
    Goose's extensions and Continue's list in YAML, Codex's TOML mcp_servers, JetBrains AI
    Assistant's XML entries; mcp_files.py reads and writes them): each server's entry is an
    item. The real connector reads them from a home folder written anew for every run, so a
    mutation goes through the parser, the detector and the transform."""
    import shutil
    import tempfile

    from nhi_cli.kit.connector import CollectContext
    from nhi_connectors.mcp import McpConnector
    from nhi_connectors.mcp.settings import McpSettings
    from tests.fidelity.mcp_files import load

    roots = [FIXTURES / "mcp" / "home", FIXTURES / "mcp" / "clients" / "home"]
    files, payloads = {}, {}
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            loaded = load(path)
            if loaded is not None:
                relative = path.relative_to(root).as_posix()
                files[relative], payloads[relative] = loaded, loaded.items

    def run(p):
        with tempfile.TemporaryDirectory() as home:
            for root in roots:
                shutil.copytree(root, home, dirs_exist_ok=True)
            for relative, loaded in files.items():
                (Path(home) / relative).write_text(loaded.dump(p[relative]))
            ctx = CollectContext(now=NOW, settings=McpSettings(home=Path(home)), secret_salt="mutations")
            connector = McpConnector()
            batch = Batch()
            for scope in connector.scopes(ctx):
                batch.extend(connector.collect(ctx, scope))
            batch.gaps.extend(ctx.gaps)
            return batch

    return Case("mcp", payloads, run, identities_only=True, examples=100)


CASES = {
    c.name: c
    for c in (openai_case(), anthropic_case(), azure_case(), gcp_case(), github_case(), aws_case(), mcp_case())
}


def paths(obj: Any, prefix: tuple = (), depth: int = 3) -> list[tuple]:
    """Every field of an item, nested objects included (a few levels deep)."""
    out = []
    if isinstance(obj, dict) and depth:
        for key, value in obj.items():
            out.append(prefix + (key,))
            out.extend(paths(value, prefix + (key,), depth - 1))
    return out


def mutate(item: Any, path: tuple, value: Any) -> Any:
    item = copy.deepcopy(item)
    parent = item
    for key in path[:-1]:
        parent = parent[key]
    if value is MISSING:
        del parent[path[-1]]
    else:
        parent[path[-1]] = copy.deepcopy(value)
    return item


def ids(batch: Batch) -> set[str]:
    return {i.id for i in batch.identities} | {c.id for c in batch.credentials}


BASELINES: dict[str, Batch] = {}  # each case's unmutated result: the same for every example


def check(case: Case, payloads: dict[str, list], what: str) -> None:
    if case.name not in BASELINES:
        BASELINES[case.name] = case.run(copy.deepcopy(case.payloads))
    before = BASELINES[case.name]
    try:
        result = case.run(payloads)
    except Exception as exc:  # noqa: BLE001 - the property under test
        pytest.fail(f"{case.name}: {what} crashed the transform: {type(exc).__name__}: {exc}")
    if case.identities_only:
        missing = len(before.identities) - len(result.identities)
        lost = {f"{missing} identities"} if missing > 0 else set()
    else:
        lost = ids(before) - ids(result)
    if lost:
        assert result.gaps, f"{case.name}: {what} silently dropped {sorted(lost)[:3]}"
    for gap in result.gaps:
        assert gap["what"] and gap["code"] and gap["message"], gap


@pytest.mark.parametrize("name", sorted(CASES))
def test_unmutated_fixtures_transform_without_gaps(name):
    result = CASES[name].run(copy.deepcopy(CASES[name].payloads))
    assert ids(result) and not result.gaps


@pytest.mark.parametrize("name", sorted(CASES))
def test_one_mutated_field_never_crashes_and_never_drops_silently(name):
    case = CASES[name]

    @settings(
        max_examples=case.examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(choice=st.data())
    def one_field(choice):
        lists = {k: v for k, v in case.payloads.items() if v}
        listing = choice.draw(st.sampled_from(sorted(lists)), label="list")
        index = choice.draw(st.integers(0, len(lists[listing]) - 1), label="item")
        item = lists[listing][index]
        field = choice.draw(st.sampled_from(paths(item)), label="field")
        value = choice.draw(st.sampled_from(ODD_VALUES), label="value")
        original = item
        for key in field:
            original = original[key]
        if type(value) is type(original):  # a well-formed value; only an odd time is still "odd"
            assume(TIME_FIELD.search(str(field[-1])) is not None and value not in ("", [], {}))
        payloads = copy.deepcopy(case.payloads)
        payloads[listing][index] = mutate(item, field, value)
        check(
            case,
            payloads,
            f"{listing}[{index}].{'.'.join(map(str, field))} = {'<missing>' if value is MISSING else value!r}",
        )

    one_field()


@pytest.mark.parametrize("name", sorted(CASES))
@given(choice=st.data())
@settings(max_examples=40, deadline=None, derandomize=True)
def test_a_whole_item_of_the_wrong_shape_is_a_gap(name, choice):
    case = CASES[name]
    lists = {k: v for k, v in case.payloads.items() if v}
    listing = choice.draw(st.sampled_from(sorted(lists)), label="list")
    index = choice.draw(st.integers(0, len(lists[listing]) - 1), label="item")
    value = choice.draw(st.sampled_from([None, "x", 12, [], {}]), label="value")
    payloads = copy.deepcopy(case.payloads)
    payloads[listing][index] = value
    check(case, payloads, f"{listing}[{index}] = {value!r}")
