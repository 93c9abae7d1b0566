"""Scanning GitHub orgs: what a user finds in the inventory, and how gaps are reported."""

from __future__ import annotations

import json
from pathlib import Path

from github_helpers import db_rows, write_config


def test_app_scan_collects_every_kind_across_pages(github, nhi):
    write_config(github)
    result = nhi("scan", "--format", "json")
    assert result.code == 0, result.err
    creds = {r["id"]: r for r in db_rows("SELECT * FROM v_credentials WHERE provider = 'github'")}
    # fine-grained PATs (3 over two pages), SSO authorizations (3 over two pages), deploy keys
    forever = creds["github:acme-alpha:pat/11"]
    assert forever["kind"] == "pat" and forever["never_expires"] == 1 and forever["status"] == "active"
    assert forever["identity_name"] == "ci-bot" and forever["identity_kind"] == "github_token_owner"
    assert creds["github:acme-alpha:pat/13"]["status"] == "expired"
    sso = creds["github:acme-alpha:sso/501"]
    assert sso["kind"] == "classic_pat" and sso["hint"] == "aB3dE5f7"
    assert creds["github:acme-alpha:sso/502"]["kind"] == "ssh_key"
    write_key = creds["github:acme-alpha:repo/infra/keys/801"]
    assert write_key["kind"] == "deploy_key" and json.loads(write_key["attrs"])["read_only"] is False
    assert creds["github:acme-beta:pat/21"]["identity_name"] == "carol"
    # the paged lists really were followed
    assert github.calls("GET", r"/orgs/acme-alpha/personal-access-tokens")[-1].arg("page") == "2"
    assert len(github.calls("GET", r"/orgs/acme-alpha/credential-authorizations")) == 2


def test_org_wide_write_app_is_flagged_and_granted(github, nhi):
    write_config(github)
    assert nhi("scan").code == 0
    apps = {
        r["name"]: json.loads(r["attrs"])
        for r in db_rows(
            "SELECT name, attrs FROM v_identities WHERE kind = 'github_app_installation' AND scope = 'acme-alpha'"
        )
    }
    assert apps["deployer"]["org_wide_write"] is True
    assert apps["labeler"]["org_wide_write"] is False  # selected repositories only
    assert apps["acme-scanner"]["org_wide_write"] is False  # org permissions only, no repository write
    grants = db_rows("SELECT action, resource, is_sensitive FROM v_grants WHERE identity_name = 'deployer'")
    assert {"action": "contents:write", "resource": "acme-alpha/*", "is_sensitive": 1} in grants


def test_api_calls_are_reported_per_scope(github, nhi):
    write_config(github)
    assert nhi("scan").code == 0
    calls = {r["scope"]: json.loads(r["api_calls"]) for r in db_rows("SELECT scope, api_calls FROM scope_result")}
    alpha = calls["acme-alpha"]
    assert alpha["github:POST /graphql (repositories.deployKeys)"] == 1
    assert alpha["github:GET /repos/{org}/{repo}/keys"] == 2  # only the two repos that have keys
    assert alpha["github:POST /app/installations/{id}/access_tokens"] == 1


def test_plain_token_records_the_pat_gap_and_no_sso_is_not_an_error(github, nhi, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_PLAINTOKENFAKE000000000000000000000000")
    write_config(github, plain_token=True, orgs=["acme-beta"])
    result = nhi("scan", "--format", "json")
    assert result.code == 0, result.err  # partial is a gap, not an incomplete scan
    (scope,) = db_rows("SELECT status, gaps FROM scope_result WHERE scope = 'acme-beta'")
    gaps = json.loads(scope["gaps"])
    assert scope["status"] == "partial"
    assert [g["what"] for g in gaps] == ["fine-grained personal access tokens"]  # no SSO gap: 404 is n/a
    assert "GitHub App" in gaps[0]["message"]
    assert db_rows("SELECT COUNT(*) AS n FROM v_identities WHERE scope = 'acme-beta'")[0]["n"] == 1


def test_denied_org_is_incomplete_and_the_other_completes(github, nhi):
    write_config(github)
    assert nhi("scan").code == 0
    github.fault("GET", r"/orgs/acme-beta/installations", 403, {"message": "Resource not accessible by integration"})
    result = nhi("scan")
    assert result.code == 3
    status = {r["scope"]: r["status"] for r in db_rows("SELECT scope, status FROM scope_result WHERE scan_id = 2")}
    assert status == {"acme-alpha": "complete", "acme-beta": "denied"}
    # the denied org keeps what the first scan found, not marked removed
    assert db_rows("SELECT COUNT(*) AS n FROM v_credentials WHERE scope = 'acme-beta'")[0]["n"] == 1


def test_rate_limits_are_waited_out(github, nhi):
    write_config(github, orgs=["acme-alpha"])
    github.fault("GET", r"/orgs/acme-alpha/installations", 429, {"message": "slow down"}, Retry_After="0")
    github.fault(
        "GET",
        r"/orgs/acme-alpha/personal-access-tokens",
        403,
        {"message": "API rate limit exceeded"},
        X_RateLimit_Remaining="0",
        Retry_After="1",
    )
    result = nhi("scan")
    assert result.code == 0, result.err
    assert len(github.calls("GET", r"/orgs/acme-alpha/installations")) == 3  # 429, then two pages
    assert len(github.calls("GET", r"/orgs/acme-alpha/personal-access-tokens")) == 3  # 403 + two pages
    (scope,) = db_rows("SELECT status FROM scope_result")
    assert scope["status"] == "complete"


def test_app_without_private_key_cannot_run(github, nhi):
    Path("nhi.yaml").write_text(f"version: 1\nproviders:\n  github:\n    endpoint: {github.url}\n    app_id: '1'\n")
    result = nhi("scan")
    assert result.code == 4
    assert "no app_private_key" in result.err and "Traceback" not in result.err


def test_secrets_never_land(github, nhi, app_key):
    write_config(github)
    result = nhi("scan", "--format", "json")
    assert result.code == 0
    dump = Path("nhi.db").read_bytes()
    planted = ["github_pat_11PLANTEDDONOTSTORE", "PRIVATE KEY", app_key[0].splitlines()[1][:40]]
    minted = [t for t in github.app_tokens]
    assert minted
    for value in planted + minted:
        assert value.encode() not in dump, value
        assert value not in result.out and value not in result.err


def test_unreadable_private_key_cannot_run(github, nhi, tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    write_config(github, app_private_key_path=str(bad))
    result = nhi("scan")
    assert result.code == 4
    assert "not a readable PEM RSA key" in result.err and "not a key" not in result.err


def test_enterprise_server_graphql_endpoint_is_derived():
    from nhi_connectors.github.settings import GithubSettings, graphql_url

    assert (
        graphql_url(GithubSettings(endpoint="https://ghe.example.com/api/v3")) == "https://ghe.example.com/api/graphql"
    )
    assert graphql_url(GithubSettings()) == "https://api.github.com/graphql"


def test_orgs_are_discovered_from_the_app_installations(github, nhi):
    write_config(github, orgs=[])
    result = nhi("scan")
    assert result.code == 0, result.err
    assert {r["scope"] for r in db_rows("SELECT scope FROM scope_result")} == {"acme-alpha", "acme-beta"}
    assert github.calls("GET", r"/app/installations")[0].headers["authorization"].count(".") == 2  # the app JWT


def test_an_outage_while_listing_orgs_is_a_failed_scan_not_refused_credentials(github, nhi):
    """A 502 that retries do not clear is a failure (scope error, exit 3), never reported as
    GitHub refusing the credentials (exit 4, "could not run")."""
    write_config(github, orgs=[])
    github.fault("GET", r"/app/installations", 502, {"message": "Server Error"}, times=5, Retry_After="0")
    result = nhi("scan")
    assert result.code == 3, result.err
    (scope,) = db_rows("SELECT scope, status, message FROM scope_result")
    assert scope["status"] == "error" and "502" in scope["message"]
    assert "refused" not in result.err and "could not authenticate" not in result.err


def test_an_outage_on_the_token_list_is_not_reported_as_a_refused_token(github, nhi, monkeypatch):
    """With a plain token a refused PAT list points at a GitHub App; a 503 that retries did
    not clear must say what happened instead."""
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_PLAINTOKENFAKE000000000000000000000000")
    write_config(github, plain_token=True, orgs=["acme-beta"])
    github.fault(
        "GET", r"/orgs/acme-beta/personal-access-tokens", 503, {"message": "unavailable"}, times=5, Retry_After="0"
    )
    result = nhi("scan", "--format", "json")
    assert result.code == 0, result.err
    (scope,) = db_rows("SELECT status, gaps FROM scope_result WHERE scope = 'acme-beta'")
    (gap,) = json.loads(scope["gaps"])
    assert scope["status"] == "partial" and gap["what"] == "fine-grained personal access tokens"
    assert "503" in gap["message"] and "GitHub App" not in gap["message"]
