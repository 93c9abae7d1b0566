"""Every connector has the same files with the same meanings (connectors/README.md)."""

from __future__ import annotations

import ast
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

CONNECTORS = Path(__file__).resolve().parents[2] / "connectors"
SKELETON = {"__init__.py", "connector.py", "settings.py", "clients.py", "transform.py", "revoke.py", "fake.py"}
BUILT_IN = sorted({ep.name for ep in entry_points(group="nhi.connectors") if ep.value.startswith("nhi_connectors.")})


def test_every_built_in_provider_is_registered_and_has_a_folder():
    folders = sorted(p.name for p in CONNECTORS.iterdir() if p.is_dir() and (p / "__init__.py").is_file())
    assert BUILT_IN == folders


@pytest.mark.parametrize("provider", BUILT_IN)
def test_provider_folder_has_the_skeleton_files(provider):
    present = {p.name for p in (CONNECTORS / provider).glob("*.py")}
    assert SKELETON <= present, f"connectors/{provider} lacks {sorted(SKELETON - present)}"


@pytest.mark.parametrize("provider", BUILT_IN)
def test_init_only_re_exports_the_connector_class(provider):
    tree = ast.parse((CONNECTORS / provider / "__init__.py").read_text(encoding="utf-8"))
    body = [
        node for node in tree.body if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
    ]  # docstring
    imports = [node for node in body if isinstance(node, ast.ImportFrom)]
    assert [(i.module, i.level, [a.name for a in i.names]) for i in imports] == [
        ("connector", 1, [entry_points(group="nhi.connectors")[provider].value.split(":")[1]])
    ]
    assert all(isinstance(node, (ast.ImportFrom, ast.Assign)) for node in body)


def test_connectors_import_their_own_modules_relatively():
    offenders = [
        str(path.relative_to(CONNECTORS))
        for path in CONNECTORS.rglob("*.py")
        if "nhi_connectors" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_loading_every_connector_class_imports_no_provider_sdk():
    """The class is loaded to list providers and revoke kinds; SDKs load only when a scan,
    revoke or demo runs."""
    code = (
        "import sys\n"
        "from nhi_cli.kit import registry\n"
        "for name in registry.available(): registry.load(name)\n"
        "heavy = [m for m in ('boto3', 'botocore', 'google', 'grpc', 'azure', 'httpx', 'moto', 'cryptography',"
        " 'kubernetes', 'urllib3')"
        " if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "HEAVY="


def test_importing_every_connector_module_imports_no_provider_sdk():
    """Connector modules import each other at their top (tests/core/test_layers.py), so every
    module, fakes and revoke included, must itself leave its SDK for the functions that call it
    (or name it through nhi_cli.kit.lazy.sdk): otherwise loading one connector class would load
    every SDK its package touches."""
    code = (
        "import importlib, pkgutil, sys\n"
        "import nhi_connectors, nhi_cli.kit\n"
        "for package in (nhi_connectors, nhi_cli.kit):\n"
        "    for info in pkgutil.walk_packages(package.__path__, package.__name__ + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'boto3', 'botocore', 'google', 'grpc', 'azure',"
        " 'httpx', 'moto', 'cryptography', 'kubernetes', 'urllib3', 'requests', 'werkzeug'})\n"
        "print('MODULES=%d' % len([m for m in sys.modules if m.startswith('nhi_connectors.')]))\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    modules, heavy = out.strip().splitlines()[-2:]
    assert int(modules.partition("=")[2]) > 50  # the walk did reach every provider's modules
    assert heavy == "HEAVY="
