"""Settings, clouds, authentication errors and the demo tenant, through the real CLI."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import yaml

from nhi_connectors.azure.settings import AzureSettings


def write(section: dict) -> None:
    Path("nhi.yaml").write_text(yaml.safe_dump({"version": 1, "providers": {"azure": section}}))


def test_clouds_choose_graph_arm_and_login_hosts():
    gov = AzureSettings(cloud="usgov")
    assert (gov.graph_base, gov.arm_base) == ("https://graph.microsoft.us", "https://management.usgovcloudapi.net")
    china = AzureSettings(cloud="china")
    assert china.graph_base == "https://microsoftgraph.chinacloudapi.cn"
    assert china.cloud_endpoints.authority == "login.chinacloudapi.cn"
    proxied = AzureSettings(cloud="usgov", endpoint="http://127.0.0.1:9/")
    assert (proxied.graph_base, proxied.arm_base) == ("http://127.0.0.1:9", "http://127.0.0.1:9")
    assert proxied.cloud_endpoints.graph == "https://graph.microsoft.us"  # token audience still the cloud's
    assert AzureSettings(static_token="t").effective_auth == "static_token"
    assert AzureSettings().effective_auth == "default"


def test_unknown_cloud_is_a_config_error_naming_the_line(nhi):
    write({"cloud": "mars"})
    result = nhi("scan", "--config", "nhi.yaml")
    assert result.code == 2
    assert "nhi.yaml:3: providers.azure.cloud" in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_client_secret_auth_needs_tenant_and_client(nhi):
    write({"auth": "client_secret"})
    result = nhi("scan", "--config", "nhi.yaml")
    assert result.code == 2
    assert "needs `tenant_id` and `client_id`" in result.err


def test_missing_client_secret_variable_cannot_run(nhi, monkeypatch):
    monkeypatch.delenv("NW_AZURE_SECRET", raising=False)
    write({"auth": "client_secret", "tenant_id": "t", "client_id": "c", "client_secret_env": "NW_AZURE_SECRET"})
    result = nhi("scan", "--config", "nhi.yaml")
    assert result.code == 4
    assert "NW_AZURE_SECRET is not set" in result.err
    assert "Traceback" not in result.err


def test_unreadable_certificate_cannot_run(nhi):
    write({"auth": "certificate", "tenant_id": "t", "client_id": "c", "certificate_path": "missing.pem"})
    result = nhi("scan", "--config", "nhi.yaml")
    assert result.code == 4
    assert "cannot build the Azure credential (certificate)" in result.err


def test_demo_tenant_shows_the_planted_problems(nhi):
    result = nhi("scan", "--demo", "--provider", "azure", "--format", "json")
    assert result.code == 0, result.err
    scopes = [s for s in json.loads(result.out)["scopes"] if s["provider"] == "azure"]
    assert {s["scope_name"] for s in scopes} == {"northwind", "nw-prod"}
    findings = json.loads(nhi("findings", "list", "--format", "json").out)
    rows = findings if isinstance(findings, list) else findings["findings"]
    got = {(f["rule_id"], f["resource_name"]) for f in rows}
    assert ("azure_app_permission_tenant_takeover", "ops-copilot") in got
    assert ("azure_credential_expiring_soon", "billing-sync-2025") in got
    assert ("azure_multi_tenant_app_with_credentials", "partner-portal") in got
    assert ("azure_delegated_consent_all_users", "helpdesk-assistant") in got
    assert ("admin_grant", "mi-deployer") in got
    assert ("owner_not_in_directory", "legacy-reporting") in got
    assert not any(name == "inventory-reader" for _, name in got)  # the clean service principal
    # the helpdesk project keeps the ticketing system's key in a connection: 150 days, no expiry,
    # and its ticket-router agent's OpenAPI tool sends it
    assert ("credential_max_age", "ticketing-key") in got
    assert ("credential_no_expiry", "ticketing-key") in got
    assert not any(name == "nw-foundry-aoai" for _, name in got)  # an Entra (AAD) connection stores no key
    # the key is held by the project's managed identity, which the agent runs as: the agent's credential
    assert ("agent_static_credential", "ticketing-key") in got
    router = json.loads(nhi("agents", "show", "ticket-router", "--format", "json").out)
    assert [c["kind"] for c in router["credentials"]] == ["foundry_connection_secret"]
    conn = sqlite3.connect("nhi.db")
    [(attrs,)] = conn.execute("SELECT attrs FROM v_identities WHERE name = 'ticket-router'").fetchall()
    conn.close()
    assert [c.rsplit("/", 1)[-1] for c in json.loads(attrs)["connection_credentials"]] == ["ticketing-key"]


def test_auth_settings_pick_the_azure_identity_credential(monkeypatch):
    # construction only: azure-identity touches the network in get_token, never here
    from nhi_connectors.azure.auth import StaticTokenCredential, build_credential

    monkeypatch.setenv("AZURE_CLIENT_SECRET", "not-a-real-secret")
    chosen = {
        auth: type(build_credential(AzureSettings(**kw))).__name__
        for auth, kw in {
            "default": {},
            "client_secret": {"auth": "client_secret", "tenant_id": "t", "client_id": "c", "cloud": "china"},
            "managed_identity": {"auth": "managed_identity", "client_id": "c"},
        }.items()
    }
    assert chosen == {
        "default": "DefaultAzureCredential",
        "client_secret": "ClientSecretCredential",
        "managed_identity": "ManagedIdentityCredential",
    }
    static = build_credential(AzureSettings(static_token="abc"))
    assert isinstance(static, StaticTokenCredential) and static.get_token("x/.default").token == "abc"
