"""MCP discovery at a developer-machine scale: one home directory with every client's per-user
configs (20 clients, every path of every OS) and N repositories (git work trees) with project
configs of the clients that have them, next to ordinary source files and a node_modules folder.

    .venv/bin/python benchmarks/mcp_scan.py [--repos 500] [--servers 5]

Prints the wall time and peak RSS of the real `nhi scan` (a child process: discovery, parsing,
detection, git status, the store and the rules), and the time to read and parse each config
file and examine its servers, by format (in this process, median / p95 / max). The configs
hold fake secrets of several formats and references, like real ones.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nhi_connectors.mcp import clients, discovery, locations  # noqa: E402
from nhi_connectors.mcp.detect import scan_server  # noqa: E402
from nhi_connectors.mcp.fake import make_work_tree  # noqa: E402

RNG = random.Random(7)


def _r(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(RNG.choice(alphabet) for _ in range(n))


def servers(n: int) -> dict[str, dict]:
    out = {}
    for i in range(n):
        kind = i % 5
        if kind == 0:
            out[f"github{i}"] = {
                "command": "npx",
                "args": ["-y", "@modelcontextprotocol/server-github"],
                "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_" + _r(36)},
            }
        elif kind == 1:
            out[f"openai{i}"] = {
                "command": "uvx",
                "args": ["llm-gw-mcp==1.2.0"],
                "env": {"OPENAI_API_KEY": "sk-proj-" + _r(20) + "T3BlbkFJ" + _r(20)},
            }
        elif kind == 2:
            out[f"remote{i}"] = {
                "url": f"https://mcp{i}.example.com/mcp",
                "headers": {"Authorization": "Bearer ${TOKEN}"},
            }
        elif kind == 3:
            out[f"db{i}"] = {"command": "npx", "args": ["-y", "pg-mcp@2.0.0", f"postgresql://app:{_r(16)}@db:5432/app"]}
        else:
            out[f"files{i}"] = {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/src"]}
    return out


def render(fmt: str, specs: dict[str, dict]) -> str:
    """One config file of ``fmt`` holding ``specs`` (in that client's own layout)."""
    if fmt in ("mcpServers", "any", "claude_code_user"):
        return json.dumps({"mcpServers": specs}, indent=2)
    if fmt == "servers":
        return json.dumps({"servers": specs}, indent=2)
    if fmt == "vscode_settings":
        return json.dumps({"editor.fontSize": 14, "mcp": {"servers": specs}}, indent=2)
    if fmt == "zed_settings":
        return "// Zed settings\n" + json.dumps({"theme": "One Dark", "context_servers": specs}, indent=2)
    if fmt == "codex_toml":
        lines = ['model = "gpt-5-codex"', ""]
        for name, spec in specs.items():
            lines.append(f"[mcp_servers.{name}]")
            for key in ("command", "url"):
                if key in spec:
                    lines.append(f"{key} = {json.dumps(spec[key])}")
            if "args" in spec:
                lines.append(f"args = {json.dumps(spec['args'])}")
            for table in ("env", "headers"):
                if table in spec:
                    items = ", ".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in spec[table].items())
                    lines.append(f"{'http_headers' if table == 'headers' else 'env'} = {{ {items} }}")
            lines.append("")
        return "\n".join(lines)
    if fmt in ("continue_yaml", "goose_yaml"):
        import yaml

        if fmt == "continue_yaml":
            return yaml.safe_dump(
                {"name": "a", "version": "1", "mcpServers": [{"name": k, **v} for k, v in specs.items()]}
            )
        goose = {}
        for k, v in specs.items():
            entry = {"enabled": True, "name": k, "timeout": 300, "type": "streamable_http" if "url" in v else "stdio"}
            entry.update(
                {"cmd": v.get("command"), "args": v.get("args", []), "envs": v.get("env", {})}
                if "command" in v
                else {"uri": v["url"], "headers": v.get("headers", {})}
            )
            goose[k] = entry
        return yaml.safe_dump({"GOOSE_PROVIDER": "anthropic", "extensions": goose})
    if fmt == "continue_json":
        return json.dumps(
            {"experimental": {"modelContextProtocolServers": [{"name": k, "transport": v} for k, v in specs.items()]}}
        )
    if fmt == "jetbrains_xml":
        from xml.sax.saxutils import quoteattr

        parts = ['<application><component name="McpApplicationServerCommands"><commands>']
        for k, v in specs.items():
            if "command" not in v:
                continue
            parts.append(
                f'<McpServerCommand><option name="name" value={quoteattr(k)}/>'
                f'<option name="programPath" value={quoteattr(v["command"])}/>'
                f'<option name="arguments" value={quoteattr(" ".join(v.get("args", [])))}/><envs>'
            )
            parts += [f"<env name={quoteattr(n)} value={quoteattr(val)}/>" for n, val in v.get("env", {}).items()]
            parts.append("</envs></McpServerCommand>")
        return "".join(parts) + "</commands></component></application>"
    raise ValueError(fmt)


def build(base: Path, repos: int, per_file: int) -> tuple[Path, Path, int]:
    home, projects = base / "home", base / "projects"
    files = 0
    for loc in locations.HOME:
        path = home / loc.path.replace("*", "WebStorm2025.3" if "JetBrains" in loc.path else "one")
        if "*." in loc.path:
            path = path.with_name("one" + Path(loc.path).suffix)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(loc.format, servers(per_file)))
        files += 1
    for rel in locations.VSCODE_USER_DIRS:
        (home / rel).mkdir(parents=True, exist_ok=True)
        (home / rel / "mcp.json").write_text(render("servers", servers(per_file)))
        files += 1
    forms = [loc for loc in locations.PROJECT if loc.format not in ("vscode_settings",)]
    for i in range(repos):
        repo = projects / f"repo{i:03d}"
        (repo / "src").mkdir(parents=True)
        for j in range(20):
            (repo / "src" / f"m{j}.py").write_text("print('hello')\n")
        (repo / "node_modules/pkg").mkdir(parents=True)
        (repo / "node_modules/pkg/.mcp.json").write_text("{}")  # skipped by the walk
        for loc in (forms[0], forms[1 + i % (len(forms) - 1)]):
            path = repo / loc.path.replace("*", "one")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render(loc.format, servers(max(1, per_file // 2))))
            files += 1
        make_work_tree(repo)
    return home, projects, files


def parse_times(home: Path, projects: Path) -> dict[str, list[float]]:
    configs = discovery.home_files(home) + discovery.walk(projects)
    by_format: dict[str, list[float]] = {}
    for config in configs:
        start = time.perf_counter()
        text, _mode = clients.read_text(config.path, 20_000_000)
        parsed = clients.parse(config, text)
        for server in parsed.servers:
            scan_server(server.spec)
        by_format.setdefault(config.format, []).append((time.perf_counter() - start) * 1000)
    return by_format


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repos", type=int, default=500)
    parser.add_argument("--servers", type=int, default=5, help="servers per per-user config file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nhi-mcp-bench-") as tmp:
        base = Path(tmp)
        start = time.perf_counter()
        home, projects, files = build(base, args.repos, args.servers)
        print(f"built {files} config files ({args.repos} repositories) in {time.perf_counter() - start:.1f} s")
        config = base / "nhi.yaml"
        config.write_text(
            json.dumps({"version": 1, "providers": {"mcp": {"home": str(home), "paths": [str(projects)]}}})
        )
        start = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "nhi_cli",
                "--db",
                str(base / "nhi.db"),
                "--config",
                str(config),
                "scan",
                "-f",
                "json",
            ],
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - start
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        report = json.loads(done.stdout)
        identities = sum(s.get("identities", 0) for s in report["scopes"])
        print(
            f"nhi scan: exit {done.returncode}, {wall:.1f} s wall, peak RSS {rss:.0f} MB, "
            f"scopes {[s['status'] for s in report['scopes']]}, identities {identities}"
        )
        times = parse_times(home, projects)
        print("| format | files | median ms | p95 ms | max ms |")
        print("|---|---:|---:|---:|---:|")
        for fmt, values in sorted(times.items()):
            values.sort()
            p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
            print(f"| {fmt} | {len(values)} | {statistics.median(values):.2f} | {p95:.2f} | {values[-1]:.2f} |")


if __name__ == "__main__":
    main()
