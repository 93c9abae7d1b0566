"""The MCP get layer: reading one config file and listing its MCP servers, or saying precisely
why not (discovery.py finds the files).

Every failure is a :class:`FileProblem` with a short code (``unreadable``, ``symlink_loop``,
``too_large``, ``not_a_file``, ``not_utf8``, ``empty``, ``malformed_json``, ``malformed_toml``,
``malformed_yaml``, ``malformed_xml``, ``unexpected_shape``, ``too_deep``, ``too_many_keys``,
``too_many_servers``) and a message that names a position or an OS error, never the file's
content. The connector turns each into a gap for that file and goes on with the next one.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import formats
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
    unreadable: list[str] = field(default_factory=list)  # keys of server entries that are not objects


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
    """The servers of one file in the common form (formats.py), or a FileProblem. An empty
    file (or one of only whitespace) is reported as such: a client reads it as broken, not as
    a config without servers."""
    if not text.strip() or text.strip() == "\ufeff":
        raise FileProblem("empty", "the file is empty")
    syntax, layout = formats.FORMATS.get(config.format, formats.FORMATS["any"])
    try:
        doc = formats.SYNTAX[syntax](text)
    except formats.FormatError as exc:
        raise FileProblem(exc.code, str(exc)) from None
    except RecursionError:  # deeper than the parser itself can go
        raise FileProblem("too_deep", f"nested deeper than {limits.max_nesting} levels (max_nesting)") from None
    if syntax != "xml":
        if not isinstance(doc, dict):
            raise FileProblem("unexpected_shape", f"the top level is not a {syntax.upper()} object")
        check_shape(doc, limits)
    parsed = ParsedFile(config)
    try:
        entries = layout(doc, config.config_scope)
    except formats.FormatError as exc:
        raise FileProblem(exc.code, str(exc)) from None
    for name, spec, scope, project in entries:
        key = f"{project}::{name}" if project else name
        if not isinstance(spec, dict):
            parsed.unreadable.append(key)
            continue
        parsed.servers.append(ServerEntry(name, spec, scope, project, key))
        if project and project not in parsed.projects:
            parsed.projects.append(project)
    if config.format == "claude_code_user" and isinstance(doc.get("projects"), dict):
        parsed.projects = [str(p) for p in doc["projects"]]
    if syntax == "json":
        mcp = doc.get("mcp") if isinstance(doc.get("mcp"), dict) else {}
        _inputs(parsed, doc.get("inputs") if config.format != "vscode_settings" else mcp.get("inputs"))
    if len(parsed.servers) > limits.max_servers:
        raise FileProblem(
            "too_many_servers",
            f"{len(parsed.servers)} MCP servers, over the limit of {limits.max_servers} (max_servers)",
        )
    return parsed


def _inputs(parsed: ParsedFile, inputs: Any) -> None:
    if isinstance(inputs, list):
        for item in inputs:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                parsed.inputs[item["id"]] = item
