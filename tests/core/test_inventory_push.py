"""`nhi inventory push`: a local inventory merged into a shared PostgreSQL one keeps its scans,
first-seen times and history, and pushing twice changes nothing."""

from __future__ import annotations

import json

from test_store import T0, T1, batch, scan

from nhi_cli.store import open_store


def _state(url):
    store = open_store(url)
    try:
        identities = {
            r["name"]: (r["first_seen"], r["last_seen"], r["removed_at"])
            for r in store.conn.execute("SELECT name, first_seen, last_seen, removed_at FROM identity")
        }
        scans = [tuple(r) for r in store.conn.execute("SELECT id, started_at, status FROM scan_run ORDER BY id")]
        history = store.conn.execute("SELECT COUNT(*) FROM identity_history").fetchone()[0]
        return identities, scans, history
    finally:
        store.close()


def test_push_keeps_history_and_is_idempotent(nhi, tmp_path, pg_url):
    local = tmp_path / "laptop.db"
    store = open_store(local)
    scan(store, batch("alice", "bob", keys={"AKIA0000000000000001": "alice"}), T0)
    changed = batch("alice", "carol", keys={"AKIA0000000000000001": "alice"})
    changed.identities[0].tags = {"team": "y"}
    scan(store, changed, T1)
    store.close()

    first = nhi("--db", local, "inventory", "push", "--to", pg_url, "--format", "json")
    assert first.code == 0, first.err
    assert len(json.loads(first.out)["pushed_scans"]) == 2
    identities, scans, history = _state(pg_url)
    assert [s[1:] for s in scans] == [("2026-01-01T00:00:00Z", "complete"), ("2026-02-01T00:00:00Z", "complete")]
    assert identities["alice"][:2] == ("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z")  # first seen in scan 1
    assert identities["carol"][:2] == ("2026-02-01T00:00:00Z", "2026-02-01T00:00:00Z")
    assert "bob" not in identities  # gone from the laptop's latest scan before it was ever pushed
    assert history >= 3  # alice twice (tags changed), carol once

    again = nhi("--db", local, "inventory", "push", "--to", pg_url, "--format", "json")
    assert again.code == 0, again.err
    assert json.loads(again.out) == {**json.loads(again.out), "pushed_scans": [], "skipped_scans": 2}
    assert _state(pg_url) == (identities, scans, history)

    listed = nhi("--db", pg_url, "inventory", "list", "--format", "json")
    assert sorted(r["name"] for r in json.loads(listed.out)) == ["alice", "carol"]
    assert "pg-test-Secret" not in first.out + first.err + again.out + again.err
