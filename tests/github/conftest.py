"""GitHub tests: the real connector against GithubFake serving fixtures/github/."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nhi_connectors.github.fake import GithubFake, new_app_key

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "github"


@pytest.fixture(scope="session")
def app_key():
    return new_app_key()  # (pem, public key); generated once, never committed


@pytest.fixture
def github(app_key, tmp_path):
    """A started fake with small pages (so every list is paged) and a config pointing at it."""
    pem, public_key = app_key
    fake = GithubFake.from_dir(FIXTURES, public_key=public_key, page_size=2, tokens={"ghp_PLAINTOKENFAKE000000000000000000000000"})
    with fake:
        key_path = tmp_path / "app.pem"
        key_path.write_text(pem)
        fake.key_path = key_path
        yield fake


def write_config(fake, plain_token: bool = False, **settings) -> Path:
    """nhi.yaml for the fake: GitHub App auth unless ``plain_token`` (then GITHUB_TOKEN is used)."""
    section = {"endpoint": fake.url, "orgs": ["acme-alpha", "acme-beta"], **settings}
    if not plain_token:
        section.setdefault("app_id", fake.app_id)
        section.setdefault("app_private_key_path", str(fake.key_path))
    path = Path("nhi.yaml")
    path.write_text(yaml.safe_dump({"version": 1, "providers": {"github": section}}))
    return path


from tests.conftest import db_rows  # noqa: E402,F401  (re-exported for the GitHub tests)
