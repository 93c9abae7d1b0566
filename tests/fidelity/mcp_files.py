"""MCP client config files as lists of server entries and back, for the mutation test: JSON
(with comments) and YAML through their libraries, Codex's TOML and JetBrains AI Assistant's
XML through the small writers here (no TOML writer is a dependency), so that a mutated entry
reaches the connector's real parser in the syntax the client writes.

TOML has no null: a ``None`` field is left out (as a missing one), a ``None`` server entry is
written as ``false`` (another value that is not a table). A JetBrains entry is its options by
name (``{"name": ..., "programPath": ..., "arguments": ...}``) plus ``envs``, a name -> value map;
a mutated value is written as XML can hold it (a scalar as text, a list or map as children), a
mutated whole entry as an element holding that value's JSON as text.
"""

from __future__ import annotations

import json
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

SECTIONS = ("mcpServers", "servers", "context_servers", "extensions", "mcp_servers")  # Zed, Goose, Codex
JETBRAINS_LISTS = ("envs", "headers")


class McpFile:
    """One file: its document, the key of its servers section, and the entries in order."""

    def __init__(self, suffix: str, doc: Any, section: str | None, names: list[str] | None, items: list[Any]):
        self.suffix, self.doc, self.section, self.names, self.items = suffix, doc, section, names, items

    def dump(self, items: list[Any]) -> str:
        if self.suffix == ".xml":
            return _jetbrains_dump(items)
        entries = items if self.names is None else dict(zip(self.names, items, strict=True))
        doc = {**self.doc, self.section: entries}
        if self.suffix == ".toml":
            return _toml_dump(doc)
        if self.suffix == ".json":
            return json.dumps(doc)
        import yaml

        return yaml.safe_dump(doc)


def load(path: Path) -> McpFile | None:
    """The file's servers, or None when it holds no servers section this test mutates."""
    text = path.read_text()
    if path.suffix == ".xml":
        items = _jetbrains_load(text)
        return McpFile(".xml", None, None, None, items) if items else None
    if path.suffix == ".toml":
        doc = tomllib.loads(text)
    elif path.suffix == ".json":
        from nhi_connectors.mcp import jsonc

        doc = jsonc.loads(text)  # JSON may hold comments
    elif path.suffix == ".yaml":
        import yaml

        doc = yaml.safe_load(text)
    else:
        return None
    section = next((k for k in SECTIONS if isinstance(doc, dict) and doc.get(k)), None)
    if section is None or not isinstance(doc[section], (dict, list)):
        return None
    entries = doc[section]
    names = list(entries) if isinstance(entries, dict) else None
    return McpFile(path.suffix, doc, section, names, list(entries.values() if names is not None else entries))


# --- TOML: every table inline, on one line (valid TOML 1.0) ----------------------------------
def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string takes JSON's escapes
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value if v is not None) + "]"
    if isinstance(value, dict):
        pairs = (f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in value.items() if v is not None)
        return "{" + ", ".join(pairs) + "}"
    raise TypeError(type(value))


def _toml_dump(doc: dict[str, Any]) -> str:
    lines = []
    for key, value in doc.items():
        if isinstance(value, dict):  # the servers section: a null entry becomes false
            value = {k: (False if v is None else v) for k, v in value.items()}
        if value is not None:
            lines.append(f"{json.dumps(key)} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


# --- JetBrains XML --------------------------------------------------------------------------
def _jetbrains_load(text: str) -> list[dict[str, Any]]:
    items = []
    for entry in ET.fromstring(text).iter("McpServerCommand"):
        item: dict[str, Any] = {}
        for child in entry:
            if child.tag == "option" and child.get("name"):
                item[child.get("name")] = child.get("value")
            elif child.tag in JETBRAINS_LISTS:
                item[child.tag] = {e.get("name"): e.get("value") for e in child}
        items.append(item)
    return items


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _jetbrains_entry(parent: ET.Element, item: Any) -> None:
    entry = ET.SubElement(parent, "McpServerCommand")
    if not isinstance(item, dict):  # a mutated whole entry: its JSON as the element's text
        entry.text = json.dumps(item)
        return
    for name, value in item.items():
        if name in JETBRAINS_LISTS and isinstance(value, dict):
            block = ET.SubElement(entry, name)
            for key, val in value.items():
                ET.SubElement(block, name[:-1] if name.endswith("s") else name, name=str(key), value=_text(val))
            continue
        option = ET.SubElement(entry, "option", name=name)
        if isinstance(value, list):
            holder = ET.SubElement(option, "list")
            for val in value:
                ET.SubElement(holder, "option", value=_text(val))
        elif isinstance(value, dict):
            holder = ET.SubElement(option, "map")
            for key, val in value.items():
                ET.SubElement(holder, "entry", key=str(key), value=_text(val))
        elif value is not None:
            option.set("value", _text(value))


def _jetbrains_dump(items: list[Any]) -> str:
    root = ET.Element("application")
    commands = ET.SubElement(ET.SubElement(root, "component", name="McpApplicationServerCommands"), "commands")
    for item in items:
        _jetbrains_entry(commands, item)
    return ET.tostring(root, encoding="unicode")
