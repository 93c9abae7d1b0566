"""GitHub organisations: app installations, fine-grained PATs, deploy keys, SSO authorizations.

github.com or GitHub Enterprise Server (``endpoint: https://HOST/api/v3``); auth by token
(GITHUB_TOKEN or ``token:``) or by GitHub App (``app_id`` + ``app_private_key_path``). One
scope per org. Collection is read-only; revoke revokes PATs and SSO authorizations and deletes
deploy keys, all irreversible. See transform.py for the identity model.
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from nhi_cli.kit.connector import (
    AuthFailed,
    CollectContext,
    Connector,
    RevokeStep,
    ScopeDenied,
    ScopeError,
    ScopeFailed,
    StepOutcome,
)
from nhi_cli.kit.http import NotFound, RestClient
from nhi_cli.model import Batch, Identity, Scope

from . import clients, revoke, transform
from .auth import GithubAuth, org_client
from .deploy_keys import collect_deploy_keys
from .fake import GithubFake, new_app_key
from .settings import GithubSettings, graphql_url, rest_base


class GithubConnector(Connector):
    name = "github"
    Settings = GithubSettings
    revoke_kinds: ClassVar[dict[str, list[str]]] = {
        "pat": ["revoke_pat"],
        "classic_pat": ["revoke_sso_authorization"],
        "ssh_key": ["revoke_sso_authorization"],
        "sso_credential": ["revoke_sso_authorization"],
        "deploy_key": ["delete_deploy_key"],
        "github_deploy_key": ["delete_deploy_key"],
        "github_token_owner": ["revoke_pat", "revoke_sso_authorization"],
    }

    def scopes(self, ctx: CollectContext) -> list[Scope]:
        settings: GithubSettings = ctx.settings
        auth = GithubAuth(settings)  # no or unusable credentials: AuthFailed once, not per org
        if settings.orgs:
            return [Scope("github", org, org) for org in settings.orgs]

        try:
            if auth.is_app:
                with RestClient(rest_base(settings), ctx, label="github", headers=auth.jwt_headers) as client:
                    items = client.paged_link("/app/installations", {"per_page": 100})
                    orgs = [i["account"]["login"] for i in items if i.get("account", {}).get("type") == "Organization"]
            else:
                with RestClient(
                    rest_base(settings), ctx, label="github", headers=lambda: auth.headers_for("", ctx)
                ) as client:
                    orgs = [o["login"] for o in client.paged_link("/user/orgs", {"per_page": 100})]
        except ScopeDenied as exc:  # a refusal only: an outage here is a failed scan, not bad credentials
            raise AuthFailed(exc.code, f"GitHub refused the credentials: {exc.message}") from None
        return [Scope("github", org, org) for org in orgs]

    def collect(self, ctx: CollectContext, scope: Scope) -> Batch:
        settings: GithubSettings = ctx.settings
        org = scope.id
        auth = GithubAuth(settings)
        batch = Batch()
        owners: dict[str, Identity] = {}
        try:
            with org_client(ctx, auth, org) as client:
                try:
                    installations = clients.get_installations(client, org)
                except NotFound:
                    raise ScopeDenied("not_found", f"organization {org} was not found or is not visible") from None
                batch.extend(transform.transform_installations(org, installations))
                try:
                    batch.extend(
                        transform.transform_fine_grained_pats(org, clients.get_fine_grained_pats(client, org), owners)
                    )
                except ScopeError as exc:  # the hint only for a refusal: an outage is not a token problem
                    ctx.gap(
                        "fine-grained personal access tokens",
                        exc.code,
                        "needs a GitHub App installation token with 'Personal access tokens: read'; "
                        "a plain token is refused"
                        if isinstance(exc, ScopeDenied) and not auth.is_app
                        else exc.message,
                    )
                except NotFound:
                    ctx.gap(
                        "fine-grained personal access tokens",
                        "not_available",
                        "this GitHub server has no fine-grained token API",
                    )
                try:
                    batch.extend(
                        transform.transform_credential_authorizations(
                            org, clients.get_credential_authorizations(client, org), owners
                        )
                    )
                except NotFound:
                    pass  # no SAML SSO on this org: not applicable, not an error
                except ScopeError as exc:
                    ctx.gap("SAML SSO credential authorizations", exc.code, exc.message)
                try:
                    for repo, keys in collect_deploy_keys(client, graphql_url(settings), org, settings.deploy_keys):
                        batch.extend(transform.transform_deploy_keys(org, repo, keys))
                except ScopeError as exc:
                    ctx.gap("deploy keys", exc.code, exc.message)
        except NotFound as exc:  # the app is not installed on this org
            raise ScopeDenied("not_installed", f"the GitHub App is not installed on {org}: {exc}") from None
        except (ValueError, KeyError) as exc:
            raise ScopeFailed("malformed_response", str(exc)) from None
        finally:
            auth.close()
        batch.identities.extend(owners.values())
        return batch

    # --- revoke -------------------------------------------------------------------------
    def plan_revoke(self, ctx: CollectContext, target: dict[str, Any], options: dict[str, Any]) -> list[RevokeStep]:
        return revoke.plan(target)

    def execute_step(self, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
        return revoke.execute(ctx, step)

    def restore_step(self, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
        return StepOutcome("skipped", "GitHub revokes are irreversible")

    # --- demo ---------------------------------------------------------------------------
    @classmethod
    def demo(cls, stack: ExitStack, estate: Path, now: datetime) -> dict[str, Any] | None:
        pem, public_key = new_app_key()
        fake = GithubFake.from_dir(estate / "github", now=now, public_key=public_key)
        stack.enter_context(fake)
        return {"endpoint": fake.url, "app_id": fake.app_id, "app_private_key": pem, "orgs": sorted(fake.orgs)}
