"""Agents at scale: build the agents and list them on synthetic inventories.

Reuses the rules benchmark's inventory (``rules_scale.generate``: N/2 IAM users with 2 keys,
N/4 roles, grants, trusts, people) and makes a realistic share of it agent-like:

- 1 in 3 identities carries ordinary tags (team, env), so tags are never all empty;
- 1 in 200 IAM users is tagged ``nhi:agent`` (half with a fleet name shared by 4 users, half
  ``true``); 1 in 1,000 users is named like a bot (weak evidence only);
- 1 in 150 roles is trusted by ``bedrock.amazonaws.com`` (1 in 10 of those by AgentCore);
- an MCP server for every 100th user, 4 servers per developer config file, each embedding that
  user's first access key (linked by key id); N/1,000 OpenAI service-account identities;
- three config agents with globs (identities, credentials) and one ``not_agents`` glob.

Then three processes in turn, as a scan and `nhi agents list` run them: ``build_agents``
inside one transaction, the rules step (so the agents have findings; not timed here), and
``agent_rows`` (the data of `nhi agents list --format json`). Time and peak RSS are per process.

    .venv/bin/python benchmarks/agents_scale.py                  # 10k, 100k, 1M credentials
    .venv/bin/python benchmarks/agents_scale.py 10000 100000     # chosen sizes
    .venv/bin/python benchmarks/agents_scale.py --steps 100000   # plus per-step timings
"""

from __future__ import annotations

import inspect
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rules_scale import _iso, generate  # noqa: E402  (the shared synthetic inventory)

ENV = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}


def make_agentish(db: Path, credentials: int) -> dict:
    """Overlay agent evidence on the rules_scale inventory (same process, plain SQL)."""
    users = credentials // 2
    now = _iso(0)
    conn = sqlite3.connect(db)
    with conn:
        num = "CAST(substr(name, 2) AS INTEGER)"
        conn.execute(
            "UPDATE identity SET tags = json_object('team', 'team' || (rowid % 40), 'env', 'prod') WHERE rowid % 3 = 0"
        )
        conn.execute(
            f"UPDATE identity SET tags = json_set(tags, '$.\"nhi:agent\"', CASE WHEN {num} % 400 = 0 "
            f"THEN 'true' ELSE 'fleet-' || ({num} / 800) END) WHERE kind = 'iam_user' AND {num} % 200 = 0"
        )
        conn.execute(
            f"UPDATE identity SET name = name || '-bot', description = 'CI assistant' "
            f"WHERE kind = 'iam_user' AND {num} % 1000 = 7"
        )
        conn.execute(
            "UPDATE trust SET principal = CASE WHEN CAST(substr(identity_id, instr(identity_id, 'role/r') + 6) "
            "AS INTEGER) % 1500 = 1 THEN 'bedrock-agentcore.amazonaws.com' ELSE 'bedrock.amazonaws.com' END "
            "WHERE principal_type = 'service' "
            "AND CAST(substr(identity_id, instr(identity_id, 'role/r') + 6) AS INTEGER) % 150 = 1"
        )
        accounts = max(1, credentials // 20000)

        def servers():
            for u in range(0, users, 100):
                config = f"~/dev{u // 400}/.cursor/mcp.json"
                yield (
                    f"mcp:{config}#s{u}",
                    f"~/dev{u // 400}",
                    f"s{u}",
                    json.dumps(
                        {
                            "client": "cursor",
                            "config_file": config,
                            "server": f"s{u}",
                            "plaintext_secrets": 1,
                            "secrets": [{"field": "env AWS_ACCESS_KEY_ID", "secret_type": "aws_access_key_id"}],
                        }
                    ),
                    now,
                    now,
                )

        conn.executemany(
            "INSERT INTO identity (id, provider, scope, kind, name, attrs, first_seen, last_seen, first_scan, "
            "last_scan) VALUES (?, 'mcp', ?, 'mcp_server', ?, ?, ?, ?, 1, 1)",
            servers(),
        )

        def secrets():
            for u in range(0, users, 100):
                config = f"~/dev{u // 400}/.cursor/mcp.json"
                key = f"AKIA{u:012d}0000"
                yield (
                    f"mcp-secret:{u:024x}",
                    f"mcp:{config}#s{u}",
                    f"~/dev{u // 400}",
                    key,
                    key,
                    json.dumps({"secret_provider": "aws", "secret_type": "aws_access_key_id", "files": [config]}),
                    now,
                    now,
                )

        conn.executemany(
            "INSERT INTO credential (id, identity_id, provider, scope, kind, status, key_id, hint, attrs, "
            "first_seen, last_seen, first_scan, last_scan) VALUES (?, ?, 'mcp', ?, 'embedded_secret', "
            "'active', ?, ?, ?, ?, ?, 1, 1)",
            secrets(),
        )

        def openai():
            for s in range(max(1, credentials // 1000)):
                yield (
                    f"openai:proj_{s % 20}/service_account/svc-{s}",
                    f"svc-{s}",
                    json.dumps({"project_id": f"proj_{s % 20}", "service_account_id": f"svc-{s}"}),
                    now,
                    now,
                )

        conn.executemany(
            "INSERT INTO identity (id, provider, scope, kind, name, attrs, first_seen, last_seen, first_scan, "
            "last_scan) VALUES (?, 'openai', 'org-bench', 'service_account', ?, ?, ?, ?, 1, 1)",
            openai(),
        )
        conn.execute(
            "INSERT INTO credential (id, identity_id, provider, scope, kind, status, key_id, hint, first_seen, "
            "last_seen, first_scan, last_scan) SELECT 'openai:key_' || name, id, 'openai', 'org-bench', "
            "'api_key', 'active', 'key_' || name, 'sk-svcacct-' || substr(name || 'xxxx', 1, 3) || '...' || "
            "printf('%04d', rowid % 10000), ?, ?, 1, 1 FROM identity WHERE provider = 'openai'",
            (now, now),
        )
    conn.execute("ANALYZE")
    counts = {
        "accounts": accounts,
        "tagged": conn.execute("SELECT COUNT(*) FROM identity WHERE tags LIKE '%nhi:agent%'").fetchone()[0],
        "bedrock": conn.execute("SELECT COUNT(*) FROM trust WHERE principal LIKE 'bedrock%'").fetchone()[0],
        "mcp_servers": conn.execute("SELECT COUNT(*) FROM identity WHERE kind = 'mcp_server'").fetchone()[0],
        "openai": conn.execute("SELECT COUNT(*) FROM identity WHERE provider = 'openai'").fetchone()[0],
    }
    conn.close()
    return counts


def bench_config():
    from nhi_cli.config import AgentConfig, Config

    return Config(
        agents=[
            AgentConfig(name="fleet-alpha", owner="person1@example.com", identities=["*:user/u1234?", "*:role/r777*"]),
            AgentConfig(
                name="batch-runner",
                identities=["*:user/u99?0"],
                credentials=["AKIA00000000555*"],
                reject=["*:user/u9990"],
            ),
            AgentConfig(name="ops-copilot", owner="person2@example.com", identities=["*ops-copilot*"]),
        ],
        not_agents=["*:user/u3*-bot"],
    )


def _peak_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def run_build(db: Path) -> dict:
    from nhi_cli.agents.build import build_agents
    from nhi_cli.store import open_store

    store, config, timings = open_store(db), bench_config(), {}
    kwargs = {"timings": timings} if "timings" in inspect.signature(build_agents).parameters else {}
    start, cpu = time.perf_counter(), time.process_time()
    with store.transaction() as conn:
        names = build_agents(conn, config, 1, **kwargs)
    result = {
        "agents": len(names),
        "wall_s": round(time.perf_counter() - start, 2),
        "cpu_s": round(time.process_time() - cpu, 2),
        "peak_rss_mb": _peak_mb(),
        "timings": timings,
        "members": store.conn.execute("SELECT COUNT(*) FROM agent_member").fetchone()[0],
        "links": store.conn.execute("SELECT COUNT(*) FROM credential_link").fetchone()[0],
    }
    store.close()
    return result


def run_rules(db: Path) -> dict:
    from nhi_cli.rules.gate import load_ruleset
    from nhi_cli.rules.scan_step import RulesStep
    from nhi_cli.store import open_store

    store, config = open_store(db), bench_config()
    step = RulesStep(config, load_ruleset(config))
    with store.transaction() as conn:
        step(conn, 1)
    findings = store.conn.execute("SELECT COUNT(*) FROM finding").fetchone()[0]
    store.close()
    return {"findings": findings}


def run_list(db: Path) -> dict:
    from nhi_cli.agents.scorecard import agent_rows
    from nhi_cli.store import open_store

    store, timings = open_store(db), {}
    kwargs = {"timings": timings} if "timings" in inspect.signature(agent_rows).parameters else {}
    start, cpu = time.perf_counter(), time.process_time()
    rows = agent_rows(store.conn, **kwargs)
    text = json.dumps(rows, default=str)
    result = {
        "agents": len(rows),
        "wall_s": round(time.perf_counter() - start, 2),
        "cpu_s": round(time.process_time() - cpu, 2),
        "peak_rss_mb": _peak_mb(),
        "timings": timings,
        "json_mb": round(len(text) / 1e6, 1),
    }
    store.close()
    return result


def _child(mode: str, db: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, mode, str(db)], check=True, capture_output=True, text=True, env=ENV)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _print_steps(label: str, timings: dict) -> None:
    for name, (wall, cpu) in timings.items():
        print(f"{'':>6}{label + ' ' + name:<40} {wall:>7.3f} {cpu:>6.3f}")


def main(argv: list[str]) -> None:
    modes = {"--build": run_build, "--rules": run_rules, "--list": run_list}
    if argv[:1] and argv[0] in modes:
        print(json.dumps(modes[argv[0]](Path(argv[1]))))
        return
    steps = "--steps" in argv
    sizes = [int(a) for a in argv if a != "--steps"] or [10_000, 100_000, 1_000_000]
    print(
        f"{'credentials':>12} {'identities':>11} {'agents':>7} {'members':>8} {'build wall s':>12} {'CPU s':>6} "
        f"{'RSS MB':>7} {'list wall s':>11} {'CPU s':>6} {'RSS MB':>7}"
    )
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "bench.db"
            counts = generate(db, size)
            extra = make_agentish(db, size)
            build = _child("--build", db)
            _child("--rules", db)
            listed = _child("--list", db)
            identities = counts["identity"] + extra["mcp_servers"] + extra["openai"]
            print(
                f"{counts['credential']:>12,} {identities:>11,} {build['agents']:>7,} {build['members']:>8,} "
                f"{build['wall_s']:>12} {build['cpu_s']:>6} {build['peak_rss_mb']:>7} {listed['wall_s']:>11} "
                f"{listed['cpu_s']:>6} {listed['peak_rss_mb']:>7}",
                flush=True,
            )
            if steps:
                print(f"{'':>6}{'step':<40} {'wall s':>7} {'CPU s':>6}")
                _print_steps("build", build["timings"])
                _print_steps("list", listed["timings"])


if __name__ == "__main__":
    main(sys.argv[1:])
