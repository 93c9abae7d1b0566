"""Normalised records that connectors yield and the store loads.

Every record carries ``provider`` and ``scope``: the scope it was collected in. The store
marks a record removed only when a later scan of the same scope completed without it.
Timestamps are timezone-aware datetimes (or None when the provider does not say).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypedDict, overload


@overload
def iso(value: datetime) -> str: ...
@overload
def iso(value: None) -> None: ...
def iso(value: datetime | None) -> str | None:
    """ISO-8601 UTC text as the store keeps it: '2026-11-28T21:00:00Z'."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class Identity:
    id: str
    provider: str
    scope: str
    kind: str
    name: str
    created_at: datetime | None = None
    last_used_at: datetime | None = None
    enabled: bool = True
    owner: str | None = None
    owner_source: str | None = None
    description: str | None = None
    is_platform: bool = False
    tags: dict[str, Any] = field(default_factory=dict)
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass
class Credential:
    id: str
    identity_id: str
    provider: str
    scope: str
    kind: str
    status: str  # active, inactive, expired, revoked
    name: str | None = None
    created_at: datetime | None = None
    last_used_at: datetime | None = None
    expires_at: datetime | None = None
    supports_expiry: bool = False
    key_id: str | None = None
    hint: str | None = None
    secret_hash: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)


class GrantFlags(TypedDict, total=False):
    """The computed flags of a Grant, as a connector's transform builds them (``Grant(..., **flags)``)."""

    is_admin: bool
    is_full_wildcard: bool
    is_service_wildcard: bool
    is_privesc: bool
    is_sensitive: bool


@dataclass
class Grant:
    identity_id: str
    provider: str
    scope: str
    action: str
    source: str
    source_type: str
    effect: str = "Allow"
    resource: str = "*"
    condition: dict[str, Any] | None = None
    service: str | None = None
    is_admin: bool = False
    is_full_wildcard: bool = False
    is_service_wildcard: bool = False
    is_privesc: bool = False
    is_sensitive: bool = False


@dataclass
class PolicyGrant:
    """One grant row of a policy document, stored once per scope whoever holds the document
    (``policy_grant``); principals hold documents through ``PolicyAttachment`` rows."""

    document_id: str
    provider: str
    scope: str
    action: str
    effect: str = "Allow"
    resource: str = "*"
    condition: dict[str, Any] | None = None
    service: str | None = None
    is_admin: bool = False
    is_full_wildcard: bool = False
    is_service_wildcard: bool = False
    is_privesc: bool = False
    is_sensitive: bool = False


@dataclass
class PolicyAttachment:
    """A principal holds a policy document (``policy_attachment``): ``source`` and
    ``source_type`` say how, as a ``Grant``'s do (inline, managed, group, boundary, scp)."""

    identity_id: str
    provider: str
    scope: str
    document_id: str
    source: str
    source_type: str


@dataclass
class Trust:
    identity_id: str
    provider: str
    scope: str
    principal_type: str  # any, account, principal, service, oidc, saml, member
    principal: str
    action: str
    conditions: dict[str, Any] | None = None
    principal_account: str | None = None
    requires_external_id: bool = False
    requires_source_identity: bool = False
    subject_condition: str | None = None
    audience_condition: str | None = None


@dataclass
class CredentialLocation:
    credential_id: str
    location: str
    provider: str
    scope: str
    context: str = ""


@dataclass
class Person:
    id: str
    source: str
    name: str | None = None
    email: str | None = None
    active: bool = True


# Gap code of a payload item nhi could not read: the scope loads what it read, but marks
# nothing removed (the unreadable item may be one that still exists).
MALFORMED = "malformed_response"
# The ``keeps`` value of a gap whose unread part yields records (a forbidden list): the scope
# loads what it read, but marks nothing removed, as for MALFORMED.
KEEPS_RECORDS = "records"


@dataclass
class Batch:
    """Everything one scope yielded."""

    identities: list[Identity] = field(default_factory=list)
    credentials: list[Credential] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)
    # policy documents' grants, once per document, and who holds which (AWS)
    policy_grants: list[PolicyGrant] = field(default_factory=list)
    attachments: list[PolicyAttachment] = field(default_factory=list)
    trusts: list[Trust] = field(default_factory=list)
    locations: list[CredentialLocation] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    # Parts of the payload that could not be transformed ({what, code, message}): the scan
    # records them as the scope's gaps (the scope is ``partial``), transforms stay pure.
    gaps: list[dict[str, str]] = field(default_factory=list)

    def extend(self, other: Batch) -> None:
        for name in (
            "identities",
            "credentials",
            "grants",
            "policy_grants",
            "attachments",
            "trusts",
            "locations",
            "people",
            "gaps",
        ):
            getattr(self, name).extend(getattr(other, name))

    def gap(self, what: str, code: str, message: str = "") -> None:
        self.gaps.append({"what": what, "code": code, "message": message})


# a row the store loads from a Batch: one table each
Record = Identity | Credential | Grant | PolicyGrant | PolicyAttachment | Trust | CredentialLocation | Person


@dataclass
class Scope:
    provider: str
    id: str
    name: str = ""
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass
class ScopeResult:
    provider: str
    scope: str
    status: str  # complete, partial, denied, error
    scope_name: str = ""
    error_code: str | None = None
    message: str | None = None
    gaps: list[dict[str, str]] = field(default_factory=list)
    api_calls: dict[str, int] = field(default_factory=dict)
    duration_ms: int = 0
    identities: int = 0
    credentials: int = 0

    @property
    def loaded(self) -> bool:
        """Complete and partial scopes load their records; denied and failed ones keep the old."""
        return self.status in ("complete", "partial")
