"""Cross-source linking: a credential seen outside its provider (a secret embedded in a local
MCP config) resolves to the inventory credential it is.

Methods, strongest first:
- ``aws_key_id``: the AKIA/ASIA access key id is an identifier, kept verbatim, and equals the
  AWS credential id;
- ``secret_hash``: the same salted hash (both sides saw the secret; one inventory's salt);
- ``openai_redacted_value`` / ``anthropic_key_hint``: the provider shows a prefix and the last
  four characters (``sk-proj-NWd...A1b2``); the sighting keeps the same shape, so prefix and
  suffix must agree;
- ``github_last_eight``: GitHub SSO authorizations expose a token's last eight characters.
"""

from __future__ import annotations

from typing import Any

from nhi_cli.store.interface import DbConnection

SIGHTING_KINDS = ("embedded_secret",)
MIN_PREFIX = 8  # a shorter common prefix ('sk-' alone) identifies nothing


def _split_hint(hint: str | None) -> tuple[str, str] | None:
    if not hint or "..." not in hint:
        return None
    prefix, _, suffix = hint.partition("...")
    return (prefix, suffix) if prefix and suffix else None


def hints_match(a: str | None, b: str | None) -> bool:
    """Two provider-style hints denote the same secret: suffixes equal, prefixes agree."""
    left, right = _split_hint(a), _split_hint(b)
    if not left or not right:
        return False
    (p1, s1), (p2, s2) = left, right
    if len(s1) < 4 or s1 != s2:
        return False
    short, long_ = sorted((p1, p2), key=len)
    return len(short) >= MIN_PREFIX and long_.startswith(short)


def find_links(conn: DbConnection) -> list[tuple[str, str, str]]:
    """(sighting_id, target_id, method) for every resolvable sighting."""
    links: set[tuple[str, str, str]] = set()
    sightings = conn.execute(
        "SELECT id, key_id, hint, secret_hash, attrs FROM credential "
        f"WHERE removed_at IS NULL AND kind IN ({','.join('?' * len(SIGHTING_KINDS))})",
        SIGHTING_KINDS,
    ).fetchall()
    if not sightings:
        return []
    # Set-based joins for exact identifiers.
    links.update(
        conn.execute(
            """SELECT s.id, t.id, 'aws_key_id' FROM credential s
           JOIN credential t ON t.provider = 'aws' AND (t.id = s.key_id OR t.key_id = s.key_id)
           WHERE s.kind = 'embedded_secret' AND s.key_id IS NOT NULL
             AND s.removed_at IS NULL AND t.removed_at IS NULL"""
        ).fetchall()
    )
    links = {(a, b, c) for a, b, c in links}
    links.update(
        (a, b, c)
        for a, b, c in conn.execute(
            """SELECT s.id, t.id, 'secret_hash' FROM credential s
           JOIN credential t ON t.secret_hash = s.secret_hash AND t.id <> s.id AND t.kind <> 'embedded_secret'
           WHERE s.kind = 'embedded_secret' AND s.secret_hash IS NOT NULL
             AND s.removed_at IS NULL AND t.removed_at IS NULL"""
        ).fetchall()
    )
    # Hints: candidates share the last characters; compare the shapes in Python (few rows).
    targets = conn.execute(
        "SELECT id, provider, hint FROM credential WHERE removed_at IS NULL AND hint IS NOT NULL "
        "AND kind <> 'embedded_secret' AND provider IN ('openai', 'anthropic', 'github')"
    ).fetchall()
    by_suffix: dict[str, list[Any]] = {}
    for target in targets:
        hint = target["hint"]
        key = hint[-4:] if hint else ""
        by_suffix.setdefault(key, []).append(target)
    for s in sightings:
        hint = s["hint"]
        if not hint:
            continue
        for target in by_suffix.get(hint[-4:], []):
            if target["provider"] == "github":
                # GitHub gives the last eight characters only; the sighting's hint ends with them.
                if len(target["hint"]) == 8 and hint.endswith(target["hint"]):
                    links.add((s["id"], target["id"], "github_last_eight"))
            elif hints_match(hint, target["hint"]):
                method = "openai_redacted_value" if target["provider"] == "openai" else "anthropic_key_hint"
                links.add((s["id"], target["id"], method))
    return sorted(links)


def write_links(conn: DbConnection) -> int:
    links = find_links(conn)
    conn.execute("DELETE FROM credential_link")
    conn.executemany("INSERT OR IGNORE INTO credential_link (sighting_id, target_id, method) VALUES (?, ?, ?)", links)
    return len(links)
