"""Policy documents stored once per account, attached to their holders (pure).

A principal's grants are the grants of the documents it holds: its inline policies, its
managed policies, its groups' policies, its permissions boundary, and the SCP levels above its
account. Each document is expanded to grant rows once and stored once per account
(``policy_grant``), keyed by a digest of the normalised document, so two holders of
ReadOnlyAccess (about 3,000 rows) or two identical inline policies share one copy; each holder
gets one ``policy_attachment`` row naming the document and how it holds it (``source``,
``source_type`` as a grant row says them). ``v_grants`` joins the two back into one row per
principal and grant.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from nhi_cli.model import Grant, PolicyAttachment, PolicyGrant

from .policies import parse_document, transform_policy

# The document of an attached managed policy whose text nhi did not read: one row, action "?",
# so the attachment stays visible (policies.unresolved_policy_grant).
UNRESOLVED = "unresolved"


def document_id(document: Any) -> str:
    """A digest of the normalised document: the same statements give the same id, whatever
    the key order or encoding (GAAD URL-encodes documents, Organizations does not)."""
    text = json.dumps(parse_document(document), sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:32]


def _row(grant: Grant, document: str) -> PolicyGrant:
    return PolicyGrant(
        document_id=document,
        provider=grant.provider,
        scope=grant.scope,
        action=grant.action,
        effect=grant.effect,
        resource=grant.resource,
        condition=grant.condition,
        service=grant.service,
        is_admin=grant.is_admin,
        is_full_wildcard=grant.is_full_wildcard,
        is_service_wildcard=grant.is_service_wildcard,
        is_privesc=grant.is_privesc,
        is_sensitive=grant.is_sensitive,
    )


class Documents:
    """The documents of one account: ``attach`` expands a document the first time it meets it
    (raising ValueError for one it cannot read, as transform_policy does), ``rows`` returns the
    grant rows of the documents that surviving attachments name (a holder whose transform
    failed part-way drops its attachments, and the rows nobody else holds go with them)."""

    def __init__(self, scope: str, provider: str = "aws"):
        self.scope = scope
        self.provider = provider
        # id(document) -> (document, digest): the object is kept so its id cannot be reused
        self._ids: dict[int, tuple[Any, str]] = {}
        self._rows: dict[str, list[PolicyGrant]] = {}

    def _document(self, document: Any, source: str) -> str:
        known = self._ids.get(id(document))
        if known is not None and known[0] is document:
            return known[1]
        digest = document_id(document)
        if digest not in self._rows:
            grants = transform_policy(
                document, identity_id="", scope=self.scope, source=source, source_type="", provider=self.provider
            )
            self._rows[digest] = [_row(g, digest) for g in grants]
        self._ids[id(document)] = (document, digest)
        return digest

    def attach(self, document: Any, *, identity_id: str, source: str, source_type: str) -> PolicyAttachment:
        digest = self._document(document, source)
        return PolicyAttachment(identity_id, self.provider, self.scope, digest, source, source_type)

    def unresolved(self, *, identity_id: str, source: str, source_type: str) -> PolicyAttachment:
        if UNRESOLVED not in self._rows:
            self._rows[UNRESOLVED] = [PolicyGrant(UNRESOLVED, self.provider, self.scope, action="?", service="?")]
        return PolicyAttachment(identity_id, self.provider, self.scope, UNRESOLVED, source, source_type)

    def rows(self, attachments: list[PolicyAttachment]) -> list[PolicyGrant]:
        """Each named document's rows once, in the order the attachments first name them."""
        out: list[PolicyGrant] = []
        seen: set[str] = set()
        for attachment in attachments:
            if attachment.document_id not in seen:
                seen.add(attachment.document_id)
                out += self._rows[attachment.document_id]
        return out
