"""MCP configs are local files: nhi does not revoke anything here.

A secret found in an agent config belongs to another provider (an OpenAI key, an AWS access
key, a GitHub token). It is revoked through the connector that owns it, once the inventory
has joined the sighting to that credential (see nhi_cli/revoke/). Editing a user's files is
left to the user: REVOKE_KINDS is empty, so ``nhi revoke`` says the MCP connector cannot
revoke and names the owning provider's credential instead.
"""

from __future__ import annotations

REVOKE_KINDS: dict[str, list[str]] = {}
