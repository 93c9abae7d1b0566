"""Every fixture payload and every answer of the REST fakes conforms to the vendor's published
model, and a deliberately wrong payload does not (issue 12). See vendor_models.py for sources."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.fidelity.vendor_models import NonConforming, conforms, proto_conforms

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def listed(path: Path) -> list[dict]:
    return json.loads(path.read_text())["data"]


# --- OpenAI ---------------------------------------------------------------------------------
def openai_models():
    from openai.types.admin.organization.admin_api_key import AdminAPIKey
    from openai.types.admin.organization.organization_user import OrganizationUser
    from openai.types.admin.organization.project import Project
    from openai.types.admin.organization.projects.project_api_key import ProjectAPIKey
    from openai.types.admin.organization.projects.project_service_account import ProjectServiceAccount

    return {
        "projects": Project,
        "api_keys": ProjectAPIKey,
        "service_accounts": ProjectServiceAccount,
        "admin_api_keys": AdminAPIKey,
        "users": OrganizationUser,
    }


def openai_files(root: Path):
    yield "projects", root / "projects.json"
    yield "admin_api_keys", root / "admin_api_keys.json"
    yield "users", root / "users.json"
    for folder in sorted((root / "projects").iterdir()):
        for name in ("api_keys", "service_accounts"):
            if (folder / f"{name}.json").is_file():
                yield name, folder / f"{name}.json"


@pytest.mark.parametrize("root", ["openai", "demo/openai"])
def test_openai_fixtures_conform(root):
    models = openai_models()
    for kind, path in openai_files(FIXTURES / root):
        for item in listed(path):
            conforms(models[kind], item, f"{path.relative_to(FIXTURES)} {item.get('id')}")


def test_openai_fake_answers_conform():
    from nhi_connectors.openai.fake import OpenAIFake

    models, key = openai_models(), "sk-admin-VALIDATE"
    with OpenAIFake.from_dir(FIXTURES / "openai", admin_keys={key}) as fake:

        def get(path, **params):
            return httpx.get(
                fake.url + "/v1/organization" + path, params=params, headers={"Authorization": f"Bearer {key}"}
            ).json()

        answers = [
            ("projects", get("/projects", include_archived="true")),
            ("admin_api_keys", get("/admin_api_keys")),
            ("users", get("/users")),
        ]
        for project in answers[0][1]["data"]:
            answers.append(("api_keys", get(f"/projects/{project['id']}/api_keys", owner_project_access="any")))
            answers.append(("service_accounts", get(f"/projects/{project['id']}/service_accounts")))
    for kind, body in answers:
        assert body["object"] == "list" and isinstance(body["has_more"], bool)
        for item in body["data"]:
            conforms(models[kind], item, f"fake {kind} {item['id']}")


def test_openai_wrong_payloads_fail():
    models = openai_models()
    key = listed(FIXTURES / "openai/projects/proj_A/api_keys.json")[0]
    renamed = {("redacted" if k == "redacted_value" else k): v for k, v in key.items()}
    flattened = {**key, "owner": key["owner"]["user"]}  # the user where the owner object belongs
    for bad in (renamed, flattened):
        with pytest.raises(NonConforming):
            conforms(models["api_keys"], bad, "deliberately wrong")


# --- Anthropic ------------------------------------------------------------------------------
def anthropic_models():
    from anthropic.types.organization.api_key import APIKey
    from anthropic.types.organization.organization_user import OrganizationUser
    from anthropic.types.organization.workspace import Workspace

    return {"api_keys": APIKey, "workspaces": Workspace, "users": OrganizationUser}


def anthropic_key(model, item: dict, where: str) -> None:
    """Keys recorded before ``scope`` existed carry the deprecated top-level ``workspace_id``
    instead; the connector reads both. Those are checked against the current model with only
    ``scope`` exempted (every other field still has to conform)."""
    if "scope" not in item and "workspace_id" in item:
        item = {k: v for k, v in item.items() if k != "workspace_id"}
        item["scope"] = {"type": "organization"}
    conforms(model, item, where)


@pytest.mark.parametrize("root", ["anthropic", "demo/anthropic"])
def test_anthropic_fixtures_conform(root):
    models = anthropic_models()
    folder = FIXTURES / root
    for kind in ("api_keys", "workspaces", "users"):
        for item in listed(folder / f"{kind}.json"):
            check = anthropic_key if kind == "api_keys" else conforms
            check(models[kind], item, f"{root}/{kind} {item.get('id')}")
    conforms(models["workspaces"], json.loads((folder / "default_workspace.json").read_text()), f"{root} default")


def test_anthropic_fake_answers_conform():
    from nhi_connectors.anthropic.fake import AnthropicFake

    models, key = anthropic_models(), "sk-ant-admin01-VALIDATE"
    with AnthropicFake.from_dir(FIXTURES / "anthropic", admin_keys={key}) as fake:
        headers = {"x-api-key": key, "anthropic-version": "2023-06-01"}

        def get(path, **params):
            return httpx.get(fake.url + "/v1/organizations" + path, params=params, headers=headers).json()

        answers = [
            ("api_keys", get("/api_keys")),
            ("users", get("/users")),
            ("workspaces", get("/workspaces", include_archived="true", include_default="true")),
        ]
    for kind, body in answers:
        assert set(body) >= {"data", "has_more", "first_id", "last_id"}
        for item in body["data"]:
            (anthropic_key if kind == "api_keys" else conforms)(models[kind], item, f"fake {kind} {item['id']}")


def test_anthropic_wrong_payloads_fail():
    models = anthropic_models()
    key = next(k for k in listed(FIXTURES / "anthropic/api_keys.json") if "scope" in k)
    unnested = {**{k: v for k, v in key.items() if k != "scope"}, "scope": key["scope"]["workspace_id"]}
    renamed = {("key_hint" if k == "partial_key_hint" else k): v for k, v in key.items()}
    untyped = {**key, "scope": {"workspace_id": "wrkspc_x"}}  # no discriminating type
    for bad in (unnested, renamed, untyped):
        with pytest.raises(NonConforming):
            conforms(models["api_keys"], bad, "deliberately wrong")


# --- Google ---------------------------------------------------------------------------------
def google_messages():
    from google.cloud.iam_admin_v1 import types as iam
    from google.cloud.resourcemanager_v3 import types as rm
    from google.iam.v1 import policy_pb2

    return iam.ServiceAccount, iam.ServiceAccountKey, rm.Project, rm.Folder, policy_pb2.Policy


@pytest.mark.parametrize("estate", ["gcp/estate.json", "demo/gcp/estate.json"])
def test_gcp_fixtures_conform(estate):
    from nhi_cli.kit.times import load_relative_estate
    from nhi_cli.model import utcnow

    account, key, project, folder, policy = google_messages()
    data = load_relative_estate(FIXTURES / estate, utcnow())
    for items in data.get("serviceAccounts", {}).values():
        for item in items:
            proto_conforms(account, item, f"{estate} serviceAccount {item.get('email')}")
    for items in data.get("keys", {}).values():
        for item in items:
            proto_conforms(key, item, f"{estate} key {item.get('name')}")
    for item in data.get("projects", []):
        proto_conforms(project, item, f"{estate} project {item.get('projectId')}")
    for item in data.get("folders", []):
        proto_conforms(folder, item, f"{estate} folder {item.get('name')}")
    for name, item in {**data.get("projectPolicies", {}), **data.get("ancestorPolicies", {})}.items():
        proto_conforms(policy, item, f"{estate} policy {name}")


def test_gcp_wrong_payloads_fail():
    account, _, project, _, policy = google_messages()
    with pytest.raises(NonConforming):
        proto_conforms(
            project, {"name": "projects/1", "projectId": "p", "parentName": "organizations/1"}, "renamed field"
        )
    with pytest.raises(NonConforming):
        proto_conforms(policy, {"bindings": {"role": "roles/owner", "members": ["user:a@b.c"]}}, "object, not list")
    with pytest.raises(NonConforming):
        proto_conforms(account, {"email": "a@b.iam.gserviceaccount.com", "disabled": "no"}, "wrong type")


# --- GitHub ---------------------------------------------------------------------------------
def github_models():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        # SAML SSO credential authorizations are a GitHub Enterprise Cloud call: its description only
        from githubkit_schemas.ghec_v2026_03_10.models import CredentialAuthorization
        from githubkit_schemas.v2026_03_10 import models

    return {
        "installations": models.Installation,
        "pats": models.OrganizationProgrammaticAccessGrant,
        "deploy_keys": models.DeployKey,
        "authorizations": CredentialAuthorization,
    }


@pytest.mark.parametrize("org", ["github/acme-alpha", "github/acme-beta", "demo/github/northwind-robotics"])
def test_github_fixtures_conform(org):
    models, folder = github_models(), FIXTURES / org
    for item in json.loads((folder / "installations.json").read_text())["installations"]:
        conforms(models["installations"], item, f"{org} installation {item.get('id')}")
    for item in json.loads((folder / "personal-access-tokens.json").read_text()):
        conforms(models["pats"], item, f"{org} token {item.get('id')}")
    for repo, keys in json.loads((folder / "deploy-keys.json").read_text()).items():
        for item in keys:
            conforms(models["deploy_keys"], item, f"{org}/{repo} deploy key {item.get('id')}")
    sso = folder / "credential-authorizations.json"
    for item in json.loads(sso.read_text()) if sso.is_file() else []:
        conforms(models["authorizations"], item, f"{org} credential authorization {item.get('credential_id')}")


def test_github_fake_answers_conform():
    """What the fake serves for every list nhi reads, credential authorizations included."""
    from nhi_connectors.github.fake import GithubFake

    models, token = github_models(), "ghp_VALIDATEFAKE000000000000000000000000"
    with GithubFake.from_dir(FIXTURES / "github", tokens={token}) as fake:
        headers = {"Authorization": f"Bearer {token}", "X-GitHub-Api-Version": "2022-11-28"}

        def get(path, absent=None):
            answer = httpx.get(fake.url + path, params={"per_page": 100}, headers=headers)
            if answer.status_code == 404 and absent is not None:  # an org without SAML SSO
                return absent
            assert answer.status_code == 200, answer.text
            return answer.json()

        answers = []
        for org in ("acme-alpha", "acme-beta"):
            answers += [("installations", i) for i in get(f"/orgs/{org}/installations")["installations"]]
            answers += [("authorizations", a) for a in get(f"/orgs/{org}/credential-authorizations", [])]
            answers += [
                ("deploy_keys", k) for r in get(f"/orgs/{org}/repos") for k in get(f"/repos/{org}/{r['name']}/keys")
            ]
    assert {kind for kind, _ in answers} == {"installations", "authorizations", "deploy_keys"}
    for kind, item in answers:
        conforms(models[kind], item, f"fake {kind} {item.get('id') or item.get('credential_id')}")


def test_github_wrong_payloads_fail():
    models = github_models()
    pat = json.loads((FIXTURES / "github/acme-alpha/personal-access-tokens.json").read_text())[0]
    renamed = {("expired" if k == "token_expired" else k): v for k, v in pat.items()}
    unnested = {**pat, "permissions": {"contents": "write"}}  # not grouped by organization/repository/other
    owner_login = {**pat, "owner": pat["owner"]["login"]}
    for bad in (renamed, owner_login):
        with pytest.raises(NonConforming):
            conforms(models["pats"], bad, "deliberately wrong")
    conforms(models["pats"], unnested, "permissions groups are all optional")  # documented as optional
    sso = json.loads((FIXTURES / "github/acme-alpha/credential-authorizations.json").read_text())[0]
    for bad in (
        {**sso, "credential_type": "personal_access_token"},  # not one of the documented types
        {k: v for k, v in sso.items() if k != "credential_authorized_at"},  # required
        {("last_eight" if k == "token_last_eight" else k): v for k, v in sso.items()},
    ):
        with pytest.raises(NonConforming):
            conforms(models["authorizations"], bad, "deliberately wrong")


# --- Microsoft Graph ------------------------------------------------------------------------
GRAPH_SCHEMA = Path(__file__).with_name("graph_v1_schema.json")  # derived from Graph's CSDL; source inside
# derived from the Graph beta models Microsoft generates from its beta metadata; source inside
GRAPH_BETA_SCHEMA = Path(__file__).with_name("graph_beta_schema.json")


def graph_validator(type_name: str, schema_file: Path = GRAPH_SCHEMA):
    import jsonschema

    schema = json.loads(schema_file.read_text())
    return jsonschema.Draft202012Validator({**schema, "$ref": f"#/$defs/{type_name}"})


def graph_conforms(type_name: str, item: dict, where: str, schema_file: Path = GRAPH_SCHEMA) -> None:
    errors = sorted(graph_validator(type_name, schema_file).iter_errors(item), key=str)
    if errors:
        raise NonConforming(f"{where}: {type_name}: {errors[0].message} at {list(errors[0].absolute_path)}")


@pytest.mark.parametrize("estate", ["azure/tenant.json", "demo/azure/estate.json"])
def test_graph_fake_answers_conform(estate):
    """What the fake serves for every v1.0 call nhi makes (beta reports and Agent ID objects
    are not in the v1.0 CSDL and are not checked here)."""
    from nhi_cli.kit.times import load_relative_estate
    from nhi_cli.model import utcnow
    from nhi_connectors.azure.fake import AzureFake
    from nhi_connectors.azure.graph import APP_SELECT, OWNER_SELECT, SP_SELECT

    with AzureFake(load_relative_estate(FIXTURES / estate, utcnow())) as fake:

        def get(path, **params):
            body = httpx.get(fake.url + path, params=params, headers={"Authorization": f"Bearer {fake.token}"}).json()
            assert "value" in body, body
            return body["value"]

        checks = [
            ("servicePrincipal", get("/v1.0/servicePrincipals", **{"$select": SP_SELECT, "$expand": OWNER_SELECT})),
            ("servicePrincipal", get("/v1.0/servicePrincipals", **{"$select": "id", "$expand": "appRoleAssignments"})),
            ("application", get("/v1.0/applications", **{"$select": APP_SELECT, "$expand": OWNER_SELECT})),
            ("oAuth2PermissionGrant", get("/v1.0/oauth2PermissionGrants")),
            (
                "directoryRole",
                get(
                    "/v1.0/directoryRoles",
                    **{"$select": "id,displayName,roleTemplateId", "$expand": "members($select=id)"},
                ),
            ),
            ("user", get("/v1.0/users")),
        ]
    for type_name, items in checks:
        for item in items:
            graph_conforms(type_name, item, f"{estate} {type_name} {item.get('id')}")
            for assignment in item.get("appRoleAssignments") or []:
                graph_conforms("appRoleAssignment", assignment, f"{estate} appRoleAssignment {assignment.get('id')}")


def test_graph_wrong_payloads_fail():
    sp = {"id": "x", "displayName": "x", "passwordCredentials": [], "keyCredentials": []}
    for bad in (
        {**sp, "createdDateTime": "2026-01-01T00:00:00Z"},  # not a v1.0 servicePrincipal property
        {**sp, "passwordCredentials": {"keyId": "k"}},  # an object where a collection belongs
        {**sp, "keyCredentials": [{"keyId": "k", "thumbprint": "AB"}]},
    ):  # renamed customKeyIdentifier
        with pytest.raises(NonConforming):
            graph_conforms("servicePrincipal", bad, "deliberately wrong")
    graph_conforms("servicePrincipal", sp, "well formed")


@pytest.mark.parametrize("estate", ["azure/tenant.json", "demo/azure/estate.json"])
def test_graph_beta_fake_answers_conform(estate):
    """What the fake serves for every beta call nhi makes: the two sign-in activity reports,
    Entra Agent ID agent identities and what each inherits from its blueprint."""
    from nhi_cli.kit.times import load_relative_estate
    from nhi_cli.model import utcnow
    from nhi_connectors.azure.fake import AzureFake

    data = load_relative_estate(FIXTURES / estate, utcnow())
    has_agents = "agentIdentities" in data
    with AzureFake(data) as fake:

        def get(path, **params):
            body = httpx.get(fake.url + path, params=params, headers={"Authorization": f"Bearer {fake.token}"}).json()
            assert "value" in body, body
            return body["value"]

        # a tenant without Entra Agent ID answers 400 there (the demo's); nhi records that gap
        agents = get("/beta/servicePrincipals/microsoft.graph.agentIdentity", **{"$top": 100}) if has_agents else []
        checks = [
            ("servicePrincipalSignInActivity", get("/beta/reports/servicePrincipalSignInActivities", **{"$top": 999})),
            ("appCredentialSignInActivity", get("/beta/reports/appCredentialSignInActivities", **{"$top": 999})),
            ("agentIdentity", agents),
        ]
        for agent in agents:
            base = f"/beta/servicePrincipals/{agent['id']}/microsoft.graph.agentIdentity"
            checks.append(("appRoleAssignment", get(base + "/inheritedAppRoleAssignments")))
            checks.append(("oAuth2PermissionGrant", get(base + "/inheritedOauth2PermissionGrants")))
    assert bool(agents) == has_agents and all(items for _, items in checks[:2])
    for type_name, items in checks:
        for item in items:
            graph_conforms(type_name, item, f"{estate} beta {type_name} {item.get('id')}", GRAPH_BETA_SCHEMA)


def test_graph_beta_wrong_payloads_fail():
    activity = {"id": "x", "appId": "a", "lastSignInActivity": {"lastSignInDateTime": "2026-01-01T00:00:00Z"}}
    credential = {"id": "y", "keyId": "k", "keyType": "clientSecret", "signInActivity": activity["lastSignInActivity"]}
    agent = {"id": "z", "displayName": "agent", "agentIdentityBlueprintId": "b", "passwordCredentials": []}
    for type_name, bad in (
        ("servicePrincipalSignInActivity", {**activity, "lastSignInDateTime": "2026-01-01T00:00:00Z"}),  # unnested
        ("servicePrincipalSignInActivity", {**activity, "lastSignInActivity": "2026-01-01T00:00:00Z"}),
        ("appCredentialSignInActivity", {**credential, "credentialKeyId": "k"}),  # renamed
        ("agentIdentity", {**agent, "blueprintId": "b"}),  # renamed
        ("agentIdentity", {**agent, "passwordCredentials": {"keyId": "k"}}),  # an object where a list belongs
    ):
        with pytest.raises(NonConforming):
            graph_conforms(type_name, bad, "deliberately wrong", GRAPH_BETA_SCHEMA)
    for type_name, good in (
        ("servicePrincipalSignInActivity", activity),
        ("appCredentialSignInActivity", credential),
        ("agentIdentity", agent),
    ):
        graph_conforms(type_name, good, "well formed", GRAPH_BETA_SCHEMA)


# --- Azure Resource Manager -----------------------------------------------------------------
def arm_schemas():
    """azure-mgmt-authorization 4.0.0 (its v2022_04_01 models: nhi's ARM_API_VERSION) and
    azure-mgmt-resource-subscriptions 1.0.0 (api-version 2022-12-01: SUBSCRIPTIONS_API_VERSION),
    both generated from Azure/azure-rest-api-specs."""
    from azure.mgmt.authorization.v2022_04_01 import models as authorization
    from azure.mgmt.resource.subscriptions import models as subscriptions

    from nhi_connectors.azure.clients import ARM_API_VERSION, SUBSCRIPTIONS_API_VERSION
    from tests.fidelity.vendor_models import msrest_schema, typespec_schema

    assert (ARM_API_VERSION, SUBSCRIPTIONS_API_VERSION) == ("2022-04-01", "2022-12-01"), "models of other versions"
    return {
        "subscription": typespec_schema(subscriptions.Subscription, subscriptions),
        "roleDefinition": msrest_schema(authorization.RoleDefinition, authorization),
        "roleAssignment": msrest_schema(authorization.RoleAssignment, authorization),
    }


@pytest.mark.parametrize("estate", ["azure/tenant.json", "demo/azure/estate.json"])
def test_arm_fake_answers_conform(estate):
    from nhi_cli.kit.times import load_relative_estate
    from nhi_cli.model import utcnow
    from nhi_connectors.azure.clients import ARM_API_VERSION, SUBSCRIPTIONS_API_VERSION
    from nhi_connectors.azure.fake import AzureFake
    from tests.fidelity.vendor_models import schema_conforms

    schemas = arm_schemas()
    with AzureFake(load_relative_estate(FIXTURES / estate, utcnow())) as fake:

        def get(path, version):
            answer = httpx.get(
                fake.url + path, params={"api-version": version}, headers={"Authorization": f"Bearer {fake.token}"}
            )
            assert answer.status_code == 200, answer.text
            return answer.json()["value"]

        subscriptions = get("/subscriptions", SUBSCRIPTIONS_API_VERSION)
        checks = [("subscription", s) for s in subscriptions]
        for sub in subscriptions:
            base = f"/subscriptions/{sub['subscriptionId']}/providers/Microsoft.Authorization"
            checks += [("roleDefinition", d) for d in get(base + "/roleDefinitions", ARM_API_VERSION)]
            checks += [("roleAssignment", a) for a in get(base + "/roleAssignments", ARM_API_VERSION)]
    assert {kind for kind, _ in checks} == set(schemas)
    for kind, item in checks:
        schema_conforms(schemas[kind], item, f"{estate} {kind} {item.get('id')}")


def test_arm_wrong_payloads_fail():
    from tests.fidelity.vendor_models import schema_conforms

    schemas = arm_schemas()
    assignment = {
        "id": "/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/a",
        "name": "a",
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {"roleDefinitionId": "/r", "principalId": "p", "principalType": "ServicePrincipal", "scope": "/"},
    }
    schema_conforms(schemas["roleAssignment"], assignment, "well formed")
    for bad in (
        {**assignment, "roleDefinitionId": "/r"},  # outside the properties envelope
        {**assignment, "properties": {**assignment["properties"], "principalObjectId": "p"}},  # renamed
        {**assignment, "properties": {**assignment["properties"], "createdOn": 1700000000}},  # not a date string
    ):
        with pytest.raises(NonConforming):
            schema_conforms(schemas["roleAssignment"], bad, "deliberately wrong")
    definition = {"name": "d", "properties": {"roleName": "Owner", "permissions": [{"actions": ["*"]}]}}
    schema_conforms(schemas["roleDefinition"], definition, "well formed")
    with pytest.raises(NonConforming):
        schema_conforms(
            schemas["roleDefinition"], {**definition, "properties": {"permissions": {"actions": ["*"]}}}, "x"
        )
    with pytest.raises(NonConforming):
        schema_conforms(schemas["subscription"], {"subscriptionId": "s", "state": "Enabled", "name": "prod"}, "x")


# --- AWS ------------------------------------------------------------------------------------
AWS_ACCOUNT = FIXTURES / "aws" / "account.json"  # recorded by tests/fidelity/record_aws_account.py
# The columns of the IAM credential report, in order, as the IAM User Guide documents them
# ("Getting credential reports for your AWS account", report format). botocore models the
# report only as a blob, so the documented columns are the model here.
CREDENTIAL_REPORT_COLUMNS = [
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    *[
        f"access_key_{n}_{field}"
        for n in (1, 2)
        for field in ("active", "last_rotated", "last_used_date", "last_used_region", "last_used_service")
    ],
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
]


def test_aws_fixture_conforms_to_botocores_iam_model():
    """Every response of the recorded account, against the IAM model botocore ships (the model
    boto3 itself parses the wire with)."""
    import botocore

    from nhi_cli.kit.botocore_model import check_response

    recorded = json.loads(AWS_ACCOUNT.read_text())
    details = check_response(
        "iam", "GetAccountAuthorizationDetails", recorded["GetAccountAuthorizationDetails"], "GAAD"
    )
    assert details["UserDetailList"] and details["RoleDetailList"] and details["GroupDetailList"]
    report = check_response("iam", "GetCredentialReport", recorded["GetCredentialReport"], "credential report")
    for user, answer in recorded["ListAccessKeys"].items():
        check_response("iam", "ListAccessKeys", answer, f"ListAccessKeys {user}")
    header = report["Content"].decode().splitlines()[0].split(",")
    assert header == CREDENTIAL_REPORT_COLUMNS, f"botocore {botocore.__version__}"


def test_aws_fake_answers_conform():
    """moto, as the tests and the demo run it, answers the three per-account calls in shapes
    botocore's model accepts, credential report columns included."""
    import csv
    import io

    import boto3
    from moto import mock_aws

    from nhi_cli.kit.botocore_model import check_response
    from nhi_cli.model import utcnow
    from nhi_connectors.aws.fake import load_estate, seed_account
    from nhi_connectors.aws.gaad import GAAD_FILTER
    from tests.fidelity.record_aws_account import plain

    with mock_aws():
        account = load_estate(FIXTURES / "demo" / "aws")["accounts"][0]
        seed_account(account["id"], account, utcnow())
        iam = boto3.client("iam", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
        details = plain(iam.get_account_authorization_details(Filter=GAAD_FILTER))
        iam.generate_credential_report()
        report = plain(iam.get_credential_report())
        keys = {u["UserName"]: plain(iam.list_access_keys(UserName=u["UserName"])) for u in details["UserDetailList"]}
    check_response("iam", "GetAccountAuthorizationDetails", details, "moto GAAD")
    check_response("iam", "GetCredentialReport", report, "moto credential report")
    for user, answer in keys.items():
        check_response("iam", "ListAccessKeys", answer, f"moto ListAccessKeys {user}")
    assert next(csv.reader(io.StringIO(report["Content"]))) == CREDENTIAL_REPORT_COLUMNS


def test_aws_wrong_payloads_fail():
    """Each wrong payload is refused with a message naming where it is wrong and why."""
    from nhi_cli.kit.botocore_model import NonConforming as Refused
    from nhi_cli.kit.botocore_model import check_response

    recorded = json.loads(AWS_ACCOUNT.read_text())["GetAccountAuthorizationDetails"]
    user = recorded["UserDetailList"][0]
    role = recorded["RoleDetailList"][0]
    for bad, says in (
        (
            {**recorded, "UserDetailList": [{**user, "AccessKeys": []}]},
            r"UserDetailList\[0\]: .* declares no \['AccessKeys'\]",
        ),
        (
            {**recorded, "UserDetailList": [{k: v for k, v in user.items() if k != "Arn"} | {"ARN": user["Arn"]}]},
            r"declares no \['ARN'\]",
        ),
        (
            {**recorded, "UserDetailList": [{**user, "Tags": {"owner": "x"}}]},
            r"UserDetailList\[0\]\.Tags: must be a list",
        ),
        ({**recorded, "UserDetailList": [{**user, "CreateDate": "last tuesday"}]}, "'last tuesday' is not a timestamp"),
        ({**recorded, "RoleDetailList": [{**role, "RoleLastUsed": "2026-01-01T00:00:00Z"}]}, "RoleLastUsed: must be a"),
        ({**recorded, "IsTruncated": "false"}, "IsTruncated: 'false' is not a boolean"),
    ):
        with pytest.raises(Refused, match=says):
            check_response("iam", "GetAccountAuthorizationDetails", bad, "deliberately wrong")
    with pytest.raises(Refused, match=r"'Enabled' is not one of \['Active', 'Inactive', 'Expired'\]"):
        check_response(
            "iam",
            "ListAccessKeys",
            {"AccessKeyMetadata": [{"UserName": "u", "AccessKeyId": "AKIAEXAMPLEEXAMPLE01", "Status": "Enabled"}]},
            "deliberately wrong",
        )
