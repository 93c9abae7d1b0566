"""`nhi evaluate --demo` after sharded demo scans gives what one `nhi scan --demo` gives: the
evaluation uses the demo estate's settings (its people directory, agents, rule parameters),
as the unsharded demo scan does."""

from __future__ import annotations

import json

import pytest


def _findings(nhi, db: str) -> set[tuple]:
    result = nhi("findings", "list", "--db", db, "--format", "json")
    assert result.code == 0, result.err
    return {(f["rule_id"], f["resource_id"], f["severity"], f["reason"]) for f in json.loads(result.out)}


@pytest.mark.slow
def test_evaluate_demo_after_demo_shards_matches_one_demo_scan(nhi, tmp_path):
    whole, sharded = str(tmp_path / "whole.db"), str(tmp_path / "sharded.db")
    scanned = nhi("scan", "--demo", "--provider", "aws", "--db", whole, "--quiet")
    assert scanned.code in (0, 1), scanned.err
    expected = _findings(nhi, whole)
    for part in ("1/2", "2/2"):
        shard = nhi("scan", "--demo", "--provider", "aws", "--shard", part, "--db", sharded, "--quiet")
        assert shard.code == 0, shard.err

    plain = nhi("evaluate", "--db", sharded, "--format", "json", "--quiet")
    assert plain.code in (0, 1), plain.err
    without_demo = _findings(nhi, sharded)
    evaluated = nhi("evaluate", "--demo", "--db", sharded, "--format", "json", "--quiet")
    assert evaluated.code in (0, 1), evaluated.err
    assert json.loads(evaluated.out)["status"] == "complete"
    assert _findings(nhi, sharded) == expected
    # the demo's settings matter: without them the people directory is unknown
    assert without_demo != expected
