"""GitHub tests: the real connector against GithubFake serving fixtures/github/."""

from __future__ import annotations

from pathlib import Path

import pytest

from nhi_connectors.github.fake import GithubFake, new_app_key

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "github"


@pytest.fixture(scope="session")
def app_key():
    return new_app_key()  # (pem, public key); generated once, never committed


@pytest.fixture
def github(app_key, tmp_path):
    """A started fake with small pages (so every list is paged) and a config pointing at it."""
    pem, public_key = app_key
    fake = GithubFake.from_dir(
        FIXTURES, public_key=public_key, page_size=2, tokens={"ghp_PLAINTOKENFAKE000000000000000000000000"}
    )
    with fake:
        key_path = tmp_path / "app.pem"
        key_path.write_text(pem)
        fake.key_path = key_path
        yield fake
