"""Local MCP agent configs: every configured MCP server, and the standing secrets in them.

No network. Scopes are roots: ``~`` (this machine's per-user client configs, found at their
fixed locations) and each given path (``paths:`` in nhi.yaml, ``--mcp-path``), which may be a
file or a directory searched for project configs. A file that cannot be read or parsed is a
gap of its scope (``partial``); the other files are still inventoried.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from nhi_cli.kit.connector import CollectContext, Connector, ConnectorSettings, ScopeFailed
from nhi_cli.model import Batch, Scope

from . import clients, discovery, locations, lock
from .detect import FieldScan, scan_server
from .fake import start_demo
from .revoke import REVOKE_KINDS
from .settings import McpSettings
from .transform import FileFacts, build_batch, display_path, line_of

# one file read: its parse, what nhi knows of the file, and each server with what it holds
ReadFile = tuple[clients.ParsedFile, FileFacts, list[tuple[clients.ServerEntry, FieldScan]]]


class McpConnector(Connector):
    name: ClassVar[str] = "mcp"
    Settings: ClassVar[type[ConnectorSettings]] = McpSettings
    revoke_kinds: ClassVar[dict[str, list[str]]] = REVOKE_KINDS  # none: see revoke.py

    # --- scopes -----------------------------------------------------------------------
    def _home(self, ctx: CollectContext) -> Path:
        return Path(ctx.settings.home).expanduser().absolute() if ctx.settings.home else Path.home()

    def _paths(self, ctx: CollectContext) -> list[Path]:
        given = list(ctx.settings.paths) + [Path(p) for p in ctx.options.mcp_paths]
        out: list[Path] = []
        for path in given:
            path = Path(path).expanduser().absolute()
            if path not in out:
                out.append(path)
        return out

    def _show(self, ctx: CollectContext, path: Path, home: Path) -> str:
        return display_path(path, home, ctx.settings.machine)

    def _config_dirs(self, ctx: CollectContext) -> dict[str, Path]:
        """Platform and client config folders named by the environment, for this user's own
        scan only (``$XDG_CONFIG_HOME``, ``%APPDATA%``, ``$CODEX_HOME``, ``$COPILOT_HOME``)."""
        if ctx.settings.home:
            return {}
        return {var: Path(os.environ[var]) for var in locations.ENV_DIRS if os.environ.get(var)}

    def _system_root(self, ctx: CollectContext) -> Path | None:
        """Where the machine's managed configs are: ``system_root:``, else the real root when
        this user's own configs are read (another home, a copied tree, is not this machine's)."""
        if ctx.settings.system_root:
            return Path(ctx.settings.system_root).expanduser().absolute()
        return None if ctx.settings.home else discovery.default_system_root()

    def scopes(self, ctx: CollectContext) -> list[Scope]:
        home = self._home(ctx)
        scopes = []
        paths = self._paths(ctx)
        if ctx.settings.discover:
            scopes.append(
                Scope(
                    self.name,
                    self._show(ctx, home, home).rstrip("/"),
                    name=f"per-user configs in {home}",
                    attrs={"root": str(home), "kind": "home", "skip_under": [str(p) for p in paths]},
                )
            )
        for path in paths:
            scopes.append(
                Scope(self.name, self._show(ctx, path, home), name=str(path), attrs={"root": str(path), "kind": "path"})
            )
        return scopes

    # --- collect ----------------------------------------------------------------------
    def collect(self, ctx: CollectContext, scope: Scope) -> Batch:
        home = self._home(ctx)
        root = Path(scope.attrs["root"])
        # (file, the tree it must stay inside): the user's own client configs may be symlinks
        # (dotfile managers); a file found in a project or a scanned tree may not leave it
        if scope.attrs["kind"] == "home":
            home_configs = discovery.home_files(root, self._config_dirs(ctx))
            configs = [(c, None) for c in home_configs] + self._claude_code_projects(ctx, home_configs, scope, home)
            system_root = self._system_root(ctx)
            if system_root is not None:
                configs += [(c, None) for c in discovery.managed_files(system_root)]
        else:
            configs = self._given(ctx, root, home)
        locked = self._lock(ctx, root) if scope.attrs["kind"] == "path" else None
        items, seen = [], set()
        for config, inside in configs:
            key = str(config.path)
            if key in seen:
                continue
            seen.add(key)
            item = self._read(ctx, config, home, inside)
            if item is not None:
                if locked is not None:
                    item[1].lock, item[1].lock_file = locked[1], _relative(Path(config.path).absolute(), locked[0])
                items.append(item)
        self._git_statuses(ctx, items)
        return build_batch(items, scope.id, ctx.secret_salt)

    def _lock(self, ctx: CollectContext, root: Path) -> tuple[Path, dict[str, str]] | None:
        """The allow-list beside a scanned tree's configs (lock.py), if it has one."""
        folder = root if root.is_dir() else (discovery.git_root(root.absolute()) or root.parent)
        try:
            entries = lock.read_lock(folder / lock.LOCK_NAME)
        except lock.LockError as exc:
            ctx.gap(self._show(ctx, folder / lock.LOCK_NAME, self._home(ctx)), "malformed_lock", str(exc))
            return None
        return (folder, entries) if entries is not None else None

    def _git_statuses(self, ctx: CollectContext, items: list[ReadFile]) -> None:
        """Whether each project config in a work tree is tracked, ignored or untracked: one
        batch of read-only git commands per repository."""
        by_repo: dict[Path, list[Any]] = {}
        for parsed, facts, _servers in items:
            if facts.repo_path is not None and parsed.config.config_scope == "project":
                by_repo.setdefault(facts.repo_path, []).append((Path(parsed.config.path).absolute(), facts))
        for repo, files in by_repo.items():
            statuses, calls = discovery.git_statuses(repo, [path for path, _facts in files])
            ctx.count("git", calls)
            for path, facts in files:
                facts.git_status = statuses[path]

    def _given(self, ctx: CollectContext, root: Path, home: Path) -> list[tuple[discovery.ConfigFile, Path | None]]:
        try:
            root.lstat()
        except OSError:
            raise ScopeFailed("not_found", f"{root} does not exist") from None
        if root.is_dir():
            ctx.count("directory_walk")
            return [(config, root) for config in discovery.walk(root)]
        return [(discovery.classify_given_file(root), None)]  # named by the user: followed

    def _claude_code_projects(
        self, ctx: CollectContext, configs: list[discovery.ConfigFile], scope: Scope, home: Path
    ) -> list[tuple[discovery.ConfigFile, Path | None]]:
        """Project ``.mcp.json`` files of the projects ~/.claude.json knows, unless a given
        path covers them (then they belong to that path's scope)."""
        skip = [Path(p) for p in scope.attrs.get("skip_under", [])]
        out: list[tuple[discovery.ConfigFile, Path | None]] = []
        for config in configs:
            if config.format != "claude_code_user":
                continue
            try:
                text, _mode = clients.read_text(config.path, ctx.settings.max_file_bytes)
                parsed = clients.parse(config, text, clients.Limits.of(ctx.settings))
            except Exception:  # noqa: BLE001 -- reported (as a gap) when the file itself is read
                continue
            for project in parsed.projects:
                project_path = Path(project)
                if not project_path.is_absolute() or any(project_path == s or s in project_path.parents for s in skip):
                    continue
                candidate = project_path / ".mcp.json"
                if discovery._exists_or_link(candidate):
                    out.append((discovery.ConfigFile(candidate, "claude_code", "project", "mcpServers"), project_path))
        return out

    def _read(
        self, ctx: CollectContext, config: discovery.ConfigFile, home: Path, inside: Path | None = None
    ) -> ReadFile | None:
        """One file's servers and what they hold, or None and a gap for that file. ``inside``:
        the tree the file was found in; a symlink out of it is not that tree's file."""
        shown = self._show(ctx, config.path, home)
        try:
            if inside is not None and not _within(config.path, inside):
                raise clients.FileProblem(
                    "outside_tree", "a symlink to a file outside the scanned tree: not read, and not attributed to it"
                )
            text, mode = clients.read_text(config.path, ctx.settings.max_file_bytes)
            ctx.count("files_read")
            parsed = clients.parse(config, text, clients.Limits.of(ctx.settings))
            servers = [(server, scan_server(server.spec)) for server in parsed.servers]
        except clients.FileProblem as problem:
            ctx.gap(shown, problem.code, problem.message)
            return None
        except Exception as exc:  # noqa: BLE001 -- whatever one hostile file does, it is that file's gap
            ctx.gap(shown, "unreadable", f"{type(exc).__name__} while reading this file")
            return None
        for key in parsed.unreadable:  # its value is not read: it may hold anything
            ctx.gap(
                f"{shown}#{key}",
                "unexpected_shape",
                "this MCP server entry is not an object, or lacks its name or program: not read",
            )
        absolute = Path(config.path).absolute()
        repo = discovery.git_root(absolute)
        facts = FileFacts(
            display=shown,
            repo_root=self._show(ctx, repo, home) if repo else None,
            mode=mode,
            repo_path=repo,
            repo_file=_relative(absolute, repo),
        )
        for _server, found in servers:
            for item in found.found:
                item.line = line_of(text, item.value)
        return parsed, facts, servers

    # --- demo ---------------------------------------------------------------------------
    @classmethod
    def demo(cls, stack: ExitStack, estate: Path, now: datetime) -> dict[str, Any] | None:
        return start_demo(stack, estate)


def _within(path: Path, tree: Path) -> bool:
    """Whether ``path``, symlinks resolved, is inside ``tree`` (symlinks resolved too)."""
    real, top = os.path.realpath(path), os.path.realpath(tree)
    return real == top or real.startswith(top.rstrip(os.sep) + os.sep)


def _relative(path: Path, repo: Path | None) -> str | None:
    """``path`` relative to the work tree ``repo`` (POSIX separators), or None outside it."""
    if repo is None:
        return None
    try:
        return path.relative_to(repo).as_posix()
    except ValueError:  # reached through a symlink from outside the work tree
        try:
            return path.resolve().relative_to(repo.resolve()).as_posix()
        except ValueError:
            return None
