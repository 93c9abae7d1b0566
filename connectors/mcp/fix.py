"""`nhi fix mcp`: each plaintext secret of an MCP config rewritten into the client's own
reference form, planned here (nothing is written: fix_write.py does that).

A secret is what the scan finds (detect.py, unchanged); it is replaced inside its own string
and nowhere else, so comments, trailing commas, a BOM, indentation and line endings stay as
they were. A client with no reference form in the field the secret sits in gets no rewrite:
that entry is refused, with the reason, rather than given a syntax the client would pass on
literally. The forms, from each client's documentation:

- Claude Code: ``${VAR}`` in command, args, env, url, headers of ``.mcp.json`` (its documented
  place; ``~/.claude.json`` is refused).
- Cursor: ``${env:VAR}`` in command, args, env, url, headers.
- Windsurf: ``${env:VAR}`` in command, args, env, serverUrl/url, headers.
- Gemini CLI: ``${VAR}`` in any string of settings.json.
- VS Code: ``${input:id}`` with an ``inputs`` entry (``promptString``, ``password: true``):
  VS Code asks once and keeps the value in its secret storage.
- OpenAI Codex CLI (TOML): ``env_vars`` (forwards a variable under its own name),
  ``env_http_headers``, ``bearer_token_env_var`` (fix_toml.py).
- Claude Desktop expands nothing in claude_desktop_config.json: refused.
- Claude Code's managed-mcp.json is an administrator's (deployed to a system path for every
  user): refused, wherever it is found.

A file is rewritten only if it round-trips: the span scanner reads exactly what the parser
reads, and the rewritten text parses to the same document with only those strings changed,
and scanning it again finds none of the moved secrets. Otherwise the whole file is refused.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import clients, jsonc
from .detect import scan_server
from .discovery import ConfigFile

# client -> (reference template, the entry's top-level keys the client expands; None: all)
ENV_FORMS: dict[str, tuple[str, frozenset[str] | None]] = {
    "claude_code": ("${%s}", frozenset({"command", "args", "env", "url", "headers"})),
    "cursor": ("${env:%s}", frozenset({"command", "args", "env", "url", "headers"})),
    "windsurf": ("${env:%s}", frozenset({"command", "args", "env", "url", "serverUrl", "headers"})),
    "gemini_cli": ("${%s}", None),
}
INPUT_FORMS: dict[str, tuple[str, frozenset[str] | None]] = {
    "vscode": ("${input:%s}", frozenset({"command", "args", "env", "url", "headers"})),
}
NO_FORM = {
    "claude_desktop": "Claude Desktop expands no variable in claude_desktop_config.json",
    # by format: a client's file whose expansion is not documented, though its other files' is
    "claude_code_user": "Claude Code documents ${VAR} expansion for .mcp.json, not for ~/.claude.json: "
    "move the server to a project .mcp.json, or the value by hand",
    "claude_code_managed": "managed-mcp.json is Claude Code's managed config, deployed by an administrator "
    "for every user of the machine: change it where it is deployed from",
}
NAME_RE = re.compile(r"^[A-Z_][A-Z0-9_]*$")  # the names nhi makes up
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # a name a server reads (Codex forwards it as is)
MASK = "****"


@dataclass
class Change:
    server: str
    place: str  # the field, as the scan names it: "env GITHUB_TOKEN", "args[3]"
    secret_type: str
    variable: str
    reference: str
    value: str = field(repr=False)


@dataclass
class Refused:
    server: str
    place: str
    reason: str


@dataclass
class FilePlan:
    config: ConfigFile
    display: str
    target: Path | None = None  # the regular file written (a symlink's target)
    old: str = field(default="", repr=False)
    new: str = field(default="", repr=False)
    mode: int = 0
    changes: list[Change] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    problem: str | None = None  # the whole file is refused: "code: reason"
    secrets: list[str] = field(default_factory=list, repr=False)  # every value found: masked in the diff
    kept: set[str] = field(default_factory=set, repr=False)  # values refused somewhere: they stay in the file

    @property
    def changed(self) -> bool:
        return self.problem is None and bool(self.changes) and self.new != self.old

    def diff(self, context: int = 2) -> str:
        """The unified diff, every secret found in the file shown as ****."""
        if not self.changed:
            return ""
        lines = difflib.unified_diff(
            self.old.splitlines(keepends=True),
            self.new.splitlines(keepends=True),
            fromfile=f"{self.display} (now)",
            tofile=f"{self.display} (fixed)",
            n=context,
        )
        return "".join(mask(line if line.endswith("\n") else line + "\n", self.secrets) for line in lines)


def mask(text: str, secrets: list[str]) -> str:
    """``text`` with each secret, as written and as JSON escapes it, shown as ****."""
    forms = {form for value in secrets if value for form in (value, json.dumps(value)[1:-1]) if len(form) >= 4}
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, MASK)
    return text


class Variables:
    """Names given to secret values across every file of one run: one value, one variable
    (written once), one name, one value."""

    def __init__(self) -> None:
        self.by_value: dict[str, str] = {}
        self.by_name: dict[str, str] = {}

    def copy(self) -> Variables:
        other = Variables()
        other.by_value, other.by_name = dict(self.by_value), dict(self.by_name)
        return other

    def claim(self, value: str, wanted: str, exact: bool = False) -> str | None:
        """The variable for ``value``: its name so far, else ``wanted`` (with _2, _3 ... when
        another value holds it). ``exact``: ``wanted`` or nothing (Codex forwards a variable
        under the name the server reads)."""
        if not exact and value in self.by_value:
            return self.by_value[value]
        name = wanted
        if exact:
            if self.by_name.get(name, value) != value:
                return None
        else:
            n = 2
            while self.by_name.get(name, value) != value:
                name, n = f"{wanted}_{n}", n + 1
        self.by_name[name] = value
        self.by_value.setdefault(value, name)
        return name

    def pairs(self) -> list[tuple[str, str]]:
        return list(self.by_name.items())


def sanitize(text: str) -> str:
    """Upper-case ASCII letters, digits and single underscores: nothing a shell or a config
    syntax reads specially, whatever the server's name holds."""
    return re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_")


def variable_name(server: str, field_name: str) -> str:
    """``<SERVER>_<KEY>`` (``GITHUB_TOKEN`` for server github, env GITHUB_TOKEN), from names an
    attacker may have chosen: restricted to [A-Z0-9_], at most 64 characters."""
    key = field_name
    for prefix in ("env ", "headers ", "settings "):
        key = key.removeprefix(prefix)
    s, k = sanitize(server), sanitize(key)
    name = k if s and (k == s or k.startswith(s + "_")) else "_".join(p for p in (s, k) if p)
    name = name or "MCP_SECRET"
    if name[0].isdigit():
        name = "MCP_" + name
    if len(name) > 64:
        name = name[:55] + "_" + hashlib.sha256(name.encode()).hexdigest()[:8].upper()
    assert NAME_RE.match(name)
    return name


def _naming(field_name: str, current: str, secret_type: str) -> str:
    """What a variable is named after: the flag of ``--token=V`` in args, the password or the
    user-name token of a URL, else the field."""
    if field_name.startswith(("args[", "command[")) and current.startswith("-") and "=" in current:
        return current.partition("=")[0].lstrip("-")
    if secret_type == "url_password":
        return f"{field_name} password"
    if secret_type == "url_userinfo_token":
        return f"{field_name} token"
    return field_name


def input_id(name: str) -> str:
    return name.lower().replace("_", "-")


# --- locating a finding in the document ---------------------------------------------------------
def leaves(spec: dict[str, Any]) -> list[tuple[str, jsonc.JsonPath]]:
    """Every string of an entry with the field name detect.py gives it and its path."""
    out: list[tuple[str, jsonc.JsonPath]] = []

    def walk(value: Any, name: str, path: jsonc.JsonPath) -> None:
        if isinstance(value, str):
            out.append((name, path))
        elif isinstance(value, dict):
            for key, val in value.items():
                walk(val, f"{name}.{key}", (*path, key))
        elif isinstance(value, list):
            for index, val in enumerate(value):
                walk(val, f"{name}[{index}]", (*path, index))

    for key, value in spec.items():
        if key in ("env", "headers", "settings") and isinstance(value, dict):
            for sub, val in value.items():
                if isinstance(val, str):
                    out.append((f"{key} {sub}", (key, sub)))
        elif key == "args" and isinstance(value, list):
            out += [(f"args[{i}]", ("args", i)) for i, val in enumerate(value) if isinstance(val, str)]
        else:
            walk(value, key, (key,))
    return out


def locate(spec: dict[str, Any], field_name: str) -> tuple[jsonc.JsonPath, str] | None:
    """The string a finding is in, and what the field says beyond it (`` query token``,
    `` default``, `` json private_key``), or None."""
    best: tuple[jsonc.JsonPath, str] | None = None
    best_len = -1
    for name, path in leaves(spec):
        rest = field_name[len(name) :]
        if field_name.startswith(name) and (
            rest == "" or rest.startswith(" ") or (name == "command" and rest[:1] == "[")
        ):
            if len(name) > best_len:
                best, best_len = (path, rest), len(name)
    return best


def entry_path(doc: Any, config: ConfigFile, server: clients.ServerEntry) -> jsonc.JsonPath | None:
    """Where a server's entry is in the document (the layouts of formats.py, reversed)."""
    if config.format == "claude_code_user" and server.project:
        candidates: list[jsonc.JsonPath] = [("projects", server.project, "mcpServers", server.name)]
    elif config.format == "vscode_settings":
        candidates = [("mcp", "servers", server.name), ("mcp.servers", server.name)]
    else:
        candidates = [("mcpServers", server.name), ("servers", server.name)]
    for path in candidates:
        if get(doc, path) == server.spec:
            return path
    return None


def get(doc: Any, path: jsonc.JsonPath) -> Any:
    for part in path:
        if isinstance(doc, dict) and isinstance(part, str) and part in doc:
            doc = doc[part]
        elif isinstance(doc, list) and isinstance(part, int) and 0 <= part < len(doc):
            doc = doc[part]
        else:
            return None
    return doc


def put(doc: Any, path: jsonc.JsonPath, value: Any) -> None:
    for part in path[:-1]:
        doc = doc[part]
    doc[path[-1]] = value


# --- one JSON file --------------------------------------------------------------------------------
def refuse_reason(form_fields: frozenset[str] | None, path: jsonc.JsonPath, rest: str, client: str) -> str | None:
    if rest.startswith(" default"):
        return "the secret is the default of a reference (${VAR:-...}): remove the default by hand"
    if rest.startswith(" json"):
        return "the secret is inside a JSON document in the value: move it by hand"
    if form_fields is not None and path[0] not in form_fields:
        return f"{client} expands no reference in '{path[0]}'"
    return None


def plan_json(plan: FilePlan, parsed: clients.ParsedFile, variables: Variables) -> Variables:
    """Fill ``plan`` for a JSON(C) file whose client has an env or input reference form;
    returns the variables with this file's names added (unchanged if the file is refused)."""
    client = plan.config.client
    template, form_fields = ENV_FORMS.get(client) or INPUT_FORMS[client]
    try:
        doc, spans, containers = jsonc.string_spans(plan.old)
    except jsonc.JsoncError as exc:
        plan.problem = f"not_round_trippable: {exc}"
        return variables
    names = variables.copy()
    edits: dict[jsonc.JsonPath, str] = {}  # string path -> its new value
    replaced: dict[jsonc.JsonPath, list[tuple[str, str]]] = {}  # string path -> (secret, reference)
    for server in parsed.servers:
        scan = scan_server(server.spec)
        plan.secrets += [f.value for f in scan.found]
        base = entry_path(doc, plan.config, server)
        for found in scan.found:
            where = locate(server.spec, found.field) if base is not None else None
            if base is None or where is None:
                plan.refused.append(Refused(server.key, found.field, "the value's place in the file was not found"))
                plan.kept.add(found.value)
                continue
            path, rest = (*base, *where[0]), where[1]
            reason = refuse_reason(form_fields, where[0], rest, client)
            current = edits.get(path, get(doc, path))
            if reason is None and (not isinstance(current, str) or found.value not in current):
                reason = "the secret is not written verbatim in the field (escaped or encoded)"
            if reason is not None:
                plan.refused.append(Refused(server.key, found.field, reason))
                plan.kept.add(found.value)
                continue
            name = names.claim(
                found.value, variable_name(server.name, _naming(found.field, current, found.secret_type))
            )
            assert name is not None
            if client in INPUT_FORMS and input_id(name) in parsed.inputs:
                plan.refused.append(
                    Refused(server.key, found.field, f"an input with id {input_id(name)} exists already")
                )
                plan.kept.add(found.value)
                continue
            ref = template % (input_id(name) if client in INPUT_FORMS else name)
            edits[path] = current.replace(found.value, ref)
            replaced.setdefault(path, []).append((found.value, ref))
            plan.changes.append(Change(server.key, found.field, found.secret_type, name, ref, found.value))
    if not edits:
        return variables
    text = plan.old
    for path in sorted(edits, key=lambda p: spans[p][0], reverse=True):
        start, end = spans[path]
        token = text[start:end]
        for value, ref in replaced[path]:
            token = token.replace(value, ref)
        if json.loads(token) != edits[path]:  # the secret was written with escapes: re-encode the string
            token = json.dumps(edits[path], ensure_ascii=False)
        text = text[:start] + token + text[end:]
    expected = copy.deepcopy(doc)
    for path, value in edits.items():
        put(expected, path, value)
    if client in INPUT_FORMS:
        at: jsonc.JsonPath = ("mcp",) if plan.config.format == "vscode_settings" else ()
        entries = [prompt(name) for name in dict.fromkeys(c.variable for c in plan.changes)]
        added = add_inputs(text, doc, containers, at, entries)
        if added is None:
            plan.problem, plan.changes = "no_inputs_place: the file has no object to hold VS Code's inputs", []
            return variables
        text = added
        holder = get(expected, at)
        holder["inputs"] = [*(holder.get("inputs") or []), *entries]
    problem = verify(plan, text, expected)
    if problem:
        plan.problem, plan.changes = problem, []
        return variables
    plan.new = text
    return names


def verify(plan: FilePlan, text: str, expected: Any) -> str | None:
    """Whether ``text`` parses to ``expected`` and holds none of the moved secrets."""
    try:
        if jsonc.loads(text) != expected:
            return "not_round_trippable: the rewritten file would not read as the same document"
    except jsonc.JsoncError:
        return "not_round_trippable: the rewritten file would not parse"
    return verify_scan(plan, text)


def verify_scan(plan: FilePlan, text: str) -> str | None:
    """Whether the scan, run on ``text`` as the client's file, still finds a moved secret."""
    try:
        parsed = clients.parse(plan.config, text)
    except clients.FileProblem as exc:
        return f"not_round_trippable: the rewritten file would not parse ({exc.code})"
    moved = {c.value for c in plan.changes} - plan.kept
    for server in parsed.servers:
        if any(f.value in moved for f in scan_server(server.spec).found):
            return "not_round_trippable: a moved secret would still be in the rewritten file"
    return None


# --- VS Code's inputs -------------------------------------------------------------------------------
def prompt(name: str) -> dict[str, Any]:
    """The input VS Code asks for once, and keeps in its secret storage."""
    return {
        "type": "promptString",
        "id": input_id(name),
        "description": f"{name} (moved out of this file by nhi fix mcp)",
        "password": True,
    }


def add_inputs(
    text: str,
    doc: Any,
    containers: dict[jsonc.JsonPath, tuple[int, int]],
    at: jsonc.JsonPath,
    entries: list[dict[str, Any]],
) -> str | None:
    """``text`` with ``entries`` added to the ``inputs`` array of the object at ``at`` (after
    its last element, so a trailing comma stays where it was; or a new ``inputs`` member first
    in the object). Nothing else moves. None when there is no such object."""
    holder = get(doc, at)
    if not isinstance(holder, dict) or at not in containers:
        return None
    newline = "\r\n" if "\r\n" in text else "\n"
    rendered = [json.dumps(entry, ensure_ascii=False) for entry in entries]
    inputs = holder.get("inputs")
    if inputs is None:
        brace = containers[at][0]
        indent = _indent_after(text, brace)
        items = ",".join(f"{newline}{indent}  {r}" for r in rendered)
        member = f'{newline}{indent}"inputs": [{items}{newline}{indent}]' + ("," if holder else "")
        return text[: brace + 1] + member + text[brace + 1 :]
    path = (*at, "inputs")
    if not isinstance(inputs, list) or path not in containers:
        return None
    start, end = containers[path]
    if not inputs:
        return text[: start + 1] + " " + ", ".join(rendered) + " " + text[start + 1 :]
    last = (*path, len(inputs) - 1)
    last_end = (containers.get(last) or (0, -1))[1]
    if last_end < 0:
        return None  # the last input is not an object: not one of VS Code's
    indent = _indent_before(text, containers[last][0])
    return text[:last_end] + "".join(f",{newline}{indent}{r}" for r in rendered) + text[last_end:]


def _indent_after(text: str, brace: int) -> str:
    """The indentation of the first member after an opening brace (two spaces if inline)."""
    match = re.compile(r"\r?\n([ \t]*)\S").search(text, brace)
    return match.group(1) if match else "  "


def _indent_before(text: str, at: int) -> str:
    line_start = text.rfind("\n", 0, at) + 1
    prefix = text[line_start:at]
    return prefix if not prefix.strip() else " " * 4
