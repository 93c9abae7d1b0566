"""The people directory from nhi.yaml `people:` (a CSV or YAML file of people).

Loaded into the `person` table by every scan (source `config`), next to people that connectors
bring (Entra users). A CSV needs an `email` (or `id`) column and may have `name` and `active`;
a YAML file is a list of such mappings (or `{people: [...]}`). A person marked `active: false`,
or absent from the file, is not an active owner: the `owner_not_in_directory` rule says so.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import yaml

from nhi_cli import yaml_safe
from nhi_cli.errors import ConfigError
from nhi_cli.store.interface import DbConnection

SOURCE = "config"
FALSE = {"false", "no", "0", "n", "left", "inactive", "disabled"}


def _active(value: object) -> int:
    if value is None or value == "":
        return 1
    if isinstance(value, bool):
        return int(value)
    return 0 if str(value).strip().lower() in FALSE else 1


def read_people(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"people directory {path}: cannot read: {exc.strerror}") from None
    if path.suffix.lower() == ".csv":
        rows = list(csv.DictReader(text.splitlines()))
    else:
        try:
            data = yaml_safe.load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"people directory {path}: invalid YAML: {str(exc).splitlines()[0]}") from None
        listed = data.get("people") if isinstance(data, dict) else data
        if not isinstance(listed, list) or not all(isinstance(r, dict) for r in listed):
            raise ConfigError(f"people directory {path}: expected a list of people (mappings with an email)")
        rows = listed
    people = []
    for number, row in enumerate(rows, start=1):
        row = {str(k).strip().lower(): v for k, v in row.items() if k is not None}
        ident = str(row.get("email") or row.get("id") or "").strip().lower()
        if not ident:
            raise ConfigError(f"people directory {path}: entry {number} has no email or id")
        people.append(
            {
                "id": ident,
                "name": row.get("name"),
                "email": str(row.get("email") or ident).strip().lower(),
                "active": _active(row.get("active")),
            }
        )
    return people


def load_people(conn: DbConnection, path: Path | None) -> int:
    """Replace the config-sourced people with the file's; connector-sourced rows stay."""
    conn.execute("DELETE FROM person WHERE source = ?", (SOURCE,))
    if path is None:
        return 0
    people = read_people(path)
    conn.executemany(
        "INSERT INTO person (id, name, email, active, source) VALUES (:id, :name, :email, :active, 'config') "
        "ON CONFLICT(id) DO UPDATE SET name = COALESCE(excluded.name, person.name), active = excluded.active",
        people,
    )
    return len(people)
