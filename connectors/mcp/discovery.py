"""Where MCP clients keep their configuration, and finding those files.

Machine discovery looks at the fixed per-user locations of every client (locations.py: macOS,
Linux and Windows alike, since a home directory copied between machines, or a test tree, may
hold any of them) plus the project ``.mcp.json`` of every project Claude Code lists in ``~/.claude.json``, and
the machine's Claude Code ``managed-mcp.json`` (a system path, deployed by an administrator).
A given directory (``--mcp-path``, ``paths:``) is walked for the names project configs use,
so CI can scan a checkout's committed ``.mcp.json``, ``.vscode/mcp.json``,
``.codex/config.toml`` and the other project forms. Directory walks never follow symlinks and skip dependency folders.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from . import locations

SKIP_DIRS = {
    ".git",
    "node_modules",
    ".venv",
    "venv",
    "__pycache__",
    ".tox",
    ".mypy_cache",
    "dist",
    "build",
    "target",
    ".next",
    ".cache",
}
MAX_WALK_DEPTH = 8


@dataclass(frozen=True)
class ConfigFile:
    path: Path  # as found (absolute, not resolved: a symlink keeps its own name)
    client: str  # a client of locations.py, or unknown
    config_scope: str  # user, project
    format: str  # a parser of formats.py


def classify(path: Path, default_scope: str = "project") -> ConfigFile | None:
    """What a file is, by its name and folders; None if it is not an MCP config name."""
    loc = locations.match_project(path.parts)
    if loc is not None:
        scope = default_scope if loc.client == "cursor" else loc.scope
        return ConfigFile(path, loc.client, scope, loc.format)
    loc = locations.match_anywhere(path)
    if loc is not None:
        scope = loc.scope
        if scope == "managed" and git_root(path.absolute()) is not None:
            scope = "project"  # a repository's copy (the source an administrator deploys) is its file
        return ConfigFile(path, loc.client, scope, loc.format)
    return None


def classify_given_file(path: Path) -> ConfigFile:
    """A file named explicitly: by name if known, else read both root keys."""
    known = classify(path)
    if known is not None:
        return known
    if path.name == "mcp.json" and path.parent.name == "User":  # VS Code user profile
        return ConfigFile(path, "vscode", "user", "servers")
    if path.name == "settings.json" and path.parent.name == "User":
        return ConfigFile(path, "vscode", "user", "vscode_settings")
    if path.suffix == ".toml":
        return ConfigFile(path, "unknown", "project", "codex_toml")
    return ConfigFile(path, "unknown", "project", "any")


def home_files(home: Path, env_dirs: dict[str, Path] | None = None) -> list[ConfigFile]:
    """Candidate per-user config files under ``home`` and under the platform folders the
    environment names (``$XDG_CONFIG_HOME``, ``%APPDATA%``, ``$CODEX_HOME``, ...). Existence is
    checked by the reader, so that a broken symlink or a loop is reported rather than skipped."""
    env_dirs = env_dirs or {}
    out = [
        ConfigFile(path, loc.client, loc.scope, loc.format)
        for loc in locations.HOME
        for path in locations.expand(home, loc.path)
    ]
    for var, base in env_dirs.items():
        for loc in locations.ENV_DIRS.get(var, ()):
            out += [ConfigFile(path, loc.client, loc.scope, loc.format) for path in locations.expand(base, loc.path)]
    code_dirs = list(locations.VSCODE_USER_DIRS)
    for var in ("XDG_CONFIG_HOME", "APPDATA"):
        if var in env_dirs:
            code_dirs.append(str(env_dirs[var] / "Code/User"))
    for rel in code_dirs:
        user_dir = home / rel  # an absolute rel replaces home
        out.append(ConfigFile(user_dir / "mcp.json", "vscode", "user", "servers"))
        out.append(ConfigFile(user_dir / "settings.json", "vscode", "user", "vscode_settings"))
        profiles = user_dir / "profiles"
        if _is_dir(profiles):
            for profile in sorted(profiles.iterdir()):
                out.append(ConfigFile(profile / "mcp.json", "vscode", "user", "servers"))
    seen: set[Path] = set()
    unique = []
    for config in out:
        if config.path not in seen and _exists_or_link(config.path):
            seen.add(config.path)
            unique.append(config)
    return unique


def managed_files(system_root: Path) -> list[ConfigFile]:
    """Claude Code's managed-mcp.json at each OS's system path under ``system_root`` (``/``, or
    ``C:\\`` on Windows) that exists."""
    return [
        ConfigFile(path, loc.client, loc.scope, loc.format)
        for loc in locations.MANAGED
        for path in locations.expand(system_root, loc.path)
        if _exists_or_link(path)
    ]


def default_system_root() -> Path:
    """Where the machine-wide configs are: ``/``, or ``C:\\`` on Windows (where Claude Code
    looks, whatever the system drive)."""
    return Path("C:/") if os.name == "nt" else Path("/")


def walk(root: Path) -> list[ConfigFile]:
    """Every MCP config name under ``root``, depth-limited, not following symlinked dirs."""
    found: list[ConfigFile] = []
    root_depth = len(root.parts)
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        current = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        if len(current.parts) - root_depth >= MAX_WALK_DEPTH:
            dirnames[:] = []
        for name in sorted(filenames):
            config = classify(current / name)
            if config is not None:
                found.append(config)
    return found


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


def _exists_or_link(path: Path) -> bool:
    try:
        os.lstat(path)
        return True
    except OSError:
        return False


# A repository's own config can make git run commands (core.fsmonitor, hooks, pagers, askpass,
# ssh): a scanned tree is data, so every one is switched off on the command line, which wins
# over the repository's .git/config and any file it includes; the system and global configs
# are not read at all (and with them, no safe.directory: git itself then refuses a repository
# another user owns, and we do not even ask it to).
_GIT_OFF = (
    "-c",
    "core.fsmonitor=false",
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "core.untrackedCache=false",
    "-c",
    "core.pager=cat",
    "-c",
    "core.askPass=",
    "-c",
    "core.sshCommand=false",
    "-c",
    "credential.helper=",
    "-c",
    "protocol.allow=never",
    "-c",
    "diff.external=",
    "-c",
    "core.alternateRefsCommand=false",
    "--no-pager",
)
_GIT_ENV_DROP = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_CONFIG",
    "GIT_CONFIG_COUNT",
    "GIT_CONFIG_PARAMETERS",
    "GIT_EXTERNAL_DIFF",
    "GIT_SSH",
    "GIT_SSH_COMMAND",
    "GIT_ASKPASS",
    "SSH_ASKPASS",
    "GIT_PAGER",
    "PAGER",
    "GIT_EXEC_PATH",
    "GIT_TEMPLATE_DIR",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_CEILING_DIRECTORIES",
)


def _git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _GIT_ENV_DROP}
    env.update(
        {
            "GIT_OPTIONAL_LOCKS": "0",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_NO_REPLACE_OBJECTS": "1",
            "GIT_PAGER": "cat",
        }
    )
    return env


def owned_by_me(repo: Path) -> bool:
    """Both the work tree and its .git (folder, or the file pointing at one) are this user's."""
    if not hasattr(os, "geteuid"):
        return True  # Windows: no POSIX owners; git's own safe.directory check still applies
    try:
        return all(os.lstat(p).st_uid == os.geteuid() for p in (repo, repo / ".git"))
    except OSError:
        return False


def git_statuses(repo: Path, paths: list[Path], timeout: float = 10.0) -> tuple[dict[Path, str], int]:
    """For files of one work tree: ``tracked`` (in the index: committed or staged), ``ignored``
    (.gitignore), ``untracked``, or ``unknown`` (no git binary, a repository git cannot read, or
    one another user owns: git is never run there). Two read-only git commands per repository
    at most, with optional locks off so that a scan never writes into it, and every command the
    repository's config could make git run switched off (``_GIT_OFF``). Returns the statuses
    and the number of git commands run."""
    statuses = {path: "unknown" for path in paths}
    git = shutil.which("git")
    if git is None or not paths or not owned_by_me(repo):
        return statuses, 0
    env = _git_env()
    rel = {os.path.relpath(path, repo).replace(os.sep, "/"): path for path in paths}
    base = [git, *_GIT_OFF, "-C", str(repo)]
    calls = 0
    try:
        calls += 1
        # literal: a file name with * or ? is not a glob here (check-ignore refuses this magic)
        listed = subprocess.run(
            [git, *_GIT_OFF, "--literal-pathspecs", "-C", str(repo), "ls-files", "-z", "--", *rel],
            env=env,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            capture_output=True,
        )
        if listed.returncode != 0:
            return statuses, calls
        tracked = {name for name in listed.stdout.decode("utf-8", "replace").split("\0") if name}
        rest = [name for name in rel if name not in tracked]
        ignored: set[str] = set()
        if rest:
            calls += 1
            checked = subprocess.run(
                [*base, "check-ignore", "-z", "--stdin"],
                env=env,
                timeout=timeout,
                input="\0".join(rest).encode(),
                capture_output=True,
            )
            if checked.returncode not in (0, 1):
                return statuses, calls
            ignored = {name for name in checked.stdout.decode("utf-8", "replace").split("\0") if name}
    except (OSError, subprocess.SubprocessError):
        return statuses, calls
    for name, path in rel.items():
        statuses[path] = "tracked" if name in tracked else "ignored" if name in ignored else "untracked"
    return statuses, calls


def git_root(path: Path) -> Path | None:
    """The work tree a file sits in (a ``.git`` folder or file above it), if any."""
    for parent in path.parents:
        if _exists_or_link(parent / ".git"):
            return parent
    return None
