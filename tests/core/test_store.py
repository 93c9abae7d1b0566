"""The inventory: creation, migrations, refusal of foreign or newer databases, atomic scans, history.

Store-level tests take ``store_target`` and run on a SQLite file and on a PostgreSQL database."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
from datetime import UTC, datetime

import pytest

from nhi_cli.errors import ExitCode, StoreError
from nhi_cli.model import Batch, Credential, Identity, ScopeResult
from nhi_cli.store import open_store
from nhi_cli.store.load import write_scan
from nhi_cli.store.push import source_id
from nhi_cli.store.schema import latest_version, migrations

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = datetime(2026, 2, 1, tzinfo=UTC)


def batch(*users: str, keys: dict[str, str] | None = None) -> Batch:
    b = Batch()
    for name in users:
        arn = f"arn:aws:iam::111111111111:user/{name}"
        b.identities.append(Identity(arn, "aws", "111111111111", "iam_user", name, tags={"team": "x"}))
    for key_id, user in (keys or {}).items():
        b.credentials.append(
            Credential(
                key_id,
                f"arn:aws:iam::111111111111:user/{user}",
                "aws",
                "111111111111",
                "access_key",
                "active",
                key_id=key_id,
            )
        )
    return b


def scan(store, b: Batch, when=T0, status="complete") -> int:
    result = ScopeResult("aws", "111111111111", status, identities=len(b.identities), credentials=len(b.credentials))
    return write_scan(store, started_at=when, finished_at=when, results=[result], batches={("aws", "111111111111"): b})


def test_new_inventory_is_private_and_records_its_migrations(tmp_path):
    path = tmp_path / "nhi.db"
    store = open_store(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    versions = [r[0] for r in store.conn.execute("SELECT version FROM schema_migration ORDER BY version")]
    assert versions[-1] == latest_version() and versions[0] == 1
    assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert len(store.secret_salt) == 32
    store.close()


def test_reopening_does_not_migrate_again(store_target):
    path = store_target
    open_store(path).close()
    store = open_store(path)
    count = store.conn.execute("SELECT COUNT(*) FROM schema_migration").fetchone()[0]
    assert count == len({v for v, *_ in migrations()})
    store.close()


def test_inventories_sharing_a_salt_still_have_their_own_id(request, store_target, monkeypatch):
    """An organisation-wide NHI_SECRET_SALT makes secret hashes match across inventories, yet
    each new inventory, on either engine, is its own when pushed (inventory push's source)."""
    monkeypatch.setenv("NHI_SECRET_SALT", "shared-by-every-machine-0123")
    if store_target.startswith("postgresql://"):
        other = request.getfixturevalue("postgres_server").new_database()
    else:
        other = store_target + ".other"
    first, second = open_store(store_target), open_store(other)
    try:
        assert first.secret_salt == second.secret_salt == "shared-by-every-machine-0123"
        ids = {first.meta("inventory_id"), second.meta("inventory_id")}
        assert len(ids) == 2 and all(len(i or "") == 32 for i in ids)
        assert source_id(first) != source_id(second)
    finally:
        first.close()
        second.close()


def test_file_that_is_not_sqlite_is_refused_and_untouched(tmp_path):
    path = tmp_path / "nhi.db"
    path.write_bytes(b"this is my thesis, not a database\n" * 10)
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not an nhi inventory"):
        open_store(path)
    assert path.read_bytes() == before


def test_other_sqlite_database_is_refused_and_untouched(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not an nhi inventory"):
        open_store(path)
    assert path.read_bytes() == before


def test_newer_schema_is_refused_and_untouched(tmp_path):
    path = tmp_path / "nhi.db"
    open_store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {latest_version() + 7}")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="newer nhi"):
        open_store(path)
    assert path.read_bytes() == before


def test_corrupted_database_is_a_clear_error(tmp_path):
    path = tmp_path / "nhi.db"
    store = open_store(path)
    scan(store, batch("a", "b"))
    store.close()
    data = bytearray(path.read_bytes())
    data[100:4096] = os.urandom(4096 - 100)  # smash the header page past the magic string
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError):
        open_store(path)


def test_scan_history_first_seen_last_seen_removed(store_target):
    store = open_store(store_target)
    first = scan(store, batch("alice", "bob", keys={"AKIA0000000000000001": "alice"}), T0)
    b = batch("alice", keys={"AKIA0000000000000001": "alice"})
    b.identities[0].tags = {"team": "y"}
    second = scan(store, b, T1)
    rows = {r["name"]: dict(r) for r in store.conn.execute("SELECT * FROM identity")}
    assert rows["alice"]["first_scan"] == first and rows["alice"]["last_scan"] == second
    assert rows["bob"]["removed_scan"] == second and rows["alice"]["removed_at"] is None
    history = store.conn.execute(
        "SELECT scan_id, snapshot FROM identity_history WHERE identity_id LIKE '%alice' ORDER BY scan_id"
    ).fetchall()
    assert [h[0] for h in history] == [first, second]  # tags changed in the second scan
    assert json.loads(json.loads(history[1][1])["tags"]) == {"team": "y"}
    present = [r[0] for r in store.conn.execute("SELECT name FROM v_identities")]
    assert present == ["alice"]
    store.close()


def test_denied_scope_keeps_earlier_records(store_target):
    store = open_store(store_target)
    scan(store, batch("alice", keys={"AKIA0000000000000001": "alice"}), T0)
    scan(store, Batch(), T1, status="denied")
    assert store.conn.execute("SELECT COUNT(*) FROM v_identities").fetchone()[0] == 1
    assert store.conn.execute("SELECT COUNT(*) FROM v_credentials").fetchone()[0] == 1
    status = store.conn.execute("SELECT status FROM scan_run ORDER BY id DESC").fetchone()[0]
    assert status == "incomplete"
    store.close()


def test_views_compute_ages_against_the_scan_clock(store_target):
    store = open_store(store_target)
    b = batch("alice", keys={"AKIA0000000000000001": "alice", "AKIA0000000000000002": "alice"})
    b.credentials[0].created_at = datetime(2025, 1, 1, tzinfo=UTC)
    b.credentials[0].last_used_at = datetime(2025, 12, 2, tzinfo=UTC)
    b.credentials[1].created_at = datetime(2025, 12, 1, tzinfo=UTC)
    scan(store, b, T0)
    rows = {r["id"]: dict(r) for r in store.conn.execute("SELECT * FROM v_credentials")}
    assert rows["AKIA0000000000000001"]["age_days"] == 365
    assert rows["AKIA0000000000000001"]["days_since_used"] == 30
    assert rows["AKIA0000000000000002"]["age_days"] == 31
    assert rows["AKIA0000000000000002"]["never_used"] == 1
    assert rows["AKIA0000000000000002"]["days_since_used"] is None
    store.close()


KILLER = textwrap.dedent("""
    import sys, time
    from datetime import datetime, timezone
    from nhi_cli.model import Batch, Identity, ScopeResult
    from nhi_cli.store import open_store
    from nhi_cli.store.load import write_scan
    store = open_store(sys.argv[1])
    b = Batch()
    for i in range(5000):
        b.identities.append(Identity(f"arn:aws:iam::111111111111:user/new{i}", "aws", "111111111111",
                                     "iam_user", f"new{i}"))
    def hang(conn, scan_id):
        print("LOADED", flush=True)
        time.sleep(60)
    write_scan(store, started_at=datetime.now(timezone.utc), finished_at=datetime.now(timezone.utc),
               results=[ScopeResult("aws", "111111111111", "complete")],
               batches={("aws", "111111111111"): b}, post_load=[hang])
""")


def test_process_killed_mid_scan_leaves_previous_scan_intact(store_target):
    path = store_target
    store = open_store(path)
    previous = scan(store, batch("alice", "bob"), T0)
    store.close()
    proc = subprocess.Popen([sys.executable, "-c", KILLER, str(path)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "LOADED"  # the new scan's rows are written, not committed
    proc.kill()
    proc.wait()
    store = open_store(path)
    if store.engine == "sqlite":
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert store.latest_scan_id() == previous
    names = sorted(r[0] for r in store.conn.execute("SELECT name FROM v_identities"))
    assert names == ["alice", "bob"]
    store.close()


def test_cli_reports_store_errors_with_exit_4(nhi, tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_text("not a database")
    result = nhi("--db", bad, "inventory", "list")
    assert result.code == ExitCode.CANNOT_RUN
    assert result.err.count("\n") == 1 and "not an nhi inventory" in result.err
    assert "Traceback" not in result.err
    missing = nhi("--db", tmp_path / "none.db", "inventory", "list")
    assert missing.code == ExitCode.CANNOT_RUN and "nhi scan" in missing.err


def test_views_come_from_views_sql_and_are_recreated_when_it_changes(tmp_path):
    """Views are not versioned: an inventory whose views differ from views.sql (written by an
    nhi whose views.sql was older) gets them dropped and created again on open."""
    path = tmp_path / "nhi.db"
    store = open_store(path)
    views = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
    assert {"v_identities", "v_credentials", "v_grants", "v_trusts", "v_rule_agents", "v_agents"} <= views
    store.close()
    conn = sqlite3.connect(path)
    conn.execute("DROP VIEW v_people")
    conn.execute("DROP VIEW v_identities")
    conn.execute("CREATE VIEW v_identities AS SELECT 'stale' AS id")
    conn.execute("CREATE VIEW v_old_thing AS SELECT 1 AS x")
    conn.execute("UPDATE meta SET value = 'an older views.sql' WHERE key = 'views_digest'")
    conn.commit()
    conn.close()
    store = open_store(path)
    scan(store, batch("alice"))
    assert [r[0] for r in store.conn.execute("SELECT name FROM v_identities")] == ["alice"]
    assert store.conn.execute("SELECT COUNT(*) FROM v_people").fetchone()[0] == 0
    after = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
    assert after == views  # the view views.sql does not define is gone
    store.close()


def test_postgresql_database_with_other_tables_is_refused_and_untouched(pg_url):
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
    with pytest.raises(StoreError, match="tables nhi did not create") as caught:
        open_store(pg_url)
    assert "pg-test-Secret" not in str(caught.value)  # the URL's password is never shown
    with psycopg.connect(pg_url, autocommit=True) as conn:
        schemas = [r[0] for r in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname = 'nhi'")]
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
    assert schemas == [] and tables == ["recipes"]


def test_postgresql_newer_schema_is_refused_and_untouched(pg_url):
    import psycopg

    open_store(pg_url).close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE nhi.meta SET value = %s WHERE key = 'schema_version'", (str(latest_version() + 7),))
        before = conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'nhi'"
        ).fetchone()[0]
    with pytest.raises(StoreError, match="newer nhi"):
        open_store(pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        after = conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'nhi'"
        ).fetchone()[0]
        version = conn.execute("SELECT value FROM nhi.meta WHERE key = 'schema_version'").fetchone()[0]
    assert after == before and version == str(latest_version() + 7)


def test_postgresql_errors_never_show_the_password(nhi, postgres_server):
    """A wrong password, an unknown database: one line, exit 4, the URL without its password."""
    url = f"postgresql://nhi_owner:Wrong-Secret-99@127.0.0.1:{postgres_server.port}/postgres"
    result = nhi("--db", url, "inventory", "list")
    assert result.code == ExitCode.CANNOT_RUN
    assert "Wrong-Secret-99" not in result.err + result.out
    assert "postgresql://nhi_owner@127.0.0.1" in result.err and result.err.count("\n") == 1
    missing = postgres_server.new_database().rsplit("/", 1)[0] + "/no_such_db"
    result = nhi("--db", missing, "inventory", "list")
    assert result.code == ExitCode.CANNOT_RUN and "pg-test-Secret" not in result.err + result.out


def test_cli_reads_a_postgresql_inventory(nhi, pg_url):
    store = open_store(pg_url)
    scan(store, batch("alice", keys={"AKIA0000000000000001": "alice"}))
    store.close()
    listed = nhi("--db", pg_url, "inventory", "list", "--format", "json")
    assert listed.code == 0, listed.err
    assert [r["name"] for r in json.loads(listed.out)] == ["alice"]
    queried = nhi("--db", pg_url, "query", "SELECT id, age_days FROM v_credentials", "--format", "json")
    assert queried.code == 0 and json.loads(queried.out)[0]["id"] == "AKIA0000000000000001"


def test_nhi_query_cannot_write_to_a_postgresql_inventory(nhi, pg_url):
    store = open_store(pg_url)
    scan(store, batch("alice"))
    store.close()
    result = nhi("--db", pg_url, "query", "DELETE FROM identity")
    assert result.code == ExitCode.USAGE and "read-only" in result.err
    assert result.err.count("\n") == 1
    store = open_store(pg_url)
    assert store.conn.execute("SELECT COUNT(*) FROM identity").fetchone()[0] == 1
    store.close()


def test_nhi_query_on_postgresql_reads_only_the_inventory(nhi, pg_url, tmp_path):
    """What SQLite's authorizer denies, PostgreSQL's planner shows: the secret salt, planner
    statistics holding its value, server file/program functions, a smuggled second statement."""
    store = open_store(pg_url)
    scan(store, batch("alice"))
    salt = store.secret_salt
    store.conn.execute("ANALYZE meta")  # pg_stats would now show meta's values to its owner
    store.close()
    assert salt
    touched = tmp_path / "touched"
    refused = {
        "select value from meta": "meta.value",
        "select * from meta": "meta.value",
        "select m.key from meta m where m.value like 'a%'": "meta.value",
        "select key from (select * from meta) s where length(value) > 3": "meta.value",
        "select histogram_bounds::text from pg_stats where tablename = 'meta'": "pg_statistic",
        "select pg_read_file('/etc/hostname')": "pg_read_file",
        "select lo_import('/etc/hostname')": "lo_import",
        "select query_to_xml('select value from meta', true, false, '')": "query_to_xml",
        "select 1; select value from meta": "multiple commands",
        f"copy (select 1) to program 'touch {touched}'": "syntax error",
    }
    for sql, reason in refused.items():
        result = nhi("--db", pg_url, "query", sql, "--format", "json")
        assert result.code == ExitCode.USAGE, (sql, result.out, result.err)
        assert reason in result.err and result.err.count("\n") == 1, (sql, result.err)
        assert salt not in result.out + result.err
    assert not touched.exists()
    listed = nhi("--db", pg_url, "query", "select key from meta order by key", "--format", "json")
    # which secrets exist is not secret
    assert listed.code == 0 and "secret_salt" in listed.out and salt not in listed.out


def test_nhi_query_on_postgresql_stops_at_its_deadline(nhi, pg_url, monkeypatch):
    open_store(pg_url).close()
    forever = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r"
    result = nhi("--db", pg_url, "query", forever, "--timeout", "0.5")
    assert result.code == ExitCode.USAGE
    assert "the query stopped at its deadline of 0.5 s (--timeout or NHI_QUERY_TIMEOUT)" in result.err
    monkeypatch.setenv("NHI_QUERY_TIMEOUT", "0.3")
    result = nhi("--db", pg_url, "query", "SELECT pg_sleep(30)")
    assert result.code == ExitCode.USAGE and "deadline of 0.3 s" in result.err
    # the server cancelled the statement: the inventory answers the next query at once
    assert nhi("--db", pg_url, "query", "SELECT COUNT(*) AS n FROM v_identities", "-f", "json").code == 0
