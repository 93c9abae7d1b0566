"""Each client's config syntax and layout, read into one server form (get layer, no I/O).

Every client names the same things differently: Goose's ``cmd``/``envs``/``uri``, Codex's
``[mcp_servers.x]`` with ``http_headers`` and ``bearer_token_env_var``, Zed's
``context_servers`` (and its older ``command: {path, args, env}``), Continue's YAML list, the
JetBrains AI Assistant's XML options. Each entry becomes the common form the detector and
the transform read: ``command``, ``args``, ``env``, ``headers``, ``url``, ``type``,
``disabled``, plus whatever else the entry holds (scanned for known key formats). A setting
that names an environment variable instead of holding a value (Codex ``env_http_headers``,
Goose ``env_keys``) becomes a ``${NAME}`` reference, so it is recorded as one.

Errors name a line and column (or nothing), never the file's text: it may hold a secret.
"""

from __future__ import annotations

import re
import shlex
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import yaml

from nhi_cli import yaml_safe

from . import jsonc


class FormatError(ValueError):
    """The text is not valid in its syntax; ``code`` names the syntax (malformed_json, ...)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


# --- syntaxes ---------------------------------------------------------------------------------
def load_json(text: str) -> Any:
    try:
        return jsonc.loads(text)
    except jsonc.JsoncError as exc:
        raise FormatError("malformed_json", str(exc)) from None


def load_toml(text: str) -> Any:
    try:
        return tomllib.loads(text.lstrip("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message ends with "(at line L, column C)" and quotes no content
        where = re.search(r"\(at (?:line \d+, column \d+|end of document)\)", str(exc))
        raise FormatError("malformed_toml", f"invalid TOML {where.group(0) if where else ''}".strip()) from None


def load_yaml(text: str) -> Any:
    try:
        return yaml_safe.load(text.lstrip("\ufeff"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        raise FormatError("malformed_yaml", f"invalid YAML{where}") from None


def load_xml(text: str) -> Any:
    """An element tree. A DOCTYPE is refused outright: no entity of any kind is expanded, so a
    file can neither pull in another file nor grow by entity expansion."""
    if re.search(r"<!DOCTYPE|<!ENTITY", text, re.I):
        raise FormatError("malformed_xml", "a DOCTYPE or entity declaration (not read)")
    try:
        return ET.fromstring(text.lstrip("\ufeff"))
    except ET.ParseError as exc:
        line, column = exc.position
        raise FormatError("malformed_xml", f"invalid XML at line {line} column {column + 1}") from None


SYNTAX: dict[str, Callable[[str], Any]] = {"json": load_json, "toml": load_toml, "yaml": load_yaml, "xml": load_xml}


# --- layouts ----------------------------------------------------------------------------------
# One entry: (server name, its spec in the common form, config scope, project or None). The spec
# is the raw value when it is no mapping (or None when unreadable): clients.parse reports those.
Entry = tuple[str, dict[str, Any] | Any, str, str | None]


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _map(section: Any, what: str = "the servers section") -> dict[str, Any]:
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise FormatError("unexpected_shape", f"{what} is not an object")
    return section


def _servers(section: Any, scope: str, project: str | None = None) -> list[Entry]:
    """Every named entry, objects or not: an entry of another shape (null, a string) is not
    read, and clients.parse reports it rather than dropping it unseen."""
    return [(str(name), _request_init(spec), scope, project) for name, spec in _map(section).items()]


def _request_init(spec: Any) -> Any:
    """Copilot in JetBrains, Xcode and Eclipse (and Tabnine) nest a remote server's headers in
    ``requestInit.headers``, fetch()-style: they are its headers like anyone else's."""
    init = spec.get("requestInit") if isinstance(spec, dict) else None
    if not isinstance(init, dict) or not isinstance(init.get("headers"), dict):
        return spec
    rest = {k: v for k, v in init.items() if k != "headers"}
    return _common(spec, headers=_merge(spec.get("headers"), init["headers"]), requestInit=rest or None)


def _refs(names: Any) -> dict[str, str]:
    """Environment variable names as references (``${NAME}``)."""
    if isinstance(names, dict):
        return {str(k): f"${{{v}}}" for k, v in names.items() if isinstance(v, str)}
    if isinstance(names, list):
        return {str(v): f"${{{v}}}" for v in names if isinstance(v, str)}
    return {}


def _merge(*maps: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in maps:
        if isinstance(m, dict):
            for key, value in m.items():
                out.setdefault(str(key), value)
    return out


def _common(spec: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """``spec`` with the common fields set (None drops a field) and the client's own names of
    them removed; every other key is kept, so its text is still scanned."""
    drop = fields.pop("_drop", ())
    out = {k: v for k, v in spec.items() if k not in drop}
    for key, value in fields.items():
        if value is None or value == {} or value == []:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def layout_mcp_servers(doc: dict[str, Any], scope: str) -> list[Entry]:
    return _servers(doc.get("mcpServers"), scope)


def layout_servers(doc: dict[str, Any], scope: str) -> list[Entry]:
    return _servers(doc.get("servers"), scope)


def layout_any(doc: dict[str, Any], scope: str) -> list[Entry]:
    if isinstance(doc.get("servers"), dict) and "mcpServers" not in doc:
        return layout_servers(doc, scope)
    return layout_mcp_servers(doc, scope)


def layout_vscode_settings(doc: dict[str, Any], scope: str) -> list[Entry]:
    mcp = _obj(doc.get("mcp"))
    return _servers(mcp.get("servers") or doc.get("mcp.servers"), scope)


def layout_claude_code_user(doc: dict[str, Any], scope: str) -> list[Entry]:
    out = _servers(doc.get("mcpServers"), "user")
    projects = _obj(doc.get("projects"))
    for project, section in projects.items():
        if isinstance(section, dict):
            out += _servers(section.get("mcpServers"), "local", project=project)
    return out


def layout_codex_toml(doc: dict[str, Any], scope: str) -> list[Entry]:
    """``[mcp_servers.<name>]``: command/args/env (``env_vars`` forwards variables by name),
    or url with ``bearer_token_env_var``, ``http_headers`` and ``env_http_headers`` (an inline
    ``bearer_token``, which current Codex rejects, stays under its own name and is scanned)."""
    out: list[Entry] = []
    for name, spec in _map(doc.get("mcp_servers"), "mcp_servers").items():
        if not isinstance(spec, dict):  # clients.parse reports it, rather than dropping it unseen
            out.append((str(name), spec, scope, None))
            continue
        headers = _merge(spec.get("http_headers"), _refs(spec.get("env_http_headers")))
        if isinstance(spec.get("bearer_token_env_var"), str):
            headers.setdefault("Authorization", f"Bearer ${{{spec['bearer_token_env_var']}}}")
        common = _common(
            spec,
            env=_merge(spec.get("env"), _refs(spec.get("env_vars"))),
            headers=headers,
            disabled=True if spec.get("enabled") is False else None,
            _drop=("http_headers", "env_http_headers", "bearer_token_env_var", "env_vars"),
        )
        out.append((str(name), common, scope, None))
    return out


def layout_zed_settings(doc: dict[str, Any], scope: str) -> list[Entry]:
    """``context_servers``: ``command`` as a string with args/env, or the older object form
    ``{path, args, env}``; remote ``url`` and ``headers``; an extension's ``settings``."""
    out: list[Entry] = []
    for name, spec in _map(doc.get("context_servers"), "context_servers").items():
        if not isinstance(spec, dict):
            out.append((str(name), spec, scope, None))  # not read: clients.parse reports it
            continue
        command = spec.get("command")
        fields: dict[str, Any] = {"disabled": True if spec.get("enabled") is False else None}
        if isinstance(command, dict):
            fields.update(command=command.get("path"), args=command.get("args"), env=command.get("env"))
        out.append((str(name), _common(spec, **fields), scope, None))
    return out


def _continue_entry(item: dict[str, Any], index: int, scope: str) -> Entry:
    options = _obj(item.get("requestOptions"))
    name = item["name"] if isinstance(item.get("name"), str) and item["name"] else f"mcpServers[{index}]"
    spec = _common(item, headers=_merge(item.get("headers"), options.get("headers")))
    return (name, spec, scope, None)


def layout_continue_yaml(doc: dict[str, Any], scope: str) -> list[Entry]:
    """config.yaml and block files: ``mcpServers`` is a list of named entries."""
    servers = doc.get("mcpServers")
    if isinstance(servers, dict):  # a JSON-style map pasted into YAML: Continue reads it too
        return _servers(servers, scope)
    if servers is not None and not isinstance(servers, list):
        raise FormatError("unexpected_shape", "mcpServers is not a list")
    return [
        _continue_entry(item, i, scope) if isinstance(item, dict) else (f"mcpServers[{i}]", item, scope, None)
        for i, item in enumerate(servers or [])
    ]  # an entry of another shape is not read: clients.parse reports it


def layout_continue_json(doc: dict[str, Any], scope: str) -> list[Entry]:
    """The deprecated config.json: ``experimental.modelContextProtocolServers[].transport``."""
    experimental = _obj(doc.get("experimental"))
    servers = experimental.get("modelContextProtocolServers")
    out: list[Entry] = []
    for index, item in enumerate(servers if isinstance(servers, list) else []):
        if isinstance(item, dict) and isinstance(item.get("transport"), dict):
            name = item["name"] if isinstance(item.get("name"), str) else f"modelContextProtocolServers[{index}]"
            out.append((name, dict(item["transport"]), scope, None))
    return out


GOOSE_NOT_SERVERS = {"builtin", "platform", "frontend", "inline_python"}  # run inside goose


def layout_goose_yaml(doc: dict[str, Any], scope: str) -> list[Entry]:
    """``extensions:``: stdio entries have ``cmd``/``args``/``envs`` (``env_keys`` name
    variables kept in goose's keyring), remote ones ``uri`` and ``headers``."""
    out: list[Entry] = []
    for name, spec in _map(doc.get("extensions"), "extensions").items():
        if not isinstance(spec, dict):
            out.append((str(name), spec, scope, None))  # not read: clients.parse reports it
            continue
        if spec.get("type") in GOOSE_NOT_SERVERS:
            continue
        kind = spec.get("type")
        common = _common(
            spec,
            command=value if isinstance(value := spec.get("cmd"), str) else None,
            env=_merge(spec.get("envs"), _refs(spec.get("env_keys"))),
            url=value if isinstance(value := spec.get("uri"), str) else None,
            type={"streamable_http": "http"}.get(kind, kind) if isinstance(kind, str) else None,
            disabled=True if spec.get("enabled") is False else None,
            _drop=("cmd", "envs", "env_keys", "uri"),
        )
        out.append((str(name), common, scope, None))
    return out


JETBRAINS_COMPONENTS = {"McpApplicationServerCommands", "McpProjectServerCommands"}


# Options of an entry that say nothing about how the server is started.
JETBRAINS_STATE = frozenset({"name", "enabled", "source", "userOverride", "allowedToolsNames", "workingDirectory"})


def layout_jetbrains_xml(root: Any, scope: str) -> list[Entry]:
    """AI Assistant's options (``llm.mcpServers.xml``, a project's ``.idea/workspace.xml``):
    each server entry of the MCP component carries ``<option name=... value=...>`` for its
    name, program and arguments (or URL), and name/value lists for its environment and
    headers. Entries that hold only a name and state (2025.3 and later keep the definition in
    ``.ai/mcp/mcp.json``: name, enabled, source, userOverride, allowedToolsNames) are not
    servers here; an entry without a name, or with a definition
    but no program or URL, is passed on unread (clients.parse reports it, never drops it)."""
    out: list[Entry] = []
    for component in root.iter("component"):
        if component.get("name") not in JETBRAINS_COMPONENTS:
            continue
        entries = []
        for child in component:
            entries += list(child) if child.tag in ("commands", "urls") else [child]
        for index, entry in enumerate(entries):
            server = _jetbrains_server(entry, scope)
            if server is None:
                continue
            if server[1] is None and not server[0]:
                server = (f"{entry.tag}[{index}]", None, scope, None)
            out.append(server)
    return out


def _jetbrains_server(entry: Any, scope: str) -> tuple[str, Any, str, None] | None:
    """The entry's server; (name, None, ...) for one that cannot be read; None for state."""
    options: dict[str, str] = {}
    lists: dict[str, dict[str, str]] = {"env": {}, "headers": {}}

    def visit(node: Any, into: dict[str, str] | None) -> None:
        label = node.get("name") if node.tag == "option" else node.tag
        key = node.get("name") or node.get("key")
        value = node.get("value")
        if into is not None:
            if key and value is not None:
                into.setdefault(key, value)
        elif label in ("envs", "env", "environment"):
            into = lists["env"]
        elif label == "headers":
            into = lists["headers"]
        elif node.tag == "option" and key and value is not None:
            options.setdefault(key, value)
        for child in node:
            visit(child, into)

    visit(entry, None)
    name = options.get("name")
    command = options.get("programPath") or options.get("command")
    url = options.get("url") or options.get("serverUrl")
    if not name or not (command or url):
        # a definition left without its program or URL (or its name) is reported; an entry of
        # state only, or one left blank in the settings dialog, has nothing to read
        defined = (
            any(value.strip() for key, value in options.items() if key not in JETBRAINS_STATE)
            or lists["env"]
            or lists["headers"]
            or (entry.text or "").strip()
        )
        return (name or "", None, scope, None) if defined else None
    spec: dict[str, Any] = {}
    if command:
        spec["command"] = command
        try:
            spec["args"] = shlex.split(options.get("arguments", ""))
        except ValueError:
            spec["args"] = options.get("arguments", "").split()
    if url:
        spec["url"] = url
    if lists["env"]:
        spec["env"] = lists["env"]
    if lists["headers"]:
        spec["headers"] = lists["headers"]
    if options.get("enabled") == "false":
        spec["disabled"] = True
    return (name, spec, scope, None)


# format -> (syntax, layout)
FORMATS: dict[str, tuple[str, Callable[[Any, str], list[Entry]]]] = {
    "mcpServers": ("json", layout_mcp_servers),
    "servers": ("json", layout_servers),
    "any": ("json", layout_any),
    "vscode_settings": ("json", layout_vscode_settings),
    "claude_code_user": ("json", layout_claude_code_user),
    "claude_code_managed": ("json", layout_mcp_servers),  # managed-mcp.json: .mcp.json's layout
    "codex_toml": ("toml", layout_codex_toml),
    "zed_settings": ("json", layout_zed_settings),
    "continue_yaml": ("yaml", layout_continue_yaml),
    "continue_json": ("json", layout_continue_json),
    "goose_yaml": ("yaml", layout_goose_yaml),
    "jetbrains_xml": ("xml", layout_jetbrains_xml),
}
