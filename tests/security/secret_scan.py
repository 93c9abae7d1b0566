"""Helpers for the security tests: plant secrets in a copy of the demo estate, then search
every byte nhi produced for them.

A secret "lands" if its full value, or any distinctive 12-character piece of it that the
provider-style hint does not already show, appears in an output, a written file, the database
or its -wal/-shm journal. Pattern checks catch secrets minted at run time whose values a test
cannot know in advance (GitHub installation tokens, the demo app's RSA key, JWTs).
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import re
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "fixtures" / "demo"

# Shapes that are a secret whatever their value: never in any output or file nhi writes.
SECRET_PATTERNS = {
    "github installation token": re.compile(rb"ghs_[0-9A-Za-z]{30,}"),
    "PEM private key": re.compile(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "JWT": re.compile(rb"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    "Bearer header value": re.compile(rb"Bearer [A-Za-z0-9._~+/-]{12,}"),
}


AWS_KEY_ID = re.compile(r"(AKIA|ASIA)[A-Z0-9]{16}")  # an identifier nhi may show, not a secret


def load_planted() -> Any:
    """tests/mcp/planted.py, the MCP engineers' list of planted values (loaded by path)."""
    spec = importlib.util.spec_from_file_location("_nhi_mcp_planted", REPO / "tests" / "mcp" / "planted.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def shown_by(value: str, hints: Iterable[str]) -> tuple[str, str]:
    """The head and tail of ``value`` that a stored hint already shows ('head...tail', an
    Azure-style first three characters, or a GitHub-style last eight)."""
    head = tail = ""
    for hint in hints:
        if not hint:
            continue
        h, t = hint.split("...", 1) if "..." in hint else (hint, "")
        if "..." not in hint and value.endswith(hint) and not value.startswith(hint):
            h, t = "", hint
        if value.startswith(h) and value.endswith(t) and len(h) + len(t) > len(head) + len(tail):
            head, tail = h, t
    return head, tail


def exposed_pieces(value: str, hints: Iterable[str] = ()) -> list[str]:
    """The value and each 12-character piece of it outside what a stored hint shows.
    Hex-only pieces are skipped: they can occur by chance inside a hash."""
    head, tail = shown_by(value, hints)
    middle = value[len(head) : len(value) - len(tail)]
    pieces = [value]
    for start in range(0, max(1, len(middle) - 11)):
        piece = middle[start : start + 12]
        if len(piece) == 12 and not re.fullmatch(r"[0-9a-fA-F]+", piece):
            pieces.append(piece)
    return pieces


def find_leaks(secrets: Iterable[str], blobs: dict[str, bytes], hints: Iterable[str] = ()) -> list[str]:
    """Every (secret, where) that leaked, as readable lines; empty when nothing did. The
    message shows a secret's first six characters only, never the secret itself."""
    leaks = []
    hints = list(hints)
    pieces = {value: exposed_pieces(value, hints) for value in secrets}
    for label, blob in blobs.items():
        for value in secrets:
            for piece in pieces[value]:
                if piece.encode() in blob:
                    leaks.append(f"{secrets_label(value)} ({len(piece)} chars: {piece[:4]}...) in {label}")
                    break
        for name, pattern in SECRET_PATTERNS.items():
            if pattern.search(blob):
                leaks.append(f"a {name} in {label}")
    return leaks


def secrets_label(value: str) -> str:
    return f"secret {value[:6]}..."


def database_files(db: Path) -> dict[str, bytes]:
    """The inventory and its journal files, whatever exists of them."""
    out = {}
    for suffix in ("", "-wal", "-shm", "-journal"):
        path = Path(str(db) + suffix)
        if path.exists():
            out[path.name] = path.read_bytes()
    return out


# --- planting --------------------------------------------------------------------------------
def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _write(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def _random(label: str, n: int = 24) -> str:
    """A fake secret body: random-looking (so no piece of it occurs in nhi's own text), but
    the same from run to run."""
    digest = base64.b64encode(hashlib.sha256(label.encode()).digest()).decode()
    return "".join(c for c in digest if c.isalnum())[:n]


def _from_hint(hint: str, filler: str) -> str:
    head, tail = hint.split("...", 1)
    return f"{head}{filler}{tail}"


def plant_estate(dest: Path) -> dict[str, str | None]:
    """Copy the demo estate to ``dest`` and put secret values where provider APIs can return
    them (Azure secretText, OpenAI/Anthropic key values, a GitHub PAT's token): the
    connectors must read past them. Returns {secret: hint or None} of everything planted in
    the copy, the demo's own planted values included."""
    shutil.copytree(DEMO, dest)
    planted: dict[str, str | None] = {}

    azure = _json(dest / "azure" / "estate.json")
    n = 0
    for obj in _walk_dicts(azure):
        for entry in obj.get("passwordCredentials") or []:
            n += 1
            hint = entry.get("hint") or "Nw8"
            entry["secretText"] = f"{hint}Q~{_random(f'azure{n}', 34)}"
            planted[entry["secretText"]] = hint
    _write(dest / "azure" / "estate.json", azure)

    for path in sorted((dest / "openai").rglob("*.json")):
        data = _json(path)
        for obj in _walk_dicts(data):
            if isinstance(obj.get("redacted_value"), str) and "..." in obj["redacted_value"]:
                obj["value"] = _from_hint(obj["redacted_value"], _random(f"openai{path}{len(planted)}", 40))
                planted[obj["value"]] = obj["redacted_value"]
        _write(path, data)

    path = dest / "anthropic" / "api_keys.json"
    data = _json(path)
    for obj in _walk_dicts(data):
        if isinstance(obj.get("partial_key_hint"), str) and "..." in obj["partial_key_hint"]:
            obj["key"] = _from_hint(obj["partial_key_hint"], _random(f"anthropic{len(planted)}", 80))
            planted[obj["key"]] = obj["partial_key_hint"]
    _write(path, data)

    for path in sorted((dest / "github").rglob("personal-access-tokens.json")):
        data = _json(path)
        for obj in data:
            obj["token"] = "github_pat_11" + _random(f"pat{obj['id']}", 70)
            planted[obj["token"]] = None
        _write(path, data)

    gcp = _json(dest / "gcp" / "estate.json")
    for obj in _walk_dicts(gcp):
        if obj.get("privateKeyData"):
            planted[obj["privateKeyData"]] = None
            planted[base64.b64decode(obj["privateKeyData"]).decode()] = None
    planted.update(_aws_estate_secrets(dest / "aws" / "estate.yaml"))
    planted.update(_mcp_values(dest / "mcp" / "home"))
    return planted


def _walk_dicts(value: Any) -> Iterable[dict]:
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from _walk_dicts(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk_dicts(v)


def _aws_estate_secrets(path: Path) -> dict[str, None]:
    """Console passwords and the secret pasted into a tag in the AWS estate."""
    import yaml

    out: dict[str, None] = {}
    for obj in _walk_dicts(yaml.safe_load(path.read_text(encoding="utf-8"))):
        if isinstance(obj.get("console_password"), str):
            out[obj["console_password"]] = None
        for value in (obj.get("tags") or {}).values() if isinstance(obj.get("tags"), dict) else ():
            for word in str(value).split():
                if word.startswith("NWdemoTagSecret"):
                    out[word] = None
    return out


def _mcp_values(home: Path) -> dict[str, None]:
    """Every env and header value (and secret-looking argument) in the demo MCP configs that
    is not a ${...} reference: anything a developer typed there is treated as a secret."""
    from nhi_connectors.mcp import jsonc  # the configs are JSON with comments

    out: dict[str, None] = {}
    for path in home.rglob("*.json"):
        for obj in _walk_dicts(jsonc.loads(path.read_text(encoding="utf-8"))):
            for section in ("env", "headers"):
                for value in (obj.get(section) or {}).values() if isinstance(obj.get(section), dict) else ():
                    value = str(value).removeprefix("Bearer ").strip()
                    if len(value) >= 12 and "${" not in value and not AWS_KEY_ID.fullmatch(value):
                        out[value] = None
            for url_key in ("url", "serverUrl"):
                url = obj.get(url_key)
                if isinstance(url, str) and "?" in url:
                    for part in url.split("?", 1)[1].split("&"):
                        value = part.split("=", 1)[-1]
                        if len(value) >= 12 and "${" not in value:
                            out[value] = None
    return out


def moto_secrets() -> dict[str, None]:
    """SecretAccessKeys and console passwords moto generated for the demo (the server runs in
    this process, so its backend is readable after a demo command)."""
    from moto.backends import get_backend

    out: dict[str, None] = {}
    for regions in get_backend("iam").values():
        backend = regions.get("global")
        if backend is None:
            continue
        for user in backend.users.values():
            for key in user.access_keys:
                out[key.secret_access_key] = None
            if user.password:
                out[user.password] = None
    return out
