"""Package layout only; everything else is in pyproject.toml.

connectors/ stays at the top level of the repository but installs as ``nhi_connectors``:
a bare ``connectors`` distribution already exists on PyPI.
"""
from setuptools import find_packages, setup

connector_packages = [
    "nhi_connectors" + name[len("connectors"):] for name in find_packages(include=["connectors", "connectors.*"])
]
setup(
    packages=find_packages(include=["nhi_cli", "nhi_cli.*"]) + connector_packages,
    package_dir={"nhi_connectors": "connectors"},
    # Data that lives in folders without __init__.py: migrations, rule folders, templates.
    package_data={
        "nhi_cli": ["store/migrations/*.sql", "rules/*.md", "rules/builtin/*/*", "reports/templates/*",
                    "reports/schemas/*.json", "iam/*.json", "iam/*.yaml"],
        "nhi_connectors": ["*/*.json", "*/*.yaml"],
    },
)
