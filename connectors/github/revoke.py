"""Revoking GitHub credentials. Every action here is irreversible, and the plan says so:
- ``revoke_pat``: POST /orgs/{org}/personal-access-tokens/{pat_id} {"action": "revoke"}
  (GitHub App token with "Personal access tokens: write" required);
- ``delete_deploy_key``: DELETE /repos/{org}/{repo}/keys/{id};
- ``revoke_sso_authorization``: DELETE /orgs/{org}/credential-authorizations/{credential_id}
  (the token keeps working outside the org; only its access to the org ends).
Each is verified by reading the state back.
"""

from __future__ import annotations

from typing import Any

from nhi_cli.errors import NhiError
from nhi_cli.kit.connector import CollectContext, RevokeStep, ScopeError, StepOutcome
from nhi_cli.kit.http import NotFound, RestClient

from .auth import GithubAuth, org_client

CREDENTIAL_ACTIONS = {
    "pat": "revoke_pat",
    "classic_pat": "revoke_sso_authorization",
    "ssh_key": "revoke_sso_authorization",
    "sso_credential": "revoke_sso_authorization",
    "deploy_key": "delete_deploy_key",
}


def _step_for_credential(cred: dict[str, Any], scope: str) -> RevokeStep | None:
    action = CREDENTIAL_ACTIONS.get(cred.get("kind", ""))
    attrs = cred.get("attrs") or {}
    if action is None or cred.get("status") in ("revoked", "expired"):
        return None
    org = cred.get("scope") or scope
    if action == "revoke_pat":
        params = {"org": org, "pat_id": attrs["pat_id"], "owner": attrs.get("owner")}
        text = (
            f"Revoke fine-grained PAT {cred.get('name')!r} of {attrs.get('owner')} in {org}. "
            f"IRREVERSIBLE: the owner must create and get approval for a new token."
        )
    elif action == "delete_deploy_key":
        params = {"org": org, "repo": attrs["repo"], "key_id": attrs["deploy_key_id"]}
        text = (
            f"Delete deploy key {cred.get('name')!r} ({'read-only' if attrs.get('read_only') else 'read-write'}) "
            f"from {org}/{attrs['repo']}. IRREVERSIBLE: a new key must be generated and added."
        )
    else:
        params = {"org": org, "credential_id": attrs["credential_id"], "login": attrs.get("login")}
        text = (
            f"Revoke the SAML SSO authorization of {attrs.get('credential_type')} "
            f"...{attrs.get('token_last_eight') or ''} of {attrs.get('login')} for {org}. IRREVERSIBLE: "
            f"the credential itself still exists for non-SSO resources; its owner must re-authorize it."
        )
    return RevokeStep(
        provider="github",
        scope=org,
        target_type="credential",
        target_id=cred["id"],
        action=action,
        description=text,
        reversible=False,
        params=params,
    )


def plan(target: dict[str, Any]) -> list[RevokeStep]:
    if target.get("type") == "credential":
        step = _step_for_credential(target, target.get("scope", ""))
        if step is None and target.get("kind") not in CREDENTIAL_ACTIONS:
            raise NhiError(f"GitHub cannot revoke a credential of kind {target.get('kind')!r}")
        return [step] if step else []
    if target.get("kind") == "github_app_installation":
        raise NhiError(
            f"GitHub App installation {target.get('name')!r} cannot be removed through the org API: "
            f"an org owner uninstalls it under Settings > GitHub Apps, or the app owner suspends it"
        )
    steps = [_step_for_credential(c, target.get("scope", "")) for c in target.get("credentials") or []]
    return [s for s in steps if s is not None]


def _pat_present(client: RestClient, org: str, pat_id: int, owner: str | None) -> bool:
    params: dict[str, int | str] = {"per_page": 100}
    if owner:
        params["owner[]"] = owner
    return any(p.get("id") == pat_id for p in client.paged_link(f"/orgs/{org}/personal-access-tokens", params))


def _sso_present(client: RestClient, org: str, credential_id: int, login: str | None) -> bool:
    try:
        items = client.paged_link(
            f"/orgs/{org}/credential-authorizations", {"per_page": 100, **({"login": login} if login else {})}
        )
        return any(c.get("credential_id") == credential_id for c in items)
    except NotFound:
        return False


def _key_present(client: RestClient, org: str, repo: str, key_id: int) -> bool:
    try:
        client.get_json(f"/repos/{org}/{repo}/keys/{key_id}")
        return True
    except NotFound:
        return False


def execute(ctx: CollectContext, step: RevokeStep) -> StepOutcome:
    p = step.params
    try:
        auth = GithubAuth(ctx.settings)
    except ScopeError as exc:
        return StepOutcome("failed", f"{exc.code}: {exc.message}")
    try:
        with org_client(ctx, auth, p["org"]) as client:
            if step.action == "revoke_pat":
                if not _pat_present(client, p["org"], p["pat_id"], p.get("owner")):
                    return StepOutcome("already_done", inventory={step.target_id: "revoked"})
                client.request(
                    "POST", f"/orgs/{p['org']}/personal-access-tokens/{p['pat_id']}", json={"action": "revoke"}
                )
                still = _pat_present(client, p["org"], p["pat_id"], p.get("owner"))
            elif step.action == "delete_deploy_key":
                try:
                    client.request("DELETE", f"/repos/{p['org']}/{p['repo']}/keys/{p['key_id']}")
                except NotFound:
                    return StepOutcome("already_done", inventory={step.target_id: "revoked"})
                still = _key_present(client, p["org"], p["repo"], p["key_id"])
            elif step.action == "revoke_sso_authorization":
                try:
                    client.request("DELETE", f"/orgs/{p['org']}/credential-authorizations/{p['credential_id']}")
                except NotFound:
                    return StepOutcome("already_done", inventory={step.target_id: "revoked"})
                still = _sso_present(client, p["org"], p["credential_id"], p.get("login"))
            else:
                return StepOutcome("failed", f"unknown GitHub action {step.action}")
    except ScopeError as exc:  # refused, HttpError, throttling that did not clear
        return StepOutcome("failed", f"{exc.code}: {exc.message}")
    except NotFound as exc:
        return StepOutcome("failed", f"not found: {exc}")
    finally:
        auth.close()
    if still:
        return StepOutcome("failed", "verification failed: GitHub still lists the credential after the call")
    return StepOutcome("done", inventory={step.target_id: "revoked"})
