"""The MCP connector's settings: ``providers.mcp`` in nhi.yaml."""

from __future__ import annotations

from pathlib import Path

from nhi_cli.kit.connector import ConnectorSettings


class McpSettings(ConnectorSettings):
    home: Path | None = None  # whose per-user configs to read (default: the current user's home)
    discover: bool = True  # read the per-user client configs under home
    # where machine-wide configs (Claude Code's managed-mcp.json) are looked for: / (C:\ on
    # Windows) when this user's configs are read; with home: set, only if this is set too
    system_root: Path | None = None
    paths: list[Path] = []  # files or directories with MCP configs (e.g. a repository checkout)
    max_file_bytes: int = 20_000_000  # ~/.claude.json carries project history and can be large
    # Limits per file (a hostile checkout can hold any JSON): over one, the file is a gap.
    max_nesting: int = 64  # JSON nesting depth (a 3,000-deep file used to abort the whole scan)
    max_servers: int = 1_000  # MCP servers in one file (100,000 took minutes and 478 MB)
    max_keys: int = 1_000_000  # object keys in one file, all levels together
    machine: str | None = None  # prefixes "~" ids, so that several machines can share one inventory
