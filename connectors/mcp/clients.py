"""The MCP get layer: reading one config file and listing its MCP servers, or saying precisely
why not (discovery.py finds the files).

Every failure is a :class:`FileProblem` with a short code (``unreadable``, ``symlink_loop``,
``too_large``, ``not_a_file``, ``not_utf8``, ``malformed_json``, ``unexpected_shape``,
``too_deep``, ``too_many_keys``, ``too_many_servers``) and a message that names a position or an OS error, never the file's content. The connector turns
each into a gap for that file and goes on with the next one.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import jsonc
from .discovery import ConfigFile


class FileProblem(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Limits:
    """What one file may hold (McpSettings.max_nesting, max_servers, max_keys)."""

    max_nesting: int = 64
    max_servers: int = 1_000
    max_keys: int = 1_000_000

    @classmethod
    def of(cls, settings: Any) -> Limits:
        return cls(
            **{
                name: getattr(settings, name)
                for name in ("max_nesting", "max_servers", "max_keys")
                if hasattr(settings, name)
            }
        )


@dataclass
class ServerEntry:
    name: str
    spec: dict[str, Any]
    config_scope: str  # user, project, local
    project: str | None = None  # Claude Code local scope: the project path it applies to
    key: str = ""  # unique within the file: name, or "<project>::<name>"


@dataclass
class ParsedFile:
    config: ConfigFile
    servers: list[ServerEntry] = field(default_factory=list)
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)  # VS Code inputs by id
    projects: list[str] = field(default_factory=list)  # Claude Code: projects it knows
    mode: int = 0


def read_text(path: Path, max_bytes: int) -> tuple[str, int]:
    """The file's text and permission bits; FileProblem for anything unusual."""
    try:
        info = os.stat(path)  # follows symlinks: dotfile managers link configs
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise FileProblem("symlink_loop", "too many levels of symbolic links") from None
        if exc.errno == errno.ENOENT:
            raise FileProblem("missing", "no such file (broken symlink?)") from None
        raise FileProblem("unreadable", os.strerror(exc.errno or 0) or type(exc).__name__) from None
    if not stat.S_ISREG(info.st_mode):
        raise FileProblem("not_a_file", "not a regular file")
    if info.st_size > max_bytes:
        raise FileProblem("too_large", f"{info.st_size} bytes is over the {max_bytes}-byte limit")
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise FileProblem("unreadable", os.strerror(exc.errno or 0) or type(exc).__name__) from None
    if len(data) > max_bytes:
        raise FileProblem("too_large", f"over the {max_bytes}-byte limit")
    try:
        return data.decode("utf-8"), stat.S_IMODE(info.st_mode)
    except UnicodeDecodeError as exc:
        raise FileProblem("not_utf8", f"invalid UTF-8 at byte {exc.start}") from None


def check_shape(doc: Any, limits: Limits) -> None:
    """Depth and key count of a parsed document, walked without recursion."""
    stack, keys = [(doc, 1)], 0
    while stack:
        value, depth = stack.pop()
        if depth > limits.max_nesting:
            raise FileProblem("too_deep", f"nested deeper than {limits.max_nesting} levels (max_nesting)")
        if isinstance(value, dict):
            keys += len(value)
            if keys > limits.max_keys:
                raise FileProblem("too_many_keys", f"more than {limits.max_keys} keys (max_keys)")
            stack.extend((v, depth + 1) for v in value.values() if isinstance(v, (dict, list)))
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value if isinstance(v, (dict, list)))


def parse(config: ConfigFile, text: str, limits: Limits = Limits()) -> ParsedFile:
    try:
        doc = jsonc.loads(text) if text.strip() else {}
    except jsonc.JsoncError as exc:
        raise FileProblem("malformed_json", str(exc)) from None
    except RecursionError:  # deeper than the json module itself can go
        raise FileProblem("too_deep", f"nested deeper than {limits.max_nesting} levels (max_nesting)") from None
    if not isinstance(doc, dict):
        raise FileProblem("unexpected_shape", "the top level is not a JSON object")
    check_shape(doc, limits)
    parsed = ParsedFile(config)
    _parse_servers(parsed, doc, config)
    if len(parsed.servers) > limits.max_servers:
        raise FileProblem(
            "too_many_servers",
            f"{len(parsed.servers)} MCP servers, over the limit of {limits.max_servers} (max_servers)",
        )
    return parsed


def _parse_servers(parsed: ParsedFile, doc: dict, config: ConfigFile) -> None:
    fmt = config.format
    if fmt == "any":
        fmt = "servers" if isinstance(doc.get("servers"), dict) and "mcpServers" not in doc else "mcpServers"
    if fmt == "mcpServers":
        _servers(parsed, doc.get("mcpServers"), config.config_scope)
    elif fmt == "servers":
        _servers(parsed, doc.get("servers"), config.config_scope)
        _inputs(parsed, doc.get("inputs"))
    elif fmt == "vscode_settings":
        mcp = doc.get("mcp") if isinstance(doc.get("mcp"), dict) else {}
        _servers(parsed, mcp.get("servers") or doc.get("mcp.servers"), config.config_scope)
        _inputs(parsed, mcp.get("inputs"))
    elif fmt == "claude_code_user":
        _servers(parsed, doc.get("mcpServers"), "user")
        projects = doc.get("projects") if isinstance(doc.get("projects"), dict) else {}
        for project, section in projects.items():
            parsed.projects.append(project)
            if isinstance(section, dict):
                _servers(parsed, section.get("mcpServers"), "local", project=project)


def _servers(parsed: ParsedFile, section: Any, scope: str, project: str | None = None) -> None:
    if section is None:
        return
    if not isinstance(section, dict):
        raise FileProblem("unexpected_shape", "the servers section is not a JSON object")
    for name, spec in section.items():
        if not isinstance(spec, dict):
            continue  # a stray value is not a server; nothing to inventory
        key = f"{project}::{name}" if project else str(name)
        parsed.servers.append(ServerEntry(str(name), spec, scope, project, key))


def _inputs(parsed: ParsedFile, inputs: Any) -> None:
    if isinstance(inputs, list):
        for item in inputs:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                parsed.inputs[item["id"]] = item
