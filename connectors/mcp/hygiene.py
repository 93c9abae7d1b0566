"""How a server is launched, judged without running it (transform layer: pure).

- ``launch``: the package a stdio server runs and whether its version is pinned (``npx -y pkg``
  and ``uvx pkg`` fetch whatever is newest at every start; ``@latest``, an npm range or
  dist-tag such as ``@^1.2.0`` or ``@beta``, and untagged images too);
  a remote server over plain http.
- ``shell``: a server started through a shell (``sh -c``, ``cmd /c``, ``powershell -Command``)
  whose script interpolates variables: the shell expands them, so a value can become code.
- ``remote_auth``: what credential a remote server is configured with (a header, a URL query
  or user info), or none.
- ``lookalike``: a package name within a small edit distance of a well-known MCP server's
  (``well_known_servers.txt``, shipped and documented), but not equal to it.
- the launch line's hash (``launch_hash``), secrets excluded, for the lock file (lock.py).
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

RUNNERS = {  # launcher -> how it names a version
    "npx": "npm",
    "bunx": "npm",
    "pnpx": "npm",
    "uvx": "pypi",
    "pipx": "pypi",
    "docker": "image",
    "podman": "image",
}
SHELLS = {"sh", "bash", "zsh", "dash", "fish", "ksh", "cmd", "cmd.exe", "powershell", "powershell.exe", "pwsh"}
SHELL_SCRIPT_FLAGS = {"-c", "/c", "/C", "-Command", "-command", "-lc", "-ic"}
INTERPOLATION_RE = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\$\(|`|%[A-Za-z_][A-Za-z0-9_]*%|\$env:[A-Za-z_]")
AUTH_HEADER_RE = re.compile(r"(?i)(authorization|token|key|secret|auth|cookie|session)")
LOOPBACK = {"localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0"}
EXACT_SEMVER_RE = re.compile(r"^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.\-]+)?(?:\+[0-9A-Za-z.\-]+)?$")


def _base(command: str) -> str:
    return re.split(r"[\\/]", command.strip())[-1].lower()


def _words(spec: dict[str, Any]) -> list[str]:
    """The launch line: the command (split when it holds a whole command line) and args."""
    command = value if isinstance(value := spec.get("command"), str) else ""
    try:
        words = shlex.split(command) if command else []
    except ValueError:
        words = command.split()
    args = value if isinstance(value := spec.get("args"), list) else []
    return words + [a for a in args if isinstance(a, str)]


def package_of(words: list[str]) -> tuple[str | None, str | None, str | None]:
    """(runner kind, package name, version or tag) of an ``npx``/``uvx``/``docker run`` line."""
    if not words:
        return None, None, None
    runner = _base(words[0])
    kind = RUNNERS.get(runner)
    rest = words[1:]
    if runner in ("pnpm", "yarn", "bun") and rest[:1] in (["dlx"], ["x"]):
        kind, rest = "npm", rest[1:]
    if runner == "pipx" and rest[:1] == ["run"]:
        rest = rest[1:]
    if kind == "image":
        if rest[:1] != ["run"]:
            return None, None, None
        rest = rest[1:]
    if kind is None:
        return None, None, None
    skip_next = False
    for word in rest:
        if skip_next:
            skip_next = False
            continue
        if word.startswith("-"):
            # options with a separate value (docker -e X, --name n; uvx --from pkg)
            if word in ("-e", "--env", "--name", "-v", "--volume", "-p", "--publish", "--network", "--python", "-w"):
                skip_next = True
            if word == "--from":
                skip_next = False
            continue
        return kind, *split_version(kind, word)
    return kind, None, None


def split_version(kind: str, ref: str) -> tuple[str, str | None]:
    if kind == "npm":
        at = ref.rfind("@")
        return (ref[:at], ref[at + 1 :]) if at > 0 else (ref, None)
    if kind == "pypi":
        match = re.match(r"^([A-Za-z0-9_.\-\[\]]+?)(?:==|@)(.+)$", ref)
        return (match.group(1), match.group(2)) if match else (ref, None)
    if "@sha256:" in ref:
        return ref.split("@", 1)[0], ref.split("@", 1)[1]
    name, _, tag = ref.rpartition(":") if ":" in ref.rsplit("/", 1)[-1] else (ref, "", "")
    return name, tag or None


def launch(spec: dict[str, Any], url: str | None) -> dict[str, Any]:
    """The package, its version and why the launch is not pinned (None when it is)."""
    kind, package, version = package_of(_words(spec))
    unpinned = None
    if kind is not None and package:
        if version is None:
            unpinned = {"npm": "npx without a version", "pypi": "uvx without a version", "image": "an untagged image"}[
                kind
            ]
        elif version in ("latest", "next", "main", "master"):
            unpinned = f"the moving tag {version}"
        elif kind == "npm" and not EXACT_SEMVER_RE.match(version):
            # anything but an exact version is a range (^1.2.0, ~1, 1.x) or a dist-tag (beta)
            unpinned = f"the version range or tag {version}"
    if url:
        try:
            parts = urlsplit(url)
            if parts.scheme == "http" and (parts.hostname or "") not in LOOPBACK:
                unpinned = "a remote server over plain http"
        except ValueError:
            pass
    return {"runner": kind, "package": package, "version": version, "unpinned": unpinned}


def shell(spec: dict[str, Any]) -> dict[str, Any] | None:
    """A shell as the command, and whether its script interpolates variables."""
    words = _words(spec)
    if not words or _base(words[0]) not in SHELLS:
        return None
    script = next((words[i + 1] for i, w in enumerate(words[:-1]) if w in SHELL_SCRIPT_FLAGS), None)
    if script is None:
        return {"shell": _base(words[0]), "interpolates": False}
    return {"shell": _base(words[0]), "interpolates": bool(INTERPOLATION_RE.search(script))}


def remote_auth(spec: dict[str, Any], url: str | None, secret_fields: set[str], refs: list[str]) -> str | None:
    """How a remote server is authenticated by its config: header, query, userinfo, path,
    oauth, field (another field of the entry holds a secret or a reference) or none (None for
    a local server)."""
    if not url or spec.get("command"):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if (parts.hostname or "") in LOOPBACK:
        return None
    headers = value if isinstance(value := spec.get("headers"), dict) else {}
    if any(AUTH_HEADER_RE.search(str(name)) for name in headers):
        return "header"
    if any(f.startswith(("url query", "serverUrl query", "httpUrl query")) for f in secret_fields) or (
        parts.query and AUTH_HEADER_RE.search(parts.query)
    ):
        return "query"
    if parts.username or parts.password:
        return "userinfo"
    if any(f.startswith(("url", "serverUrl", "httpUrl")) for f in secret_fields) or any(
        r.startswith(("url", "serverUrl", "httpUrl")) for r in refs
    ):
        return "path"
    if spec.get("oauth") or spec.get("auth"):
        return "oauth"
    # a secret or reference in another field of the entry (Codex's inline bearer_token)
    if any(not f.startswith(("env ", "args[", "command")) for f in [*secret_fields, *refs]):
        return "field"
    return "none"


@cache
def well_known() -> tuple[str, ...]:
    text = (Path(__file__).with_name("well_known_servers.txt")).read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def _distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, with adjacent swaps counted as one, stopping past ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def lookalike(package: str | None) -> str | None:
    """The well-known package ``package`` is one or two edits away from (never itself)."""
    if not package or len(package) < 6:
        return None
    name = package.lower()
    known = well_known()
    if name in known:
        return None
    limit = 1 if len(name) < 12 else 2
    for candidate in known:
        if _distance(name, candidate, limit) <= limit:
            return candidate
    return None


def redact_words(words: list[str], secrets: list[str]) -> list[str]:
    """``words`` with every secret in them (longest first) replaced by ``***``."""
    for value in sorted({s for s in secrets if s}, key=len, reverse=True):
        words = [w.replace(value, "***") for w in words]
    return words


def launch_hash(spec: dict[str, Any], url: str | None, secrets: list[str]) -> str:
    """A hash of what the server runs: command and args (secrets replaced), URL without its
    query and user info, and the names (not values) of its env and headers."""
    words = redact_words(_words(spec), secrets)
    env = value if isinstance(value := spec.get("env"), dict) else {}
    headers = value if isinstance(value := spec.get("headers"), dict) else {}
    canonical = json.dumps(
        {"words": words, "url": url, "env": sorted(map(str, env)), "headers": sorted(map(str, headers))},
        sort_keys=True,
    )
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
