"""Turning what the operator typed into inventory rows, or refusing with candidates.

A target is a credential id, an identity id, an identity name, a credential's public key id or
hint, or (``--agent``) every member of an agent. Exact ids win; a name that matches more than
one identity is ambiguous. Nothing is guessed: an unknown or ambiguous target lists what it
could have meant and the command changes nothing (exit 2).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nhi_cli.agents.lookup import agent_members, agent_names
from nhi_cli.config import Config
from nhi_cli.errors import ExitCode, NhiError
from nhi_cli.store.interface import DbConnection

CANDIDATE_LIMIT = 8


@dataclass
class Target:
    type: str  # identity, credential
    row: dict[str, Any]  # the v_identities / v_credentials row
    given: str  # what the operator typed ("agent:ops-copilot" for --agent members)
    credentials: list[dict[str, Any]] = field(default_factory=list)  # an identity's credentials
    identity: dict[str, Any] | None = None  # a credential's identity

    @property
    def id(self) -> str:
        value: str = self.row["id"]
        return value

    @property
    def provider(self) -> str:
        value: str = self.row["provider"]
        return value

    @property
    def identity_id(self) -> str:
        value: str = self.row["id"] if self.type == "identity" else self.row["identity_id"]
        return value

    def for_connector(self) -> dict[str, Any]:
        """The ``target`` dict a connector's plan_revoke receives (see nhi_cli/kit/connector.py)."""
        row = self.row
        base = {
            "type": self.type,
            "id": row["id"],
            "provider": row["provider"],
            "scope": row["scope"],
            "kind": row["kind"],
            "name": row.get("name") or row.get("identity_name") or row["id"],
            "attrs": _json(row.get("attrs")),
            "status": row.get("status"),
            "enabled": row.get("enabled"),
        }
        if self.type == "identity":
            base["credentials"] = [_slim(c) for c in self.credentials]
        else:
            base["identity_id"] = row["identity_id"]
            base["key_id"] = row.get("key_id")
            base["identity"] = _slim(self.identity) if self.identity else None
        return base


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return {}
    return value or {}


def _slim(row: dict[str, Any]) -> dict[str, Any]:
    keep = ("id", "provider", "scope", "kind", "name", "status", "enabled", "key_id", "identity_id")
    out = {k: row.get(k) for k in keep if k in row}
    out["attrs"] = _json(row.get("attrs"))
    return out


class TargetError(NhiError):
    """Unknown or ambiguous targets; ``problems`` lists each with its candidates."""

    def __init__(self, problems: list[tuple[str, str, list[str]]]):
        self.problems = problems
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{first[0]} target {first[1]!r}{more}; nothing was changed", ExitCode.USAGE)


def _rows(conn: DbConnection, sql: str, *args: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(sql, args).fetchall()]


def identity_credentials(conn: DbConnection, identity_id: str) -> list[dict[str, Any]]:
    return _rows(conn, "SELECT * FROM v_credentials WHERE identity_id = ? ORDER BY id", identity_id)


def _identity(conn: DbConnection, identity_id: str) -> dict[str, Any] | None:
    rows = _rows(conn, "SELECT * FROM v_identities WHERE id = ?", identity_id)
    return rows[0] if rows else None


def make_target(conn: DbConnection, kind: str, row: dict[str, Any], given: str) -> Target:
    if kind == "identity":
        return Target("identity", row, given, credentials=identity_credentials(conn, row["id"]))
    return Target("credential", row, given, identity=_identity(conn, row["identity_id"]))


def _lookup(conn: DbConnection, text: str) -> list[tuple[str, dict[str, Any]]]:
    """Matches for one typed target, strongest kind of match first; [] when unknown."""
    for kind, sql in (
        ("credential", "SELECT * FROM v_credentials WHERE id = ?"),
        ("identity", "SELECT * FROM v_identities WHERE id = ?"),
        ("identity", "SELECT * FROM v_identities WHERE name = ? ORDER BY provider, scope, id"),
        ("credential", "SELECT * FROM v_credentials WHERE key_id = ? OR hint = ? ORDER BY provider, id"),
    ):
        args = (text, text) if sql.count("?") == 2 else (text,)
        rows = _rows(conn, sql, *args)
        if rows:
            return [(kind, r) for r in rows]
    return []


def candidates(conn: DbConnection, text: str) -> list[str]:
    """Near matches to show when a target is unknown: substring of id, name, key id or hint."""
    like = f"%{text}%"
    found = [
        f"identity {r['id']} ({r['provider']} {r['kind']} {r['name']})"
        for r in _rows(
            conn,
            "SELECT id, provider, kind, name FROM v_identities WHERE id LIKE ? OR name LIKE ? "
            "ORDER BY provider, id LIMIT ?",
            like,
            like,
            CANDIDATE_LIMIT,
        )
    ]
    found += [
        f"credential {r['id']} ({r['provider']} {r['kind']} of {r['identity_name'] or r['identity_id']})"
        for r in _rows(
            conn,
            "SELECT id, provider, kind, identity_id, identity_name FROM v_credentials "
            "WHERE id LIKE ? OR key_id LIKE ? OR hint LIKE ? ORDER BY provider, id LIMIT ?",
            like,
            like,
            like,
            CANDIDATE_LIMIT,
        )
    ]
    return found[:CANDIDATE_LIMIT]


def _describe(kind: str, row: dict[str, Any]) -> str:
    name = row.get("name") or row.get("identity_name") or ""
    return f"{kind} {row['id']} ({row['provider']} {row['scope']} {row['kind']}{' ' + name if name else ''})"


def resolve_targets(conn: DbConnection, config: Config, texts: list[str], agent: str | None = None) -> list[Target]:
    """Resolve every target or raise TargetError naming each unknown or ambiguous one.

    An identity target covers its credentials, so a credential whose identity is also a target
    is dropped (``--agent`` names both the IAM user and its key: one revoke of the user)."""
    if not texts and not agent:
        raise NhiError("name at least one TARGET (credential id, identity id or name) or --agent NAME", ExitCode.USAGE)
    problems: list[tuple[str, str, list[str]]] = []
    targets: list[Target] = []
    for text in texts:
        matches = _lookup(conn, text)
        if not matches:
            problems.append(("unknown", text, candidates(conn, text)))
        elif len(matches) > 1:
            problems.append(("ambiguous", text, [_describe(k, r) for k, r in matches][:CANDIDATE_LIMIT]))
        else:
            targets.append(make_target(conn, matches[0][0], matches[0][1], text))
    if agent:
        members = agent_members(conn, config, agent)
        if members is None:
            problems.append(("unknown", f"agent:{agent}", [f"agent {n}" for n in agent_names(conn, config)]))
        elif not members.identities and not members.credentials:
            problems.append(
                (
                    "empty",
                    f"agent:{agent}",
                    ["no identity or credential in the inventory matches this agent; run `nhi scan` first"],
                )
            )
        else:
            for row in members.identities:
                targets.append(make_target(conn, "identity", row, f"agent:{agent}"))
            for row in members.credentials:
                targets.append(make_target(conn, "credential", row, f"agent:{agent}"))
    if problems:
        raise TargetError(problems)
    return _dedupe(targets)


def _dedupe(targets: list[Target]) -> list[Target]:
    seen: set[tuple[str, str]] = set()
    identities = {t.id for t in targets if t.type == "identity"}
    out = []
    for t in targets:
        key = (t.type, t.id)
        if key in seen or (t.type == "credential" and t.identity_id in identities):
            continue
        seen.add(key)
        out.append(t)
    return out


def _linked_credentials(conn: DbConnection, cred: dict[str, Any]) -> list[dict[str, Any]]:
    """Provider credentials a sighting is (an AWS key id or API key found in an MCP config):
    the links the agents pass recorded (credential_link), and equal key ids or salted hashes."""
    ids = [r[0] for r in conn.execute("SELECT target_id FROM credential_link WHERE sighting_id = ?", (cred["id"],))]
    rows = _rows(
        conn,
        "SELECT * FROM v_credentials WHERE provider != ? AND ("
        "(? IS NOT NULL AND (key_id = ? OR id = ?)) OR (? IS NOT NULL AND secret_hash = ?))",
        cred["provider"],
        cred.get("key_id"),
        cred.get("key_id"),
        cred.get("key_id"),
        cred.get("secret_hash"),
        cred.get("secret_hash"),
    )
    rows += [
        r
        for i in ids
        if i not in {x["id"] for x in rows}
        for r in _rows(conn, "SELECT * FROM v_credentials WHERE id = ?", i)
    ]
    return rows


def expand_sightings(
    conn: DbConnection, targets: list[Target], revocable: Callable[[str], bool]
) -> tuple[list[Target], list[str]]:
    """Replace targets no connector can revoke (a local MCP config, a secret sighting) by the
    provider credentials they hold, so `--agent` kills the keys at their source; notes say
    what nhi left for a person to clean up (the secret is still written in that file)."""
    out: list[Target] = []
    notes: list[str] = []
    for target in targets:
        if revocable(target.provider):
            out.append(target)
            continue
        held = target.credentials if target.type == "identity" else [target.row]
        linked = [row for cred in held for row in _linked_credentials(conn, cred)]
        for row in linked:
            out.append(make_target(conn, "credential", row, f"{target.given} via {target.id}"))
        where = f"{target.provider} {target.row['kind']} {target.id}"
        if linked:
            notes.append(
                f"{where}: nhi cannot change it; the secrets it holds are revoked at their providers "
                f"({', '.join(sorted({r['id'] for r in linked}))}); delete them from it by hand"
            )
        elif held:
            notes.append(
                f"{where}: nhi cannot change it and found no provider credential for the "
                f"{len(held)} secret(s) it holds; rotate them by hand"
            )
        else:
            notes.append(f"{where}: holds no credential; nothing to revoke")
    return _dedupe(out), notes


def target_by_id(conn: DbConnection, kind: str, target_id: str, given: str) -> Target | None:
    """The identity or credential with exactly this id (how a reviewed plan's targets are
    looked up again: by id only, never by a name that may now mean something else)."""
    view = {"identity": "v_identities", "credential": "v_credentials"}.get(kind)
    rows = _rows(conn, f"SELECT * FROM {view} WHERE id = ?", target_id) if view else []
    return make_target(conn, kind, rows[0], given) if len(rows) == 1 else None
