"""GitHub revoke through the connector: the fake asserts the call, read-back verifies it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from nhi_cli.errors import NhiError
from nhi_cli.kit.connector import CollectContext
from nhi_connectors.github import GithubConnector


@pytest.fixture
def ctx(github):
    settings = GithubConnector.Settings(
        endpoint=github.url, app_id=github.app_id, app_private_key_path=str(github.key_path)
    )
    return CollectContext(now=datetime.now(UTC), settings=settings)


def credential(cid, kind, scope="acme-alpha", **attrs):
    return {
        "type": "credential",
        "id": cid,
        "provider": "github",
        "scope": scope,
        "kind": kind,
        "name": "x",
        "status": "active",
        "attrs": attrs,
    }


def test_fine_grained_pat_revoke_posts_revoke_and_verifies(github, ctx):
    connector = GithubConnector()
    (step,) = connector.plan_revoke(ctx, credential("github:acme-alpha:pat/11", "pat", pat_id=11, owner="ci-bot"), {})
    assert step.reversible is False and "IRREVERSIBLE" in step.description
    outcome = connector.execute_step(ctx, step)
    assert outcome.status == "done", outcome.error
    (call,) = github.calls("POST", r"/orgs/acme-alpha/personal-access-tokens/11")
    assert call.json() == {"action": "revoke"}
    assert call.headers["authorization"].startswith("Bearer ghs_")  # an installation token, as GitHub requires
    assert outcome.inventory == {"github:acme-alpha:pat/11": "revoked"}
    assert connector.execute_step(ctx, step).status == "already_done"


def test_deploy_key_delete_and_sso_revoke(github, ctx):
    connector = GithubConnector()
    (key_step,) = connector.plan_revoke(
        ctx,
        credential(
            "github:acme-alpha:repo/infra/keys/801", "deploy_key", repo="infra", deploy_key_id=801, read_only=False
        ),
        {},
    )
    assert connector.execute_step(ctx, key_step).status == "done"
    assert github.calls("DELETE", r"/repos/acme-alpha/infra/keys/801")
    assert github.calls("GET", r"/repos/acme-alpha/infra/keys/801")  # read back: 404 now
    (sso_step,) = connector.plan_revoke(
        ctx,
        credential(
            "github:acme-alpha:sso/501", "classic_pat", credential_id=501, login="ci-bot", token_last_eight="aB3dE5f7"
        ),
        {},
    )
    assert "aB3dE5f7" in sso_step.description
    assert connector.execute_step(ctx, sso_step).status == "done"
    assert github.calls("DELETE", r"/orgs/acme-alpha/credential-authorizations/501")
    assert connector.execute_step(ctx, sso_step).status == "already_done"


def test_identity_revoke_covers_its_credentials_and_apps_are_refused(github, ctx):
    connector = GithubConnector()
    owner = {
        "type": "identity",
        "id": "github:acme-alpha:user/ci-bot",
        "provider": "github",
        "scope": "acme-alpha",
        "kind": "github_token_owner",
        "name": "ci-bot",
        "attrs": {},
        "credentials": [
            credential("github:acme-alpha:pat/11", "pat", pat_id=11, owner="ci-bot"),
            credential("github:acme-alpha:sso/501", "classic_pat", credential_id=501, login="ci-bot"),
        ],
    }
    steps = connector.plan_revoke(ctx, owner, {})
    assert [s.action for s in steps] == ["revoke_pat", "revoke_sso_authorization"]
    with pytest.raises(NhiError, match="uninstalls"):
        connector.plan_revoke(ctx, {"type": "identity", "kind": "github_app_installation", "name": "deployer"}, {})


def test_failed_revoke_reports_the_provider_error(github, ctx):
    github.fault("DELETE", r"/repos/acme-alpha/lib/keys/802", 403, {"message": "Must have admin rights"})
    connector = GithubConnector()
    (step,) = connector.plan_revoke(ctx, credential("k", "deploy_key", repo="lib", deploy_key_id=802), {})
    outcome = connector.execute_step(ctx, step)
    assert outcome.status == "failed" and "403" in outcome.error
