"""The files `nhi fix mcp` rewrites, and the writing: the values go to the one place the user
chose (a 0600 file, the OS keychain, or stdout), then each config gets a ``.bak`` with its
mode and is replaced atomically (a temporary file beside it, renamed over it).

A file is written where it really is: a symlink (dotfile managers link configs) is left in
place and its target rewritten, unless the link was found in a given folder and points out of
it; then the file is refused, never written through. A file with several hard links, or one
another user owns, is refused too: replacing it would leave the secret in the other name, or
hand the file to the wrong owner.
"""

from __future__ import annotations

import os
import shlex
import stat
from pathlib import Path

from . import clients, discovery
from .detect import scan_server
from .fix import ENV_FORMS, ENV_NAME_RE, INPUT_FORMS, NO_FORM, FilePlan, Refused, Variables, plan_json
from .fix_toml import plan_toml
from .transform import display_path

KEYCHAIN_SERVICE = "nhi-mcp"
MAX_BYTES = 20_000_000


class FixError(Exception):
    """Nothing was written; the message names a file or a step, never a value."""


# --- which files ----------------------------------------------------------------------------------
def configs(paths: list[Path], home: Path, env_dirs: dict[str, Path]) -> list[tuple[discovery.ConfigFile, Path | None]]:
    """(file, the folder it must stay inside): the user's own client configs when no path is
    given (as the scan finds them), else each given file and every config under each folder."""
    if not paths:
        mine = discovery.home_files(home, env_dirs)
        return [(config, None) for config in mine] + _claude_code_projects(mine)
    out: list[tuple[discovery.ConfigFile, Path | None]] = []
    for path in paths:
        path = Path(os.path.abspath(path.expanduser()))
        if path.is_dir():
            out += [(config, path) for config in discovery.walk(path)]
        elif os.path.lexists(path):
            out.append((discovery.classify_given_file(path), None))
        else:
            raise FixError(f"{path}: no such file or folder")
    return out


def _claude_code_projects(mine: list[discovery.ConfigFile]) -> list[tuple[discovery.ConfigFile, Path | None]]:
    """The project ``.mcp.json`` of every project ~/.claude.json lists, as the scan adds them;
    each must stay inside its project."""
    out: list[tuple[discovery.ConfigFile, Path | None]] = []
    for config in mine:
        if config.format != "claude_code_user":
            continue
        try:
            parsed = clients.parse(config, clients.read_text(config.path, MAX_BYTES)[0])
        except clients.FileProblem:
            continue  # reported when the file itself is planned
        for project in map(Path, parsed.projects):
            candidate = project / ".mcp.json"
            if project.is_absolute() and os.path.lexists(candidate):
                out.append((discovery.ConfigFile(candidate, "claude_code", "project", "mcpServers"), project))
    return out


def _within(path: Path, tree: Path) -> bool:
    real, top = os.path.realpath(path), os.path.realpath(tree)
    return real == top or real.startswith(top.rstrip(os.sep) + os.sep)


def plan_file(
    config: discovery.ConfigFile, inside: Path | None, home: Path, variables: Variables
) -> tuple[FilePlan, Variables]:
    plan = FilePlan(config, display_path(config.path, home))
    if inside is not None and not _within(config.path, inside):
        plan.problem = "outside_tree: a symlink to a file outside the given folder (not written through)"
        return plan, variables
    target = Path(os.path.realpath(config.path))
    try:
        info = os.stat(target)
        text, mode = clients.read_text(target, MAX_BYTES)
        parsed = clients.parse(config, text)
    except clients.FileProblem as problem:
        plan.problem = f"{problem.code}: {problem.message}"
        return plan, variables
    except OSError as exc:
        plan.problem = f"unreadable: {exc.strerror}"
        return plan, variables
    plan.target, plan.old, plan.mode = target, text, mode
    if config.format in NO_FORM:
        pass  # refused by its kind below, whoever owns it: nothing is written
    elif hasattr(os, "geteuid") and info.st_uid != os.geteuid():
        plan.problem = "not_owner: another user owns this file"
    elif info.st_nlink > 1:
        plan.problem = (
            f"hard_links: the file has {info.st_nlink} names; replacing it would leave the secret in the others"
        )
    if plan.problem:
        return plan, variables
    if config.format not in NO_FORM:  # a file of a client with a form, not refused by its kind
        if config.client in ENV_FORMS or config.client in INPUT_FORMS:
            return plan, plan_json(plan, parsed, variables)
        if config.client == "codex":
            return plan, plan_toml(plan, parsed, variables)
    reason = NO_FORM.get(config.format) or NO_FORM.get(
        config.client, f"nhi knows no documented reference form for {config.client} configs"
    )
    for server in parsed.servers:
        for found in scan_server(server.spec).found:
            plan.refused.append(Refused(server.key, found.field, reason))
    return plan, variables


def plan_all(paths: list[Path], home: Path, env_dirs: dict[str, Path]) -> tuple[list[FilePlan], Variables]:
    variables = Variables()
    plans, seen = [], set()
    for config, inside in configs(paths, home, env_dirs):
        if config.path in seen:
            continue
        seen.add(config.path)
        plan, variables = plan_file(config, inside, home, variables)
        if plan.problem and plan.problem.startswith("empty:"):
            continue  # nothing in it to move
        plans.append(plan)
    return plans, variables


# --- where the values go --------------------------------------------------------------------------
def export_lines(pairs: list[tuple[str, str]]) -> list[str]:
    """``export NAME='value'``: the name is a variable name (fix.variable_name, or the name a
    Codex server reads, checked), the value quoted so that no shell reads anything in it."""
    out = []
    for name, value in pairs:
        if not ENV_NAME_RE.match(name):
            raise FixError("an unsafe variable name")  # cannot happen: names are built safe
        out.append(f"export {name}={shlex.quote(value)}")
    return out


def write_secrets_file(path: Path, pairs: list[tuple[str, str]]) -> str:
    """Append the export lines to ``path``, created 0600; an existing file is added to, never
    replaced, and only if it is this user's regular file that nobody else can read."""
    nofollow = getattr(os, "O_NOFOLLOW", 0)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    if info is not None:
        if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode):
            raise FixError(f"{path}: the secrets file exists and is not a regular file (a symlink?)")
        if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
            raise FixError(f"{path}: the secrets file exists and another user owns it")
        if info.st_mode & 0o077:
            raise FixError(f"{path}: the secrets file exists and others can read it (chmod 600 it first)")
        flags = os.O_WRONLY | os.O_APPEND | nofollow
    else:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | nofollow
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        raise FixError(f"{path}: cannot write the secrets file ({exc.strerror})") from None
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)
        data = "".join(line + "\n" for line in export_lines(pairs)).encode()
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    return "added to" if info is not None else "written to"


def store_keychain(pairs: list[tuple[str, str]], service: str = KEYCHAIN_SERVICE) -> None:
    """Each value as a password of ``service`` under its variable's name (the keyring package
    picks the OS's store: macOS Keychain, Windows Credential Locker, Secret Service)."""
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:
        raise FixError("--keychain needs the keyring package: pip install 'nhi-cli[keychain]'") from None
    try:
        for name, value in pairs:
            keyring.set_password(service, name, value)
    except KeyringError as exc:
        raise FixError(f"the OS keychain did not take the values ({type(exc).__name__}): try --secrets-file") from None


# --- writing one config -----------------------------------------------------------------------------
def _create(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    if not hasattr(os, "fchmod"):
        os.chmod(path, mode)


def backup_path(target: Path) -> Path:
    candidate, n = target.with_name(target.name + ".bak"), 1
    while os.path.lexists(candidate):
        candidate, n = target.with_name(f"{target.name}.bak.{n}"), n + 1
    return candidate


def write_plan(plan: FilePlan) -> Path:
    """Back up and rewrite one file; returns the backup's path."""
    assert plan.target is not None and plan.changed
    target = plan.target
    try:
        with open(target, "rb") as handle:
            now = handle.read()
    except OSError as exc:
        raise FixError(f"{plan.display}: cannot read it again ({exc.strerror})") from None
    if now != plan.old.encode("utf-8"):
        raise FixError(f"{plan.display}: changed since it was read; not rewritten (run nhi fix mcp again)")
    backup = backup_path(target)
    temp = target.with_name(f".{target.name}.nhi-fix-{os.getpid()}")
    try:
        _create(backup, now, plan.mode)
        _create(temp, plan.new.encode("utf-8"), plan.mode)
        os.replace(temp, target)
    except OSError as exc:
        if os.path.lexists(temp):
            os.unlink(temp)
        raise FixError(f"{plan.display}: cannot write ({exc.strerror})") from None
    return backup
