"""Deploy keys on an API budget: GraphQL finds the repositories that have keys, 100 per call."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from nhi_cli.kit.connector import CollectContext
from nhi_cli.model import Scope
from nhi_connectors.github import GithubConnector
from nhi_connectors.github.fake import GithubFake


@pytest.mark.parametrize("strategy,expected_calls", [("graphql", 10 + 20), ("rest", 10 + 1000)])
def test_deploy_key_calls_for_1000_repos(app_key, strategy, expected_calls):
    pem, public_key = app_key
    with GithubFake.synthetic("big", repos=1000, keys_every=50, public_key=public_key) as fake:
        settings = GithubConnector.Settings(endpoint=fake.url, app_id="1", app_private_key=pem, deploy_keys=strategy)
        ctx = CollectContext(now=datetime.now(UTC), settings=settings)
        batch = GithubConnector().collect(ctx, Scope("github", "big"))
    assert len([c for c in batch.credentials if c.kind == "deploy_key"]) == 20
    key_calls = sum(n for call, n in ctx.calls.items() if "graphql" in call or "/repos" in call)
    assert key_calls == expected_calls
