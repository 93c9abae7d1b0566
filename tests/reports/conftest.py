"""Fixtures for report tests: seeded inventories (Northwind, and Northwind with hostile names)."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest
from report_estate import add_revocation, seed


@pytest.fixture
def northwind(tmp_path):
    db = tmp_path / "nhi.db"
    seed(db)
    return db


@pytest.fixture
def hostile(tmp_path):
    db = tmp_path / "nhi.db"
    seed(db, hostile=True)
    add_revocation(db)
    return db


def _schema(name: str) -> dict:
    return json.loads(resources.files("nhi_cli.reports").joinpath("schemas", name).read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def report_validator():
    return jsonschema.Draft202012Validator(_schema("report.schema.json"), format_checker=jsonschema.FormatChecker())


@pytest.fixture(scope="session")
def sarif_validator():
    schema = _schema("sarif-schema-2.1.0.json")
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)
