"""Find standing credentials in one MCP server entry, without keeping their values.

A value is examined field by field (``env``, ``args``, ``headers``, the URL, anything else
that is a string). Placeholders such as ``${VAR}``, ``${VAR:-default}``, ``${env:VAR}`` and
``${input:id}`` are references to a secret kept elsewhere: they are recorded by name, and only
a ``:-default`` is examined (a default can itself be a pasted key). What remains is matched
against well-known formats (patterns.py), then as a URL with a password, a secret-named
query parameter or a credential in its path (urls.py), then against the field's name (``..._TOKEN``, ``..._API_KEY``,
``Authorization``, ``--api-key``).

A :class:`Found` holds the value in memory only, so that it can be hashed; nothing here logs
or formats it, and its ``repr`` hides it.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .patterns import AWS_SECRET_RE, FORMATS, KNOWN_EXAMPLES, NAMED_TYPES
from .urls import path_secrets, random_looking, userinfo_token

# ${VAR}, ${env:VAR}, ${input:id}, ${VAR:-default}; Continue's ${{ secrets.NAME }}
PLACEHOLDER_RE = re.compile(r"\$\{\{\s*(?P<templ>[^{}]*?)\s*\}\}|\$\{(?P<body>[^{}]*)\}")


def _body(match: re.Match[str]) -> str:
    return match.group("templ") if match.group("templ") is not None else match.group("body")


# Names of variables, headers, flags and query parameters that hold secrets.
SECRET_NAME_RE = re.compile(
    r"(?i)(token|secret|passw(?:or)?d|passphrase|api[_-]?key|apikey|access[_-]?key|private[_-]?key|"
    r"credential|^auth(?:orization)?$|^proxy-authorization$|^pwd$|_pwd$|signing[_-]?key|^key$|^sig$|"
    r"[_-]key$|[a-z]Key$|[_-]pat$|^pat$|dsn$|cookie|session[_-]?(?:id|key)?$|conn(?:ection)?[_-]?str(?:ing)?$)"
)
NOT_SECRET_NAME_RE = re.compile(
    r"(?i)([_-](id|url|uri|path|file|dir|endpoint|host|region|name|type|count|expiry|ttl|header|env|var|scope|scopes)$"
    r"|^(token_type|key_id|grant_type)$|key[_-]?id$"
    r"|(public|publishable|sort|partition|cache|primary|foreign|hot|idempotency|group|map|route)[_-]?key$)"
)
# Text people put where a secret should go; not a leak.
PLACEHOLDER_TEXT_RE = re.compile(
    r"(?i)^(<[^>]*>|\[[^\]]*\]|x{4,}|\*{3,}|\.{3,}|todo|tbd|none|null|undefined|changeme|placeholder|redacted"
    r"|replace[-_ ]?me|your[-_ a-z]*(key|token|secret|password|here)[-_ a-z]*|.*[-_ ]here)$"
)
# ...and inside a value of a real format: an ellipsis (a truncated display, "sk-ant-..."), a
# run of x or * ("ghp_xxxxxxxx"), or words no generated key contains.
PLACEHOLDER_PART_RE = re.compile(
    r"(?i)(\.\.\.|\u2026|x{5,}|\*{3,}|#{4,}|<|>|your[-_]?|example|placeholder|changeme|replace[-_]?me|dummy|sample"
    r"|redacted|insert[-_]|goes[-_]?here)"
)
HEADER_ARG_RE = re.compile(r"^([A-Za-z][A-Za-z0-9-]*):(?!//)\s*(\S.*)$")  # "Name: value", not a URL
AUTH_SCHEME_RE = re.compile(r"(?i)^(bearer|basic|token|bot|apikey|api-key)\s+")


@dataclass
class Found:
    """One secret seen in one field. ``value`` never leaves the process."""

    secret_type: str
    field: str  # where in the server entry: "env OPENAI_API_KEY", "args[3]", "url query token"
    provider: str  # aws, openai, anthropic, github, slack, generic, ...
    detected_by: str  # format, name, url
    # dataclasses.field: the ``field`` attribute above shadows the name in this class body
    value: str = dataclasses.field(repr=False)
    hint_value: str = dataclasses.field(repr=False, default="")  # what the hint is computed from
    hint: str = ""
    key_id: str | None = None
    line: int = 0  # line of the file the value is written on (0: not found verbatim)


@dataclass
class Reference:
    field: str
    ref: str  # "input:github_token", "env:GITHUB_TOKEN", "GITHUB_TOKEN"


@dataclass
class FieldScan:
    found: list[Found] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)


def looks_secret_name(name: str) -> bool:
    name = name.strip().lstrip("-")
    return bool(SECRET_NAME_RE.search(name)) and not NOT_SECRET_NAME_RE.search(name)


def is_placeholder(value: str) -> bool:
    """A documented example or text standing in for a key, not a key: a known example, words
    or runs no generated key has, or a tail of four characters or fewer repeated
    ("...-000000000000", "GR1348941" + "123" * 7)."""
    return (
        value in KNOWN_EXAMPLES
        or value.endswith(("EXAMPLE", "EXAMPLEKEY"))
        or bool(PLACEHOLDER_TEXT_RE.match(value) or PLACEHOLDER_PART_RE.search(value))
        or (len(value) >= 20 and len(set(value[-16:].rstrip("="))) <= 4)
    )


def _plausible_secret(text: str) -> bool:
    text = text.strip()
    if len(text) < 6 or is_placeholder(text) or " " in text.strip():
        return False
    if text.lower() in ("true", "false", "yes", "no", "on", "off"):
        return False
    if text.startswith(("/", "~/", "./", "../")) or re.match(r"^[A-Za-z]:\\", text):
        return False  # a path to a key file, not the key
    return True


def _generic_hint(value: str) -> str:
    # Short generic secrets (passwords) show nothing: four characters of eight is too much.
    return f"{value[:4]}...{value[-4:]}" if len(value) >= 20 else "****"


def _formats(text: str, field_name: str, scan: FieldScan) -> str:
    """Record every well-known format in ``text``; return the text with matches blanked."""
    for fmt in FORMATS:
        for match in fmt.regex.finditer(text):
            value = match.group(0)
            after = text[match.end() : match.end() + 3]
            if is_placeholder(value) or after.startswith(("...", "\u2026", "#", "*", "<", "x" * 3, "X" * 3)):
                continue  # "sk-ant-api03-abc..." is a truncated display, not the key
            scan.found.append(
                Found(
                    secret_type=fmt.secret_type,
                    field=field_name,
                    provider=fmt.provider,
                    detected_by="format",
                    value=value,
                    hint=fmt.hint(value, match),
                    key_id=value if fmt.is_identifier else None,
                )
            )
        text = fmt.regex.sub(" ", text)
    return text


# Fixed words git hosts put beside a token in a URL's user info (GitHub's <token>:x-oauth-basic
# and x-access-token:<token>, GitLab's oauth2:<token>, Bitbucket's x-token-auth:<token>): never
# the secret themselves.
USERINFO_WORDS = frozenset({"x-oauth-basic", "x-access-token", "oauth2", "x-token-auth"})


def _url(text: str, field_name: str, scan: FieldScan) -> bool:
    """A URL with a password, a token as its user name, a secret-named query parameter or a
    credential in its path. True if it was a URL."""
    text = text.strip()
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*://", text):
        return False
    try:
        parts = urlsplit(text)
        password, host, user = parts.password, parts.hostname or "", parts.username or ""
    except ValueError:
        return True
    fixed = password is not None and password.lower() in USERINFO_WORDS
    if password and password.strip() and not fixed and not PLACEHOLDER_TEXT_RE.match(password):
        scan.found.append(
            Found(
                "url_password", field_name, "generic", "url", value=password, hint=f"{parts.scheme}://{user}:***@{host}"
            )
        )
    elif (not password or fixed) and userinfo_token(unquote(user)) and not is_placeholder(unquote(user)):
        # the token is the user name: https://<token>@host, <token>:@host, <token>:x-oauth-basic@host
        scan.found.append(
            Found("url_userinfo_token", field_name, "generic", "url", value=user, hint=_generic_hint(unquote(user)))
        )
    for key, val in parse_qsl(parts.query, keep_blank_values=False):
        if looks_secret_name(key) and _plausible_secret(val):
            scan.found.append(
                Found(
                    "url_query_secret",
                    f"{field_name} query {key}",
                    "generic",
                    "url",
                    value=val,
                    hint=_generic_hint(val),
                )
            )
    # A token in the path: a vendor's webhook URL, or a generated value where credentials go
    # (urls.py says which positions); never a long id by its look alone.
    for secret in path_secrets(host.lower(), parts.path):
        if is_placeholder(unquote(secret.value)):
            continue
        scan.found.append(
            Found(
                secret.secret_type,
                f"{field_name} path",
                secret.provider,
                secret.detected_by,
                value=secret.value,
                hint=_generic_hint(secret.value),
            )
        )
    return True


def scan_value(text: str, field_name: str, name: str | None = None) -> FieldScan:
    """Examine one string. ``name`` is the variable, header, flag or parameter it belongs to."""
    scan = FieldScan()
    defaults = []

    def placeholder(match: re.Match[str]) -> str:
        body = _body(match)
        ref, _, default = body.partition(":-")
        scan.references.append(Reference(field_name, ref.strip()))
        if default:
            defaults.append(default)
        return " "

    remaining = PLACEHOLDER_RE.sub(placeholder, text)
    before = len(scan.found)
    for default in defaults:
        _formats(default, f"{field_name} default", scan)
    remaining = _formats(remaining, field_name, scan)
    # A URL is examined even when a format matched in it: a Google Chat webhook holds a
    # published API key and, beside it, the real secret in ``token``.
    if _url(remaining, field_name, scan) or len(scan.found) > before:
        return scan
    if name and looks_secret_name(name) and not scan.references:
        value = AUTH_SCHEME_RE.sub("", remaining.strip())
        if _plausible_secret(value):
            secret_type, provider = named_type(name, value)
            scan.found.append(Found(secret_type, field_name, provider, "name", value=value, hint=_generic_hint(value)))
    return scan


def named_type(name: str, value: str) -> tuple[str, str]:
    """The type of a value known only by the name it is stored under: the vendor the name
    says (``COHERE_API_KEY`` -> cohere_api_key), else a generic named secret."""
    lowered = name.lower()
    if "aws" in lowered and "secret" in lowered and AWS_SECRET_RE.fullmatch(value):
        return "aws_secret_access_key", "aws"
    for pattern, secret_type, provider in NAMED_TYPES:
        if pattern.search(name):
            return secret_type, provider
    return "named_secret", "generic"


def scan_args(args: list[Any], scan: FieldScan, field: str = "args", start: int = 0) -> None:
    """Command-line arguments: ``--api-key=V``, ``--api-key V``, ``-e NAME=V`` and free text."""
    flag: str | None = None
    for index, arg in enumerate(args, start):
        if not isinstance(arg, str):
            flag = None
            continue
        where = f"{field}[{index}]"
        name = None
        value = arg
        if arg.startswith("-") and "=" in arg:
            name, _, value = arg.partition("=")
        elif re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", arg):
            name, _, value = arg.partition("=")
        elif flag is not None and not arg.startswith("-"):
            name = flag
        header = HEADER_ARG_RE.match(value)
        if header:  # mcp-remote style: --header "Authorization: Bearer <token>"
            name, value = header.group(1), header.group(2)
        part = scan_value(value, where, name)
        scan.found.extend(part.found)
        scan.references.extend(part.references)
        flag = arg if arg.startswith("-") and "=" not in arg and looks_secret_name(arg) else None


def scan_command(command: str, scan: FieldScan) -> None:
    """A whole command line in ``command`` ("npx srv --api-key=..."): its words are examined
    like ``args`` (``command[1]``, ...), the program itself like any value."""
    try:
        words = shlex.split(command)
    except ValueError:  # unbalanced quotes: words are what the shell would at least see
        words = command.split()
    if not words:
        return
    first = scan_value(words[0], "command")
    scan.found.extend(first.found)
    scan.references.extend(first.references)
    scan_args(words[1:], scan, field="command", start=1)


def pair_aws_secrets(scan: FieldScan, env: dict[str, Any]) -> None:
    """An AWS secret key is only recognisable beside its key id: take random-looking
    40-character values from the same server's env when it also holds an access key id."""
    if not any(f.key_id and f.provider == "aws" for f in scan.found):
        return
    for found in scan.found:  # named after a secret and shaped like an AWS secret key
        if found.secret_type == "named_secret" and AWS_SECRET_RE.fullmatch(found.value) and random_looking(found.value):
            found.secret_type, found.provider = "aws_secret_access_key", "aws"
    seen = {f.field for f in scan.found}
    for key, val in env.items():
        where = f"env {key}"
        if where in seen or not isinstance(val, str):
            continue
        value = val.strip()
        if AWS_SECRET_RE.fullmatch(value) and random_looking(value) and value not in KNOWN_EXAMPLES:
            scan.found.append(
                Found("aws_secret_access_key", where, "aws", "format", value=value, hint=_generic_hint(value))
            )


def scan_server(spec: dict[str, Any]) -> FieldScan:
    """Every field of one server entry."""
    scan = FieldScan()

    def add(part: FieldScan) -> None:
        scan.found.extend(part.found)
        scan.references.extend(part.references)

    env = value if isinstance(value := spec.get("env"), dict) else {}
    for key, val in env.items():
        if isinstance(val, str):
            add(_scan_json(val, f"env {key}") or scan_value(val, f"env {key}", key))
    # headers, and a Zed extension's settings: values under names that say what they are
    for section in ("headers", "settings"):
        named = value if isinstance(value := spec.get(section), dict) else {}
        for key, val in named.items():
            if isinstance(val, str):
                add(scan_value(val, f"{section} {key}", key))
    if isinstance(spec.get("args"), list):
        scan_args(spec["args"], scan)
    if isinstance(spec.get("command"), str):
        scan_command(spec["command"], scan)
    for key in ("url", "serverUrl", "httpUrl"):
        if isinstance(spec.get(key), str):
            add(scan_value(spec[key], key))
    # Anything else that is text: by its key when that names a secret (Codex's inline
    # ``bearer_token``, an ``apiKey``), else known formats only.
    skip = ("env", "headers", "settings", "args", "command", "url", "serverUrl", "httpUrl")
    for path, val in _other_strings(spec, skip):
        key = re.sub(r"\[\d+\]$", "", path).rsplit(".", 1)[-1]
        if looks_secret_name(key):
            add(scan_value(val, path, key))
            continue
        part = FieldScan()
        _formats(val, path, part)
        part.references.extend(Reference(path, _body(m).partition(":-")[0]) for m in PLACEHOLDER_RE.finditer(val))
        add(part)
    pair_aws_secrets(scan, env)
    return scan


def _scan_json(text: str, field_name: str) -> FieldScan | None:
    """A JSON object in a value (``GOOGLE_CREDENTIALS='{"type": "service_account", ...}'``):
    every string in it examined under its own key; a service account key file is one
    credential, identified by its ``private_key_id``. None when the value is not JSON."""
    stripped = text.strip()
    if not (stripped.startswith("{") and stripped.endswith("}")):
        return None
    try:
        doc = json.loads(stripped)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    scan = FieldScan()
    if doc.get("type") == "service_account" and isinstance(doc.get("private_key"), str):
        key_id = doc.get("private_key_id") if isinstance(doc.get("private_key_id"), str) else None
        email = doc.get("client_email") if isinstance(doc.get("client_email"), str) else ""
        scan.found.append(
            Found(
                "gcp_service_account_key",
                f"{field_name} json private_key",
                "gcp",
                "format",
                value=doc["private_key"],
                hint=email or "service account key",
                key_id=key_id,
            )
        )
        return scan
    for path, value in _other_strings(doc, ()):
        key = re.sub(r"\[\d+\]$", "", path).rsplit(".", 1)[-1]
        part = scan_value(value, f"{field_name} json {path}", key)
        scan.found.extend(part.found)
        scan.references.extend(part.references)
    return scan


def _other_strings(value: Any, skip: tuple[str, ...], path: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key, val in value.items():
            if not path and key in skip:
                continue
            out.extend(_other_strings(val, skip, f"{path}.{key}" if path else str(key)))
    elif isinstance(value, list):
        for index, val in enumerate(value):
            out.extend(_other_strings(val, skip, f"{path}[{index}]"))
    elif isinstance(value, str) and path:
        out.append((path, value))
    return out
