"""Where each MCP client keeps its configuration: per-user files (Linux, macOS and Windows
paths, all looked for: a home directory copied between machines, or a test tree, may hold any
of them) and the per-project names a checkout can commit. The README's client table is this
module in prose; ``tests/mcp/test_mcp_clients.py`` checks that every row is documented.

A path may hold one ``*`` segment: every entry of that folder (JetBrains keeps one settings
folder per IDE and version, Continue and Amazon Q one file per server block or agent).
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath


@dataclass(frozen=True)
class Location:
    client: str
    path: str  # under the home directory (POSIX separators), or a project-relative name
    format: str  # parser name (clients.FORMATS)
    scope: str = "user"  # user, project, managed (machine-wide, deployed by an administrator)


# Editors built on VS Code that host the Cline and Roo Code extensions, by user folder.
_CODE_FAMILY = ("Code", "Code - Insiders", "VSCodium", "Cursor", "Windsurf")
_APP_DIRS = (".config", "Library/Application Support", "AppData/Roaming")  # Linux, macOS, Windows


def _code_user_dirs() -> list[str]:
    return [f"{base}/{app}/User" for base in _APP_DIRS for app in _CODE_FAMILY]


def _extension_storage(extension: str, file: str, client: str) -> list[Location]:
    return [
        Location(client, f"{user}/globalStorage/{extension}/settings/{file}", "mcpServers")
        for user in _code_user_dirs()
    ]


HOME: tuple[Location, ...] = (
    # Claude Desktop
    Location("claude_desktop", "Library/Application Support/Claude/claude_desktop_config.json", "mcpServers"),
    Location("claude_desktop", ".config/Claude/claude_desktop_config.json", "mcpServers"),
    Location("claude_desktop", "AppData/Roaming/Claude/claude_desktop_config.json", "mcpServers"),
    # Claude Code (project .mcp.json files of the projects it lists are added by the connector)
    Location("claude_code", ".claude.json", "claude_code_user"),
    Location("cursor", ".cursor/mcp.json", "mcpServers"),
    Location("windsurf", ".codeium/windsurf/mcp_config.json", "mcpServers"),
    Location("gemini_cli", ".gemini/settings.json", "mcpServers"),
    # OpenAI Codex CLI: $CODEX_HOME (default ~/.codex, %USERPROFILE%\.codex on Windows)
    Location("codex", ".codex/config.toml", "codex_toml"),
    # Zed: ~/.config/zed on Linux and macOS, %APPDATA%\Zed on Windows
    Location("zed", ".config/zed/settings.json", "zed_settings"),
    Location("zed", "AppData/Roaming/Zed/settings.json", "zed_settings"),
    # Continue: ~/.continue on every OS (%USERPROFILE%\.continue)
    Location("continue", ".continue/config.yaml", "continue_yaml"),
    Location("continue", ".continue/config.json", "continue_json"),
    Location("continue", ".continue/mcpServers/*.yaml", "continue_yaml"),
    Location("continue", ".continue/mcpServers/*.yml", "continue_yaml"),
    Location("continue", ".continue/mcpServers/*.json", "any"),
    # Cline and Roo Code: the extension's globalStorage in every VS Code-like editor; Cline CLI
    *_extension_storage("saoudrizwan.claude-dev", "cline_mcp_settings.json", "cline"),
    Location("cline", ".cline/data/settings/cline_mcp_settings.json", "mcpServers"),
    *_extension_storage("rooveterinaryinc.roo-cline", "mcp_settings.json", "roo_code"),
    # JetBrains AI Assistant: llm.mcpServers.xml per IDE and version; JSON since 2025.3
    *(
        Location("jetbrains_ai", f"{base}/JetBrains/*/options/llm.mcpServers.xml", "jetbrains_xml")
        for base in _APP_DIRS
    ),
    Location("jetbrains_ai", ".ai/mcp/mcp.json", "mcpServers"),
    # Junie: every JSON file in ~/.junie/mcp
    Location("junie", ".junie/mcp/*.json", "mcpServers"),
    # Goose: ~/.config/goose on Linux and macOS, %APPDATA%\Block\goose\config on Windows
    Location("goose", ".config/goose/config.yaml", "goose_yaml"),
    Location("goose", "AppData/Roaming/Block/goose/config/config.yaml", "goose_yaml"),
    # Amazon Q Developer: IDE (default.json, agents) and CLI (cli-agents), legacy mcp.json
    Location("amazon_q", ".aws/amazonq/mcp.json", "mcpServers"),
    Location("amazon_q", ".aws/amazonq/default.json", "mcpServers"),
    Location("amazon_q", ".aws/amazonq/agents/*.json", "mcpServers"),
    Location("amazon_q", ".aws/amazonq/cli-agents/*.json", "mcpServers"),
    # GitHub Copilot CLI ($COPILOT_HOME, default ~/.copilot); Copilot in JetBrains IDEs
    Location("copilot_cli", ".copilot/mcp-config.json", "mcpServers"),
    Location("copilot_jetbrains", ".config/github-copilot/intellij/mcp.json", "servers"),
    Location("copilot_jetbrains", "AppData/Local/github-copilot/intellij/mcp.json", "servers"),
    # LM Studio: ~/.lmstudio on every OS; macOS builds also keep a copy under ~/.cache
    Location("lm_studio", ".lmstudio/mcp.json", "mcpServers"),
    Location("lm_studio", ".cache/lm-studio/mcp.json", "mcpServers"),
    # Visual Studio 2022 17.14+ and 2026: %USERPROFILE%\.mcp.json (Microsoft's "Use MCP servers")
    Location("visual_studio", ".mcp.json", "any"),
    # Tabnine Agent and CLI: ~/.tabnine/agent/settings.json (Tabnine's "MCP Server Config"); the
    # IDE plugins' earlier ~/.tabnine/mcp_servers.json, headers under requestInit
    Location("tabnine", ".tabnine/agent/settings.json", "mcpServers"),
    Location("tabnine", ".tabnine/mcp_servers.json", "mcpServers"),
)

# Claude Code's managed-mcp.json: the MCP servers an administrator deploys for every user of
# the machine (Claude Code then loads only these), under the system root, not a home. Paths from
# Anthropic's "Control MCP server access for your organization" (code.claude.com/docs/en/managed-mcp):
# macOS, Linux and WSL, Windows (C:\Program Files since Claude Code 2.1.2; C:\ProgramData before).
MANAGED: tuple[Location, ...] = tuple(
    Location("claude_code", f"{folder}/managed-mcp.json", "claude_code_managed", "managed")
    for folder in (
        "Library/Application Support/ClaudeCode",
        "etc/claude-code",
        "Program Files/ClaudeCode",
        "ProgramData/ClaudeCode",
    )
)

# VS Code's own user folders (mcp.json, settings.json, profiles/*/mcp.json), on every OS.
VSCODE_USER_DIRS = tuple(f"{base}/{app}/User" for base in _APP_DIRS for app in ("Code", "Code - Insiders", "VSCodium"))

# Platform config folders named by the environment (the current user's scan only): the
# location under them, for clients that honour them.
ENV_DIRS: dict[str, tuple[Location, ...]] = {
    "XDG_CONFIG_HOME": (
        Location("claude_desktop", "Claude/claude_desktop_config.json", "mcpServers"),
        Location("zed", "zed/settings.json", "zed_settings"),
        Location("goose", "goose/config.yaml", "goose_yaml"),
        Location("copilot_cli", ".copilot/mcp-config.json", "mcpServers"),
    ),
    "APPDATA": (
        Location("claude_desktop", "Claude/claude_desktop_config.json", "mcpServers"),
        Location("zed", "Zed/settings.json", "zed_settings"),
        Location("goose", "Block/goose/config/config.yaml", "goose_yaml"),
    ),
    "CODEX_HOME": (Location("codex", "config.toml", "codex_toml"),),
    "COPILOT_HOME": (Location("copilot_cli", "mcp-config.json", "mcpServers"),),
}

# Project files, by path relative to the project root (a "*" matches one file name).
PROJECT: tuple[Location, ...] = (
    Location("claude_code", ".mcp.json", "mcpServers", "project"),
    Location("cursor", ".cursor/mcp.json", "mcpServers", "project"),
    Location("vscode", ".vscode/mcp.json", "servers", "project"),
    Location("vscode", ".vscode/settings.json", "vscode_settings", "project"),
    Location("gemini_cli", ".gemini/settings.json", "mcpServers", "project"),
    Location("codex", ".codex/config.toml", "codex_toml", "project"),
    Location("zed", ".zed/settings.json", "zed_settings", "project"),
    Location("continue", ".continue/mcpServers/*.yaml", "continue_yaml", "project"),
    Location("continue", ".continue/mcpServers/*.yml", "continue_yaml", "project"),
    Location("continue", ".continue/mcpServers/*.json", "any", "project"),
    Location("roo_code", ".roo/mcp.json", "mcpServers", "project"),
    Location("jetbrains_ai", ".ai/mcp/mcp.json", "mcpServers", "project"),
    Location("jetbrains_ai", ".idea/workspace.xml", "jetbrains_xml", "project"),
    Location("junie", ".junie/mcp/*.json", "mcpServers", "project"),
    Location("amazon_q", ".amazonq/mcp.json", "mcpServers", "project"),
    Location("amazon_q", ".amazonq/default.json", "mcpServers", "project"),
    Location("amazon_q", ".amazonq/cli-agents/*.json", "mcpServers", "project"),
    Location("copilot_cli", ".github/mcp.json", "mcpServers", "project"),
    # Visual Studio also reads a solution's .mcp.json (Claude Code's name: found as Claude Code's)
    Location("visual_studio", ".vs/mcp.json", "any", "project"),
    Location("tabnine", ".tabnine/agent/settings.json", "mcpServers", "project"),
)
# Names that identify a client's file wherever it is (a file given on the command line).
ANYWHERE: tuple[Location, ...] = (
    Location("claude_desktop", "claude_desktop_config.json", "mcpServers"),
    Location("windsurf", "mcp_config.json", "mcpServers"),
    Location("claude_code", ".claude.json", "claude_code_user"),
    Location("cline", "cline_mcp_settings.json", "mcpServers"),
    Location("roo_code", "mcp_settings.json", "mcpServers"),
    Location("jetbrains_ai", "llm.mcpServers.xml", "jetbrains_xml"),
    Location("copilot_cli", "mcp-config.json", "mcpServers"),
    Location("claude_code", "managed-mcp.json", "claude_code_managed", "managed"),
)
# The last folder names of every project location: a directory walk only looks at files
# whose parent folders end like one of these (cheap to test per file).
PROJECT_DEPTHS = max(len(PurePosixPath(loc.path).parts) for loc in PROJECT)


def match_project(rel_parts: tuple[str, ...]) -> Location | None:
    """The project location whose path is the tail of ``rel_parts``, if any."""
    for loc in PROJECT:
        parts = PurePosixPath(loc.path).parts
        if len(rel_parts) >= len(parts) and all(
            fnmatch.fnmatchcase(have, want) for have, want in zip(rel_parts[-len(parts) :], parts, strict=True)
        ):
            return loc
    return None


def match_anywhere(path: Path) -> Location | None:
    for loc in ANYWHERE:
        if path.name == loc.path:
            return loc
    return None


def expand(base: Path, rel: str) -> list[Path]:
    """``base / rel`` with a ``*`` segment expanded to the folder's entries (sorted); paths are
    returned whether or not they exist (the caller checks, so a broken symlink is reported)."""
    parts = PurePosixPath(rel).parts
    star = next((i for i, part in enumerate(parts) if "*" in part), None)
    if star is None:
        return [base.joinpath(*parts)]
    folder = base.joinpath(*parts[:star])
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    return [
        folder / name / Path(*parts[star + 1 :]) if star + 1 < len(parts) else folder / name
        for name in names
        if fnmatch.fnmatchcase(name, parts[star])
    ]
