"""The package structure ARCHITECTURE.md describes: no import circle among nhi's modules, and
no import running back up the layers.

Every import counts, at module top or inside a function (a function-local import still ties
the two modules together; it only hides it). Data flows one way (collect -> store -> evaluate
-> report / revoke), and so do imports: a module imports from its own package, from a sibling
module of its own package, or from a lower layer. Packages that share a layer are independent
of each other (agents and rules; reports and revoke).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Lowest first. Keep in step with the "Layers" section of ARCHITECTURE.md.
LAYERS: list[tuple[str, ...]] = [
    # 0: the version, exit codes, severity, records, nhi.yaml, neutral helpers, the connector kit
    (
        "nhi_cli",
        "nhi_cli.errors",
        "nhi_cli.severity",
        "nhi_cli.model",
        "nhi_cli.config",
        "nhi_cli.text",
        "nhi_cli.files",
        "nhi_cli.pool",
        "nhi_cli.extras",
        "nhi_cli.detect",
        "nhi_cli.config_check",
        "nhi_cli.init_config",
        "nhi_cli.trust",
        "nhi_cli.export_settings",
        "nhi_cli.yaml_safe",
        "nhi_cli.kit",
    ),
    ("nhi_cli.store",),
    ("nhi_connectors",),
    ("nhi_cli.scan", "nhi_cli.shards", "nhi_cli.evaluate"),
    ("nhi_cli.iam",),
    ("nhi_cli.agents", "nhi_cli.rules"),
    ("nhi_cli.revoke",),
    ("nhi_cli.reports",),  # the report lists the revocation log, checked by revoke's keys
    ("nhi_cli.export",),  # Security Hub, chat, Jira: send what the report model holds
    ("nhi_cli.cli",),
    ("nhi_cli.__main__", "nhi_cli.precommit"),
]
# Packages of these layers do not import each other (the modules of layer 0 and of the scan's
# layer are building blocks that may).
INDEPENDENT = {"nhi_cli.agents", "nhi_cli.rules", "nhi_cli.reports", "nhi_cli.revoke"}
PACKAGES = {"nhi_cli": ROOT / "nhi_cli", "nhi_connectors": ROOT / "connectors"}


def modules(packages: dict[str, Path]) -> dict[str, Path]:
    found = {}
    for name, folder in packages.items():
        for path in sorted(folder.rglob("*.py")):
            parts = [name, *path.relative_to(folder).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The nhi modules ``name`` imports, anywhere in the file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([node.module] if node.module else [])])
            # `from pkg import mod` imports the module pkg.mod; `from mod import name` the module
            candidates = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for candidate in candidates:
            while candidate and candidate not in known:
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name:
                targets.add(candidate)
    return targets


def graph(packages: dict[str, Path]) -> dict[str, set[str]]:
    found = modules(packages)
    known = set(found)
    return {name: imports(name, path, known) for name, path in found.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def layer_of(name: str, layers: list[tuple[str, ...]]) -> tuple[int, str]:
    """(layer index, the package prefix that placed it there): the longest prefix wins.
    ``nhi_cli`` places only its own ``__init__``, so a new package under it needs a layer."""
    best = (-1, "")
    for level, prefixes in enumerate(layers):
        for prefix in prefixes:
            below = name.startswith(prefix + ".") and prefix != "nhi_cli"
            if (name == prefix or below) and len(prefix) > len(best[1]):
                best = (level, prefix)
    return best


def upward(edges: dict[str, set[str]], layers: list[tuple[str, ...]]) -> list[str]:
    problems = []
    for source, targets in sorted(edges.items()):
        level, home = layer_of(source, layers)
        assert level >= 0, f"{source} is in no layer: add it to LAYERS and ARCHITECTURE.md"
        for target in sorted(targets):
            target_level, target_home = layer_of(target, layers)
            if target_level > level:
                problems.append(f"{source} imports {target}, a higher layer")
            elif target_level == level and target_home != home and set(layers[level]) & INDEPENDENT:
                problems.append(f"{source} imports {target}: packages of one layer stay independent")
    return problems


def test_no_import_circle():
    assert cycles(graph(PACKAGES)) == []


def test_no_import_runs_up_the_layers():
    assert upward(graph(PACKAGES), LAYERS) == []


def test_every_module_has_a_layer():
    placed = {name: layer_of(name, LAYERS)[0] for name in modules(PACKAGES)}
    assert [name for name, level in placed.items() if level < 0] == []


def test_the_checks_catch_a_circle_and_an_upward_import(tmp_path):
    """The checks above can fail: a planted circle and a planted upward import are reported."""
    pkg = tmp_path / "demo_pkg"
    (pkg / "low").mkdir(parents=True)
    (pkg / "high").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "low" / "__init__.py").write_text("")
    (pkg / "high" / "__init__.py").write_text("")
    (pkg / "low" / "a.py").write_text("def f():\n    from demo_pkg.high import b  # hidden in a function\n")
    (pkg / "high" / "b.py").write_text("from ..low import a\n")
    edges = graph({"demo_pkg": pkg})
    assert cycles(edges) == [["demo_pkg.high.b", "demo_pkg.low.a"]]
    layers = [("demo_pkg", "demo_pkg.low"), ("demo_pkg.high",)]
    assert upward(edges, layers) == ["demo_pkg.low.a imports demo_pkg.high.b, a higher layer"]


# The CLI boundary: cli/app.py loads each command's module when that command runs, so that
# `nhi --help` imports none of them; inside the CLI a function-local import may defer a heavy
# dependency if it says why (``# lazy: ...``). Below it every import of nhi's modules sits at
# module top, connectors included; provider SDKs stay lazy inside the functions that call them
# or through nhi_cli.kit.lazy.sdk.
CLI_BOUNDARY = "nhi_cli.cli"
DYNAMIC_LOADERS = {
    "nhi_cli.cli.app",  # the lazy command loading
    "nhi_cli.kit.lazy",  # sdk(): provider SDKs only, checked below for nhi's own modules
}


def hidden_imports(packages: dict[str, Path], own: set[str], boundary: str = CLI_BOUNDARY) -> list[str]:
    """Function-local imports of the packages named in ``own``, and dynamic imports
    (``importlib.import_module``, ``__import__``) outside :data:`DYNAMIC_LOADERS`. Inside
    ``boundary`` a function-local import passes when it says why with a ``lazy:`` comment (on the
    import's first line or the line above it); below it, none passes."""
    found = []
    for name, path in modules(packages).items():
        in_cli = name == boundary or name.startswith(boundary + ".")
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        tree = ast.parse(text)
        for node in ast.walk(tree):
            call = node.func if isinstance(node, ast.Call) else None
            called = getattr(call, "attr", None) or getattr(call, "id", None)
            if called in {"import_module", "__import__"} and name not in DYNAMIC_LOADERS:
                found.append(f"{name}:{node.lineno} (dynamic import)")
            elif called == "sdk" and any(
                isinstance(arg, ast.Constant) and str(arg.value).split(".")[0] in own for arg in node.args
            ):
                found.append(f"{name}:{node.lineno} (sdk() of nhi's own module)")
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.ImportFrom):
                    hidden = node.level > 0 or (node.module or "").split(".")[0] in own
                elif isinstance(node, ast.Import):
                    hidden = any(alias.name.split(".")[0] in own for alias in node.names)
                else:
                    continue
                said = lines[node.lineno - 1].partition("#")[2] + " " + lines[node.lineno - 2].strip()
                if hidden and not (in_cli and "lazy:" in said):
                    found.append(f"{name}:{node.lineno}")
    return sorted(set(found))


def test_below_the_cli_nhi_and_its_connectors_import_their_modules_at_the_top():
    """Below the CLI boundary nhi's modules and the connectors import each other at module top,
    where the structure shows (and where the circle check above sees it plainly)."""
    assert hidden_imports(PACKAGES, set(PACKAGES)) == []


def test_the_hidden_import_check_can_fail(tmp_path):
    pkg = tmp_path / "demo_pkg"
    (pkg / "cli").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "cli" / "__init__.py").write_text("")
    body = (
        "def f():\n    from demo_pkg import b\n"
        "def g():\n    from demo_pkg import c  # lazy: c loads a heavy SDK\n"
        "def h():\n    import json\n"
        "def i():\n    import importlib\n    return importlib.import_module('demo_pkg.b')\n"
        "c = sdk('demo_pkg.c')\n"
    )
    (pkg / "a.py").write_text(body)
    (pkg / "cli" / "a.py").write_text(body)
    found = hidden_imports({"demo_pkg": pkg}, {"demo_pkg"}, boundary="demo_pkg.cli")
    assert found == [
        "demo_pkg.a:10 (sdk() of nhi's own module)",
        "demo_pkg.a:2",
        "demo_pkg.a:4",  # below the CLI a reason does not excuse it
        "demo_pkg.a:9 (dynamic import)",
        "demo_pkg.cli.a:10 (sdk() of nhi's own module)",
        "demo_pkg.cli.a:2",  # in the CLI, a function-local import without a reason is reported too
        "demo_pkg.cli.a:9 (dynamic import)",
    ]


def test_architecture_names_every_layer():
    """ARCHITECTURE.md's layer table names every package and module LAYERS places."""
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    table = text[text.index("## Layers") :]
    table = table.replace(
        "nhi_cli/{errors,severity,model,config}.py", "nhi_cli/errors nhi_cli/severity nhi_cli/model nhi_cli/config"
    )
    table = table.replace("nhi_cli/{text,files,pool}.py", "nhi_cli/text nhi_cli/files nhi_cli/pool")
    table = table.replace(
        "nhi_cli/{config_check,init_config,detect,extras}.py",
        "nhi_cli/config_check nhi_cli/init_config nhi_cli/detect nhi_cli/extras",
    )
    table = table.replace("nhi_cli/{trust,yaml_safe}.py", "nhi_cli/trust nhi_cli/yaml_safe")
    for prefixes in LAYERS:
        for prefix in prefixes:
            path = prefix.replace("nhi_connectors", "connectors").replace(".", "/")
            assert path in table, f"ARCHITECTURE.md's layer table does not name {path}"
