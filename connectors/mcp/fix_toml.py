"""`nhi fix mcp` on OpenAI Codex CLI's config.toml: Codex expands no ``${VAR}`` in a value; it
takes a secret from the environment by name instead (its documented settings, read by
formats.layout_codex_toml too):

- ``env.NAME = "secret"`` -> ``env_vars = ["NAME"]``: the variable is forwarded under the name
  the server reads, so the variable is NAME itself (refused if another value already holds it);
- ``http_headers.H = "secret"`` -> ``env_http_headers = { H = "VAR" }``;
- ``http_headers.Authorization = "Bearer secret"`` or an inline ``bearer_token`` ->
  ``bearer_token_env_var = "VAR"``.

A secret in ``args``, ``command`` or the URL has no such setting: refused. The file is edited
with tomlkit, which keeps comments and layout; it is refused unless tomlkit writes the
unchanged document back byte for byte, and the result must read (tomllib) as the original
with exactly these keys moved. What tomlkit cannot keep is refused too (``faithful``): a
comment on the line of a key that moves (tomlkit drops it with the key), and any changed line
that holds no moved secret and is not one of the keys nhi writes (a multi-line string holding
the secret, say). A file whose every line ends in CRLF gets CRLF on the lines tomlkit adds
(it writes LF), an added key goes after its table's last key line (not below
the comments of the next table), indented as the table's other keys.
"""

from __future__ import annotations

import copy
import difflib
import re
import tomllib
from collections import Counter
from collections.abc import Callable
from typing import Any

from . import clients
from .detect import scan_server
from .fix import ENV_NAME_RE, Change, FilePlan, Refused, Variables, variable_name, verify_scan


def plan_toml(plan: FilePlan, parsed: clients.ParsedFile, variables: Variables) -> Variables:
    try:
        import tomlkit
    except ImportError:
        plan.problem = "needs_tomlkit: pip install 'nhi-cli[toml-fix]' to rewrite TOML configs"
        return variables
    bom = "\ufeff" if plan.old.startswith("\ufeff") else ""
    body = plan.old[len(bom) :]
    try:
        doc = tomlkit.parse(body)
        same = doc.as_string() == body
    except Exception:  # noqa: BLE001 -- tomlkit refusing what tomllib read: not round-trippable
        same = False
    if not same:
        plan.problem = "not_round_trippable: the TOML library would not write this file back unchanged"
        return variables
    plain = tomllib.loads(body)
    expected = copy.deepcopy(plain)
    names = variables.copy()
    section = plain.get("mcp_servers")
    servers: dict[str, Any] = section if isinstance(section, dict) else {}
    for server in parsed.servers:
        scan = scan_server(server.spec)
        plan.secrets += [f.value for f in scan.found]
        raw = servers.get(server.name)
        for found in scan.found:
            edit = _edit(raw, server.name, found.field, found.value, names)
            if isinstance(edit, str):
                plan.refused.append(Refused(server.key, found.field, edit))
                plan.kept.add(found.value)
                continue
            name, apply = edit
            apply(doc["mcp_servers"][server.name], False)
            apply(expected["mcp_servers"][server.name], True)
            plan.changes.append(Change(server.key, found.field, found.secret_type, name, name, found.value))
    if not plan.changes:
        return variables
    text = bom + _line_endings(plan.old, doc.as_string())
    try:
        result = tomllib.loads(text[len(bom) :])
        if result != expected:
            problem: str | None = (
                "not_round_trippable: the rewritten file would not read as the intended document "
                f"({_difference(expected, result)} would differ: the TOML library rewrites it)"
            )
        else:
            problem = faithful(plan.old, text, [c.value for c in plan.changes]) or verify_scan(plan, text)
    except tomllib.TOMLDecodeError:
        problem = "not_round_trippable: the rewritten file would not parse"
    if problem:
        plan.problem, plan.changes = problem, []
        return variables
    plan.new = text
    return names


LINE_RE = re.compile(r"[^\n]*\n|[^\n]+")
WRITTEN = ("env_vars", "env_http_headers", "bearer_token_env_var")  # the keys nhi adds or extends


def _line_endings(old: str, new: str) -> str:
    """``new`` with CRLF line ends where every line of ``old`` ends so (tomlkit adds LF lines)."""
    if "\r\n" in old and old.count("\n") == old.count("\r\n"):
        return new.replace("\r\n", "\n").replace("\n", "\r\n")
    return new


def faithful(old: str, new: str, moved: list[str]) -> str | None:
    """Why ``new`` is not ``old`` with only the moved keys changed, or None: every comment
    kept, and every changed or removed line one that held a moved secret (in a string written
    on it or across it) or a key nhi writes."""
    old_comments, old_strings = lex(old)
    lost = Counter(c for _, c in old_comments) - Counter(c for _, c in lex(new)[0])
    if lost:
        line = next(n for n, c in old_comments if c in lost)
        return (
            f"not_round_trippable: the comment on line {line} would be lost with the key that moves "
            "(TOML keeps no comment without its key): put it on a line of its own first"
        )
    old_lines, new_lines = LINE_RE.findall(old), LINE_RE.findall(new)
    if {_ending(x) for x in new_lines} - {_ending(x) for x in old_lines}:
        return "not_round_trippable: the rewritten file would mix line endings"
    holding = {
        number
        for first, last, raw in old_strings
        if any(value in _decoded(raw) for value in moved)
        for number in range(first, last + 1)
    }
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            for number in range(i1 + 1, i2 + 1):
                if number not in holding and not old_lines[number - 1].lstrip().startswith(WRITTEN):
                    return (
                        f"not_round_trippable: line {number}, which holds no moved secret, would change "
                        "(syntax the TOML library rewrites)"
                    )
    return None


def _difference(want: Any, got: Any, path: str = "") -> str:
    """The first dotted key where two documents differ."""
    if isinstance(want, dict) and isinstance(got, dict):
        for key in [*want, *(k for k in got if k not in want)]:
            if want.get(key, ...) != got.get(key, ...):
                return _difference(want.get(key), got.get(key), f"{path}.{key}" if path else key)
    return path or "the document"


def _ending(line: str) -> str:
    return "\r\n" if line.endswith("\r\n") else "\n" if line.endswith("\n") else ""


def _decoded(raw: str) -> str:
    """A TOML string token's value (its raw text if it does not read alone)."""
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw
    return value if isinstance(value, str) else raw


def lex(text: str) -> tuple[list[tuple[int, str]], list[tuple[int, int, str]]]:
    """The comments of a TOML text (line, the comment without its line end) and its strings
    (first line, last line, the token as written): basic and literal, one-line and multi-line;
    a ``#`` in a string is no comment."""
    found: list[tuple[int, str]] = []
    strings: list[tuple[int, int, str]] = []
    i, n, line = 0, len(text), 1
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif c == "#":
            end = text.find("\n", i)
            end = n if end < 0 else end
            found.append((line, text[i:end].rstrip("\r")))
            i = end
        elif c in "\"'":
            quote = c * 3 if text.startswith(c * 3, i) else c
            j = i + len(quote)
            while j < n and not text.startswith(quote, j) and not (len(quote) == 1 and text[j] == "\n"):
                j += 2 if c == '"' and text[j] == "\\" else 1  # a backslash escapes in basic strings
            if text.startswith(quote, j):
                j += len(quote)
                while len(quote) == 3 and j < n and text[j] == c:
                    j += 1  # up to two quotes of the content may sit against the closing three
            last = line + text.count("\n", i, j)
            strings.append((line, last, text[i:j]))
            line, i = last, j
        else:
            i += 1
    return found, strings


def _add(table: Any, key: str, value: Any, plain: bool, at: int | None = None) -> None:
    """Add ``key`` to a server's table at ``at`` (the place of the key it replaces) or after
    its last key line, indented like its other keys. tomlkit appends after the table's trailing
    comments and blank lines, which belong to what follows (``# headers`` above
    ``[mcp_servers.x.http_headers]``), and indents nothing."""
    import tomlkit.items

    insert_at = getattr(getattr(table, "value", None), "_insert_at", None)  # private: else tomlkit's place
    if not plain and isinstance(table, tomlkit.items.InlineTable) and at is not None and insert_at is not None:
        insert_at(at, key, value)  # in the slot of the key it replaces, between the same commas
        return
    if plain or not isinstance(table, tomlkit.items.Table):
        table[key] = value
        return
    container = table.value
    body = container.body
    lines = [
        i
        for i, (k, item) in enumerate(body)
        if k is not None and (k.is_dotted() or not isinstance(item, (tomlkit.items.Table, tomlkit.items.AoT)))
    ]
    indents = {body[i][1].trivia.indent for i in lines if "\n" not in body[i][1].trivia.indent}
    place = at if at is not None else lines[-1] + 1 if lines else None
    if place is not None and place < len(body) and insert_at is not None:
        insert_at(place, key, value)
    else:
        table[key] = value
    added = container.item(key)
    if len(indents) == 1 and isinstance(added, tomlkit.items.Item):
        added.trivia.indent = indents.pop()


def _position(table: Any, key: str) -> int | None:
    """Where ``key`` is in a tomlkit table's lines (None for a plain dict or a proxy)."""
    body = getattr(getattr(table, "value", None), "body", None) or []
    return next((i for i, (k, _) in enumerate(body) if k is not None and k.key == key and not k.is_dotted()), None)


Edit = Callable[[Any, bool], None]  # (server table, plain dict?) -> None


def _edit(raw: Any, server: str, field: str, value: str, names: Variables) -> str | tuple[str, Edit]:
    """(variable, a function making the edit on a server table) or the reason there is none."""
    if not isinstance(raw, dict):
        return "the server's table was not found"
    kind, _, key = field.partition(" ")
    if kind == "env" and isinstance(raw.get("env"), dict) and raw["env"].get(key) == value:
        if not ENV_NAME_RE.match(key):
            return "Codex forwards a variable under the server's own name, and this name is not a variable name"
        if key in (raw.get("env_vars") or []):
            return f"env_vars already forwards {key}"
        name = names.claim(value, key, exact=True)
        if name is None:
            return f"Codex forwards {key} by name, and another secret already takes that name"

        def forward(table: Any, plain: bool) -> None:
            del table["env"][key]
            if "env_vars" in table:
                table["env_vars"].append(key)
            else:
                _add(table, "env_vars", [key], plain)

        return name, forward
    if kind == "headers" and isinstance(raw.get("http_headers"), dict) and key in raw["http_headers"]:
        current = raw["http_headers"][key]
        if key.lower() == "authorization" and current == f"Bearer {value}":
            return _bearer(raw, server, f"headers {key}", names, ("http_headers", key))
        if current != value:
            return "Codex takes a header from a variable whole, and this header holds more than the secret"
        if key in (raw.get("env_http_headers") or {}):
            return f"env_http_headers already sets {key}"
        name = names.claim(value, variable_name(server, field))
        assert name is not None

        def header(table: Any, plain: bool) -> None:
            del table["http_headers"][key]
            if "env_http_headers" in table:
                table["env_http_headers"][key] = name
            else:
                _add(table, "env_http_headers", {key: name} if plain else _inline({key: name}), plain)

        return name, header
    if field == "bearer_token" and raw.get("bearer_token") == value:
        return _bearer(raw, server, "bearer_token", names, ("bearer_token",), value)
    return f"Codex takes no variable in '{field.split(' ')[0].split('[')[0]}'"


def _bearer(
    raw: Any, server: str, field: str, names: Variables, path: tuple[str, ...], value: str = ""
) -> str | tuple[str, Edit]:
    if "bearer_token_env_var" in raw:
        return "bearer_token_env_var is already set"
    secret = value or raw[path[0]][path[1]].removeprefix("Bearer ")
    name = names.claim(secret, variable_name(server, "token" if field == "bearer_token" else field))
    assert name is not None

    def bearer(table: Any, plain: bool) -> None:
        at = None
        if len(path) == 1:
            at = _position(table, path[0])  # bearer_token_env_var takes bearer_token's line
            del table[path[0]]
        else:
            del table[path[0]][path[1]]
        _add(table, "bearer_token_env_var", name, plain, at)

    return name, bearer


def _inline(items: dict[str, str]) -> Any:
    import tomlkit

    table = tomlkit.inline_table()
    table.update(items)
    return table
