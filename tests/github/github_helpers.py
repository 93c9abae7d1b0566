"""GitHub test helpers: a uniquely named module, because several test folders have a
conftest.py and `from conftest import ...` would pick whichever loaded first."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.conftest import db_rows  # noqa: F401  (re-exported for the GitHub tests)


def write_config(fake, plain_token: bool = False, **settings) -> Path:
    """nhi.yaml for the fake: GitHub App auth unless ``plain_token`` (then GITHUB_TOKEN is used)."""
    section = {"endpoint": fake.url, "orgs": ["acme-alpha", "acme-beta"], **settings}
    if not plain_token:
        section.setdefault("app_id", fake.app_id)
        section.setdefault("app_private_key_path", str(fake.key_path))
    path = Path("nhi.yaml")
    path.write_text(yaml.safe_dump({"version": 1, "providers": {"github": section}}))
    return path
