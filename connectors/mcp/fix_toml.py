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
with exactly these keys moved.
"""

from __future__ import annotations

import copy
import tomllib
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
    text = bom + doc.as_string()
    try:
        if tomllib.loads(text[len(bom) :]) != expected:
            problem: str | None = "not_round_trippable: the rewritten file would not read as the intended document"
        else:
            problem = verify_scan(plan, text)
    except tomllib.TOMLDecodeError:
        problem = "not_round_trippable: the rewritten file would not parse"
    if problem:
        plan.problem, plan.changes = problem, []
        return variables
    plan.new = text
    return names


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
                table["env_vars"] = [key]

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
                table["env_http_headers"] = {key: name} if plain else _inline({key: name})

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
        if len(path) == 1:
            del table[path[0]]
        else:
            del table[path[0]][path[1]]
        table["bearer_token_env_var"] = name

    return name, bearer


def _inline(items: dict[str, str]) -> Any:
    import tomlkit

    table = tomlkit.inline_table()
    table.update(items)
    return table
