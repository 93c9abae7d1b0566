"""Package layout only; everything else is in pyproject.toml.

connectors/ stays at the top level of the repository but installs as ``nhi_connectors``:
a bare ``connectors`` distribution already exists on PyPI.

The demo estate (fixtures/demo/) ships inside the wheel as ``nhi_cli/demo_estate/`` so
`nhi scan --demo` works after `pip install nhi-cli[demo]`, away from any source checkout.
"""
import os

from setuptools import find_packages, setup

DEMO_ESTATE = os.path.join("fixtures", "demo")


def demo_files() -> list[str]:
    """Every file of the demo estate, dotfiles included (package_data globs skip .cursor/ etc.)."""
    files = []
    for root, _dirs, names in os.walk(DEMO_ESTATE):
        files += [os.path.relpath(os.path.join(root, n), DEMO_ESTATE) for n in names]
    return sorted(files)


connector_packages = [
    "nhi_connectors" + name[len("connectors"):] for name in find_packages(include=["connectors", "connectors.*"])
]
setup(
    packages=find_packages(include=["nhi_cli", "nhi_cli.*"]) + connector_packages + ["nhi_cli.demo_estate"],
    package_dir={"nhi_connectors": "connectors", "nhi_cli.demo_estate": DEMO_ESTATE},
    # Data that lives in folders without __init__.py: migrations, rule folders, templates.
    package_data={
        "nhi_cli": ["store/*.sql", "store/migrations/*.sql", "rules/*.md", "rules/builtin/*/*", "reports/templates/*",
                    "reports/schemas/*.json", "iam/*.json", "iam/*.yaml"],
        "nhi_connectors": ["*/*.json", "*/*.yaml", "*/*.txt"],
        "nhi_cli.demo_estate": demo_files(),
    },
)
