"""MCP servers and the secrets in them as inventory records (pure: no file access).

Each configured server is an identity of kind ``mcp_server`` whose id names the file and the
server (``mcp:~/.cursor/mcp.json#github``). Each distinct secret is ONE credential of kind
``embedded_secret`` whose id comes from a salted hash, with a location row for every
(file, server, field) it was seen in: the same key pasted into three configs is one key in
three places, which is what the reuse rule counts. An AWS access key id and the secret key
beside it are one credential (the id is the key's public identifier, kept as ``key_id``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from nhi_cli.kit.secrets import secret_hash
from nhi_cli.model import Batch, Credential, CredentialLocation, Identity

from . import hygiene
from .clients import ParsedFile, ServerEntry
from .detect import FieldScan, Found

PROVIDER = "mcp"


def display_path(path: Path, home: Path | None, machine: str | None = None) -> str:
    """``~/...`` under the home directory (stable and shorter), else the absolute path; with
    ``machine`` set, ``<machine>:~/...`` and ``<machine>:/abs``."""
    path = Path(os.path.abspath(path))
    prefix = f"{machine}:" if machine else ""
    if home is not None:
        try:
            relative = path.relative_to(home).as_posix()
            return f"{prefix}~" if relative == "." else f"{prefix}~/{relative}"
        except ValueError:
            pass
    return prefix + path.as_posix()


@dataclass
class FileFacts:
    display: str
    repo_root: str | None
    mode: int
    git_status: str | None = None  # tracked, untracked, ignored, unknown (project configs in a repo)
    repo_path: Path | None = None  # the work tree, for git (the display form may be ~/...)
    repo_file: str | None = None  # the file relative to the work tree's root (POSIX), for SARIF and hooks
    lock: dict[str, str] | None = None  # the scanned tree's nhi-mcp.lock.json: file#server -> launch hash
    lock_file: str | None = None  # this file relative to the lock's folder


@dataclass
class _Secret:
    """Everything known about one distinct secret while a scope is transformed."""

    dedup: str = field(repr=False)  # key id for AWS, else the value: never stored
    hashed: str = field(repr=False)  # what secret_hash covers: the secret if seen, else the id
    secret_type: str = ""
    provider: str = ""
    detected_by: str = ""
    hint: str = ""
    key_id: str | None = None
    has_secret: bool = False
    places: list[tuple[str, str, str, str, bool]] = field(
        default_factory=list
    )  # location, field, client, scope, committed


def transport(spec: dict[str, Any]) -> str:
    kind = spec.get("type") or spec.get("transport")
    if isinstance(kind, str) and kind:
        return {"streamable-http": "http", "streamableHttp": "http"}.get(kind, kind)
    if isinstance(spec.get("command"), str):
        return "stdio"
    url = spec.get("url") or spec.get("serverUrl") or spec.get("httpUrl")
    if isinstance(url, str):
        return "sse" if url.rstrip("/").endswith("/sse") else "http"
    return "unknown"


def redact(text: str, secrets: list[str]) -> str:
    """``text`` with every secret found in it (longest first) replaced by ``***``."""
    for value in sorted({v for v in secrets if v}, key=len, reverse=True):
        text = text.replace(value, "***")
    return text


def safe_url(url: Any, secrets: Sequence[str] = ()) -> str | None:
    """Scheme, host, port and path only: no user info, no query (either may hold a secret), and
    no secret found in the path (a webhook token, a key in a segment)."""
    if not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return None
    segments = []
    for seg in parts.path.split("/"):
        plain = unquote(seg)
        cleaned = redact(plain, list(secrets))
        segments.append(cleaned if cleaned != plain else seg)
    path = redact("/".join(segments), list(secrets))
    return f"{parts.scheme}://{host}{port}{path}" if parts.scheme else None


def _package(spec: dict[str, Any], secret_fields: set[str]) -> str | None:
    """The package or image a stdio server runs (first plain argument), if it holds no secret."""
    args = spec.get("args")
    if not isinstance(args, list):
        return None
    for index, arg in enumerate(args):
        if isinstance(arg, str) and not arg.startswith("-") and "=" not in arg and "${" not in arg:
            if f"args[{index}]" in secret_fields or len(arg) > 200:
                return None
            return arg
    return None


def server_identity(parsed: ParsedFile, facts: FileFacts, server: ServerEntry, scan: FieldScan, scope: str) -> Identity:
    spec = server.spec
    secret_fields = {f.field for f in scan.found}
    values = [f.value for f in scan.found]
    command = value if isinstance(value := spec.get("command"), str) else None
    if command is not None and any(f == "command" or f.startswith("command[") for f in secret_fields):
        command = redact(command, values)
    inputs = []
    for ref in scan.references:
        kind, _, name = ref.ref.partition(":") if ":" in ref.ref else ("var", "", ref.ref)
        entry: dict[str, str | bool] = {"field": ref.field, "ref": ref.ref, "kind": kind}
        if kind == "input" and name in parsed.inputs:
            entry["password_prompt"] = bool(parsed.inputs[name].get("password"))
        inputs.append(entry)
    url = safe_url(spec.get("url") or spec.get("serverUrl") or spec.get("httpUrl"), values)
    launched = hygiene.launch(spec, url)
    launch_hash = hygiene.launch_hash(spec, url, values)
    shell = hygiene.shell(spec)
    attrs = {
        "client": parsed.config.client,
        "server": server.name,
        "config_file": facts.display,
        "config_scope": server.config_scope,
        "project": server.project,
        "transport": transport(spec),
        "command": command,
        "package": _package(spec, secret_fields),
        "url": url,
        # how it is launched (hygiene.py): pinning, a look-alike package, a shell, remote auth
        "package_name": launched["package"],
        "package_version": launched["version"],
        "unpinned": launched["unpinned"],
        "lookalike_of": hygiene.lookalike(launched["package"]),
        "shell": shell["shell"] if shell else None,
        "shell_interpolates": bool(shell and shell["interpolates"]),
        "remote_auth": hygiene.remote_auth(spec, url, secret_fields, [r.field for r in scan.references]),
        "secrets_on_command_line": sum(1 for f in scan.found if f.field.startswith(("args[", "command"))),
        "launch_hash": launch_hash,
        "lock_status": _lock_status(facts, server.key, launch_hash),
        "env_names": sorted(str(k) for k in spec["env"]) if isinstance(spec.get("env"), dict) else [],
        "header_names": sorted(str(k) for k in spec["headers"]) if isinstance(spec.get("headers"), dict) else [],
        "references": inputs,
        "secrets": [{"field": f.field, "secret_type": f.secret_type} for f in scan.found],
        "plaintext_secrets": len(scan.found),
        "repo_file": facts.repo_file,
        # field -> line of the file, so a finding can point at the line (SARIF region, hooks);
        # also as "|field=line|..." text, which portable SQL reads with INSTR and SUBSTR
        "secret_lines": {f.field: f.line for f in scan.found if f.line},
        "secret_line_index": "|" + "".join(f"{f.field}={f.line}|" for f in scan.found if f.line),
        "in_git_repo": facts.repo_root is not None,
        "repo_root": facts.repo_root,
        "git_status": facts.git_status,
        # A project config in a work tree is committed, or one `git add` away, unless ignored.
        "committed": facts.repo_root is not None and server.config_scope == "project" and facts.git_status != "ignored",
        "file_mode": f"{facts.mode:04o}",
        "world_readable": bool(facts.mode & 0o004),
        "readable_by_others": bool(facts.mode & 0o044),
    }
    return Identity(
        id=f"mcp:{facts.display}#{server.key}",
        provider=PROVIDER,
        scope=scope,
        kind="mcp_server",
        name=server.name,
        enabled=not bool(spec.get("disabled")),
        description=f"{parsed.config.client} MCP server ({server.config_scope} scope)",
        attrs=attrs,
    )


def _lock_status(facts: FileFacts, server_key: str, launch_hash: str) -> str | None:
    """locked, not_in_lock or changed against the tree's lock file; None without one."""
    if facts.lock is None or facts.lock_file is None:
        return None
    locked = facts.lock.get(f"{facts.lock_file}#{server_key}")
    if locked is None:
        return "not_in_lock"
    return "locked" if locked == launch_hash else "changed"


class SecretIndex:
    """Collects secrets across the files of one scope, merging repeats into one credential."""

    def __init__(self, salt: str):
        self.salt = salt
        self._secrets: dict[str, _Secret] = {}

    def add(self, found: list[Found], location: str, client: str, config_scope: str, committed: bool) -> None:
        key_ids = [f.key_id for f in found if f.key_id]
        for item in sorted(found, key=lambda f: f.key_id is None):  # key ids first
            # A secret key beside exactly one key id is that key's secret: one credential.
            paired = item.secret_type == "aws_secret_access_key" and len(set(key_ids)) == 1
            dedup = f"aws:{key_ids[0]}" if paired else (f"aws:{item.key_id}" if item.key_id else item.value)
            secret = self._secrets.get(dedup)
            if secret is None:
                secret = self._secrets[dedup] = _Secret(
                    dedup=dedup,
                    hashed=item.value,
                    secret_type=item.secret_type,
                    provider=item.provider,
                    detected_by=item.detected_by,
                    hint=item.hint,
                    key_id=key_ids[0] if paired else item.key_id,
                )
            if item.secret_type == "aws_secret_access_key" and secret.key_id:
                secret.has_secret = True
                secret.hashed = item.value
            secret.places.append((location, item.field, client, config_scope, committed))

    def records(self, scope: str, identity_ids: dict[str, str]) -> tuple[list[Credential], list[CredentialLocation]]:
        credentials, locations = [], []
        for secret in self._secrets.values():
            cred_id = "mcp-secret:" + secret_hash(secret.dedup, self.salt)[:24]
            first = secret.places[0][0]  # the server it was first seen in (discovery order is fixed)
            places = sorted(set(secret.places))
            files = sorted({p[0].split("#", 1)[0] for p in places})
            credentials.append(
                Credential(
                    id=cred_id,
                    identity_id=identity_ids[first],
                    provider=PROVIDER,
                    scope=scope,
                    kind="embedded_secret",
                    status="active",
                    name=secret.secret_type,
                    key_id=secret.key_id,
                    hint=secret.hint,
                    secret_hash=secret_hash(secret.hashed, self.salt),
                    attrs={
                        "secret_type": secret.secret_type,
                        "secret_provider": secret.provider,
                        "detected_by": secret.detected_by,
                        "has_secret_key": secret.has_secret if secret.key_id else None,
                        "locations": len({p[0] for p in places}),
                        "files": files,
                        "clients": sorted({p[2] for p in places}),
                        "config_scopes": sorted({p[3] for p in places}),
                        "committed": any(p[4] for p in places),
                        "user_level": any(p[3] in ("user", "local") for p in places),
                    },
                )
            )
            for location, field_name, _client, _scope, _committed in places:
                locations.append(
                    CredentialLocation(
                        credential_id=cred_id, location=location, provider=PROVIDER, scope=scope, context=field_name
                    )
                )
        return credentials, locations


def line_of(text: str, value: str) -> int:
    """The 1-based line ``value`` is written on in ``text`` (as a JSON string, escapes
    included, else verbatim); 0 when it does not appear as such. Nothing is returned but the
    number, so the value never travels further."""
    for form in (json.dumps(value)[1:-1], value):
        at = text.find(form) if form else -1
        if at >= 0:
            return text.count("\n", 0, at) + 1
    return 0


def build_batch(
    items: list[tuple[ParsedFile, FileFacts, list[tuple[ServerEntry, FieldScan]]]], scope: str, salt: str
) -> Batch:
    batch = Batch()
    index = SecretIndex(salt)
    identity_ids: dict[str, str] = {}
    for parsed, facts, servers in items:
        for server, scan in servers:
            identity = server_identity(parsed, facts, server, scan, scope)
            batch.identities.append(identity)
            location = f"{facts.display}#{server.key}"
            identity_ids[location] = identity.id
            committed = identity.attrs["committed"]
            index.add(scan.found, location, parsed.config.client, server.config_scope, committed)
    batch.credentials, batch.locations = index.records(scope, identity_ids)
    return batch
