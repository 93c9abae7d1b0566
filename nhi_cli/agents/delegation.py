"""Who an agent acts for, and whether that is recorded for every action.

An agent's actions are traceable to the person it acts for only when the mechanism carries
that person into the provider's audit log: an AWS role session that must set
``sts:SourceIdentity``, Azure delegated permissions (the token's subject is the user), GCP
impersonation by a person (the caller is logged), a GitHub user-to-server token. A static key
(an IAM user's access key, a downloaded service-account key, an OpenAI or Anthropic API key, a
secret pasted into an MCP config) acts as itself, or as whoever owns it, with no record of the
person the agent was serving.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from typing import Any

from nhi_cli.agents.classify import platform_links
from nhi_cli.store.interface import DbConnection


@dataclass
class Statement:
    subject: str  # identity or credential id
    provider: str
    status: str  # recorded, not_recorded, unknown
    detail: str
    acts_for: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _attrs(value: str | None) -> dict[str, Any]:
    try:
        data = json.loads(value or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


@dataclass
class Facts:
    """What the statements need, read with one query per kind of fact for many subjects."""

    trusts: dict[str, list[Any]] = field(default_factory=dict)
    active_keys: dict[str, int] = field(default_factory=dict)
    delegated: dict[str, int] = field(default_factory=dict)
    app: dict[str, int] = field(default_factory=dict)
    embedded: dict[str, int] = field(default_factory=dict)
    credentials: dict[str, sqlite3.Row] = field(default_factory=dict)
    # identity a platform agent runs as -> [(agent id, its attrs)]
    runs: dict[str, list[tuple[str, dict[str, Any]]]] = field(default_factory=dict)


def load_facts(conn: DbConnection, identity_ids: Collection[str], credential_ids: Collection[str] = ()) -> Facts:
    facts = Facts()
    ids = json.dumps(sorted(set(identity_ids)))
    if identity_ids:
        for row in conn.execute(
            "SELECT identity_id, principal_type, principal, requires_source_identity FROM trust "
            "WHERE identity_id IN (SELECT value FROM json_each(?))",
            (ids,),
        ):
            facts.trusts.setdefault(row["identity_id"], []).append(row)
        facts.active_keys = dict(
            conn.execute(
                "SELECT identity_id, COUNT(*) FROM credential WHERE identity_id IN (SELECT value FROM json_each(?)) "
                "AND status = 'active' AND removed_at IS NULL AND kind <> 'embedded_secret' GROUP BY identity_id",
                (ids,),
            )
        )
        facts.embedded = dict(
            conn.execute(
                "SELECT identity_id, COUNT(*) FROM credential WHERE identity_id IN (SELECT value FROM json_each(?)) "
                "AND kind = 'embedded_secret' AND removed_at IS NULL GROUP BY identity_id",
                (ids,),
            )
        )
        for identity_id, delegated, app in conn.execute(
            "SELECT identity_id, COUNT(CASE WHEN source_type LIKE '%delegated%' THEN 1 END), "
            "COUNT(CASE WHEN source_type NOT LIKE '%delegated%' THEN 1 END) FROM \"grant\" "
            "WHERE identity_id IN (SELECT value FROM json_each(?)) GROUP BY identity_id",
            (ids,),
        ):
            facts.delegated[identity_id], facts.app[identity_id] = delegated, app
    if identity_ids:
        platform = dict(
            conn.execute(
                "SELECT id, attrs FROM identity WHERE removed_at IS NULL AND attrs LIKE '%registered_by_platform%'"
            ).fetchall()
        )
        for agent_id, runs_as in platform_links(conn):
            facts.runs.setdefault(runs_as, []).append((agent_id, _attrs(platform.get(agent_id))))
    if credential_ids:
        facts.credentials = {
            r["id"]: r
            for r in conn.execute(
                "SELECT k.id, k.provider, k.kind, k.attrs, i.name AS owner_name, i.kind AS owner_kind, "
                "i.attrs AS owner_attrs FROM credential k LEFT JOIN identity i ON i.id = k.identity_id "
                "WHERE k.id IN (SELECT value FROM json_each(?))",
                (json.dumps(sorted(set(credential_ids))),),
            )
        }
    return facts


def identity_delegation(conn: DbConnection, row: sqlite3.Row | None, credential_id: str | None = None) -> Statement:
    """The statement for one identity (or one single credential); builders of many use
    ``load_facts`` once and ``statement_for``/``credential_statement``."""
    if row is None:
        asked = (credential_id,) if credential_id is not None else ()
        return credential_statement(credential_id, load_facts(conn, (), asked))
    return statement_for(row, load_facts(conn, (row["id"],)))


def credential_statement(credential_id: str | None, facts: Facts) -> Statement:
    """A single credential the agent holds."""
    cred = facts.credentials.get(credential_id) if credential_id is not None else None
    if cred is None:
        return Statement(credential_id or "?", "unknown", "unknown", "credential no longer in the inventory")
    person = _person_of(
        cred["owner_kind"], cred["owner_name"], {**_attrs(cred["owner_attrs"]), **_attrs(cred["attrs"])}
    )
    detail = f"static {cred['provider']} {cred['kind']}"
    if person:
        return Statement(
            cred["id"],
            cred["provider"],
            "not_recorded",
            f"{detail} of {person}: actions appear as that person, not as the agent",
            person,
        )
    return Statement(cred["id"], cred["provider"], "not_recorded", f"{detail}: acts as itself")


def statement_for(row: sqlite3.Row | dict[str, Any], facts: Facts) -> Statement:
    provider, kind, subject = row["provider"], row["kind"], row["id"]
    row = dict(row)
    row.setdefault("owner", None)
    attrs = _attrs(row["attrs"])
    trusts = facts.trusts.get(subject, [])
    active_keys = facts.active_keys.get(subject, 0)
    if attrs.get("registered_by_platform") is True:
        return _platform_statement(subject, provider, kind, attrs)
    runs = facts.runs.get(subject, [])
    if runs and all(a.get("delegates_for_users") for _, a in runs) and _only_services(trusts):
        agents = ", ".join(sorted(agent for agent, _ in runs))
        return Statement(
            subject,
            provider,
            "recorded",
            f"used only by the platform for {agents}, whose every invocation carries the end user's token",
        )
    if provider == "aws" and kind == "iam_role":
        if trusts and all(t["requires_source_identity"] for t in trusts if t["principal_type"] != "service"):
            if any(t["principal_type"] != "service" for t in trusts):
                return Statement(
                    subject,
                    provider,
                    "recorded",
                    "role trust requires sts:SourceIdentity: every session names the person it acts for",
                )
        return Statement(
            subject,
            provider,
            "not_recorded",
            "role trust does not require sts:SourceIdentity: sessions do not name the person served",
        )
    if provider == "aws" and kind == "iam_user":
        return Statement(
            subject,
            provider,
            "not_recorded",
            "IAM user with long-lived keys acts as itself: no record of the person it acts for",
        )
    if provider == "gcp":
        people = sorted(t["principal"] for t in trusts if str(t["principal"]).startswith("user:"))
        if active_keys:
            return Statement(
                subject,
                provider,
                "not_recorded",
                f"{active_keys} downloaded key(s): whoever holds a key acts as the service account",
            )
        if people:
            return Statement(
                subject,
                provider,
                "recorded",
                "impersonated by " + ", ".join(people) + ": audit logs name the caller",
                people[0].split(":", 1)[1],
            )
        return Statement(subject, provider, "unknown", "no key and no person may impersonate it")
    if provider == "azure":
        delegated, app = facts.delegated.get(subject, 0), facts.app.get(subject, 0)
        if delegated and not app and not active_keys:
            return Statement(
                subject,
                provider,
                "recorded",
                "delegated permissions only: acts on behalf of the signed-in user, who is logged",
            )
        return Statement(
            subject,
            provider,
            "not_recorded",
            "application permissions or its own secrets: acts as itself, not as a person",
        )
    if provider == "github":
        if kind == "github_app_installation":
            return Statement(
                subject, provider, "not_recorded", "installation token: acts as the app, not as the person it serves"
            )
        if kind == "github_deploy_key":
            return Statement(subject, provider, "not_recorded", "deploy key: an SSH key that acts as itself")
        return Statement(
            subject,
            provider,
            "not_recorded",
            f"a user's token used by an agent: actions appear as {row['name']}",
            row["owner"],
        )
    if provider == "openai":
        if attrs.get("user_id") and row["owner"]:
            return Statement(
                subject,
                provider,
                "not_recorded",
                f"user-owned key: requests appear as {row['owner']}, not as the agent",
                row["owner"],
            )
        return Statement(subject, provider, "not_recorded", "service-account key: acts as itself")
    if provider == "anthropic":
        creator = f" (created by {row['owner']})" if row["owner"] else ""
        return Statement(subject, provider, "not_recorded", f"organisation API key{creator}: acts as itself")
    if kind == "mcp_server":
        embedded = facts.embedded.get(subject, 0)
        if embedded:
            return Statement(
                subject,
                provider,
                "not_recorded",
                f"{embedded} static secret(s) in the config: acts as whoever owns them",
            )
        return Statement(subject, provider, "unknown", "no embedded secret; authorisation happens elsewhere")
    return Statement(subject, provider, "unknown", f"no delegation model for {provider} {kind}")


def _only_services(trusts: list[Any]) -> bool:
    """No principal but a service (the agent platform) can use the identity directly."""
    return all(t["principal_type"] == "service" for t in trusts)


def _platform_statement(subject: str, provider: str, kind: str, attrs: dict[str, Any]) -> Statement:
    """A platform-registered agent: does each invocation carry the person it serves?"""
    platform = attrs.get("platform") or kind
    if attrs.get("delegates_for_users"):
        source = attrs.get("jwt_discovery_url") or "its identity provider"
        return Statement(
            subject,
            provider,
            "recorded",
            f"{platform}: invoked with the end user's token (JWT authorizer, {source}); outbound "
            "tokens are obtained on behalf of that user",
        )
    if attrs.get("inbound_auth") == "custom_jwt":
        return Statement(
            subject,
            provider,
            "not_recorded",
            f"{platform}: invoked by a signed-in user, but calls its tools with its own role or stored "
            "credentials: the user is not carried to them",
        )
    if attrs.get("inbound_auth") == "entra":
        # Foundry: callers run the agent with their own Entra token, but its tools are called as
        # the project's managed identity or with a connection's stored key
        return Statement(
            subject,
            provider,
            "not_recorded",
            f"{platform}: run by Entra-signed-in callers, but calls its tools as the project's managed "
            "identity or with stored connection keys: the caller is not carried to them",
        )
    if attrs.get("inbound_auth") == "iam" and attrs.get("oauth2_return_urls"):
        # GetWorkloadIdentity's return URLs: it completes user-consent OAuth2 flows, for a user
        # id its IAM caller names (GetWorkloadAccessTokenForUserId), not one it authenticated
        return Statement(
            subject,
            provider,
            "not_recorded",
            f"{platform}: invoked with IAM credentials; it obtains users' consented tokens (return URLs "
            f"{', '.join(attrs['oauth2_return_urls'])}) for a user id its caller asserts, which no "
            "authentication backs",
        )
    if attrs.get("inbound_auth") == "iam":
        return Statement(
            subject,
            provider,
            "not_recorded",
            f"{platform}: invoked with IAM credentials and acts as its execution role; the person served "
            "is not part of the authorization",
        )
    return Statement(subject, provider, "unknown", f"{platform}: who it acts for is not stated by the platform")


def _person_of(kind: str | None, name: str | None, attrs: dict[str, Any]) -> str | None:
    """The human behind a user-owned key, where the provider says."""
    for key in ("owner_email", "user_email", "owner_login", "owner", "created_by"):
        value = attrs.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, dict):
            for sub in ("email", "login", "name", "id"):
                if value.get(sub):
                    return str(value[sub])
    if kind and ("user" in kind and "service" not in kind):
        return name
    return None


def agent_delegation(statements: list[Statement]) -> tuple[str, str | None, str | None]:
    """recorded only when every identity records it; not_recorded if any does not."""
    if not statements:
        return "unknown", None, None
    statuses = {s.status for s in statements}
    status = "not_recorded" if "not_recorded" in statuses else ("recorded" if statuses == {"recorded"} else "unknown")
    # A person is named by an e-mail address; a bot account's login is the agent itself.
    acts_for = next((s.acts_for for s in statements if s.acts_for and "@" in s.acts_for), None)
    return status, acts_for, ("evidence" if acts_for else None)


# What the report and the fix-first ranking say about an agent's delegation: one passing kind
# and two failing ones (a check on which every agent fails tells the agents apart by these).
DELEGATION_KINDS = {
    "recorded": "act for a named person with a recorded delegation",
    "person_not_recorded": "act for a person without a recorded chain",
    "no_person": "act for no person at all",
    "unknown": "act for someone nhi cannot determine",
}


def delegation_kind(status: str | None, acts_for: str | None) -> str:
    """recorded | person_not_recorded | no_person | unknown, from an agent's delegation status
    (agent_delegation) and the person it acts for (an e-mail address, when one is known)."""
    if status == "recorded":
        return "recorded"
    if status == "not_recorded":
        return "person_not_recorded" if acts_for else "no_person"
    return "person_not_recorded" if acts_for else "unknown"
