"""The MCP allow-list of a repository: ``nhi-mcp.lock.json``, committed beside its configs.

``nhi mcp lock [DIR]`` writes one entry per server of the directory's MCP configs: the config
file (relative to DIR), the server name and client, the transport, the command or the URL
(scheme, host and path only), the package and its version, and ``launch_hash``: a hash of the
command and arguments with every secret found in them replaced, the URL, and the names of the
env variables and headers. No value of a secret, env variable or header is in the file.

``nhi scan --mcp-path DIR`` reads the lock beside the configs: a server not in it is
``lock_status: not_in_lock``, a server whose launch hash differs is ``changed``, the others
``locked`` (rules ``mcp_server_not_in_lock``, ``mcp_server_launch_changed``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nhi_cli.files import write_private

from . import clients, discovery, hygiene
from .detect import scan_server
from .transform import safe_url

LOCK_NAME = "nhi-mcp.lock.json"
VERSION = 1


class LockError(ValueError):
    """The lock file cannot be read; the message names the file and a position, no content."""


@dataclass(frozen=True)
class LockResult:
    path: Path
    servers: int
    files: int
    problems: list[tuple[str, str]]  # (file, code) of configs that could not be read


def _key(file: str, server: str) -> str:
    return f"{file}#{server}"


def entries(root: Path, max_bytes: int = 20_000_000) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """The lock entries of every config under ``root`` (sorted), and the files that failed."""
    out, problems = [], []
    for config in discovery.walk(root):
        rel = config.path.relative_to(root).as_posix()
        try:
            text, _mode = clients.read_text(config.path, max_bytes)
            parsed = clients.parse(config, text)
        except clients.FileProblem as problem:
            problems.append((rel, problem.code))
            continue
        for server in parsed.servers:
            scan = scan_server(server.spec)
            values = [f.value for f in scan.found]
            spec = server.spec
            url = safe_url(spec.get("url") or spec.get("serverUrl") or spec.get("httpUrl"), values)
            launched = hygiene.launch(spec, url)
            command = value if isinstance(value := spec.get("command"), str) else None
            out.append(
                {
                    "file": rel,
                    "server": server.key,
                    "client": config.client,
                    "command": hygiene.redact_words([command], values)[0] if command else None,
                    "url": url,
                    "package": launched["package"],
                    "version": launched["version"],
                    "launch_hash": hygiene.launch_hash(spec, url, values),
                }
            )
    out.sort(key=lambda e: (e["file"], e["server"]))
    return out, problems


def write_lock(root: Path, target: Path | None = None) -> LockResult:
    """Write the lock of ``root``'s configs (to ``root/nhi-mcp.lock.json`` by default)."""
    servers, problems = entries(root)
    target = target or root / LOCK_NAME
    doc = {"version": VERSION, "generated_by": "nhi mcp lock", "servers": servers}
    write_private(target, json.dumps(doc, indent=2, sort_keys=True) + "\n", "the MCP lock file")
    return LockResult(target, len(servers), len({s["file"] for s in servers}), problems)


def read_lock(path: Path) -> dict[str, str] | None:
    """``file#server`` -> launch hash of a lock file, or None when there is none."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LockError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        doc = json.loads(text)
        servers = doc["servers"]
        return {_key(s["file"], s["server"]): s["launch_hash"] for s in servers}
    except (ValueError, KeyError, TypeError) as exc:
        where = f" at line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise LockError(f"{path}: not an nhi MCP lock file{where}") from None
