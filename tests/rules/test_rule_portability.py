"""A rule is one SQL query in nhi's dialect (nhi_cli/store/dialect.py): it runs unchanged on a
SQLite and on a PostgreSQL inventory. A user rule that only works on one engine is reported by
name when it is evaluated on the other, and the other rules still run."""

from __future__ import annotations

from test_rule_loading import GOOD_SQL, GOOD_YAML

from nhi_cli.rules.engine import evaluate
from nhi_cli.rules.loader import load_rule
from nhi_cli.store import open_store


def _rule(tmp_path, rule_id: str, sql: str):
    folder = tmp_path / rule_id
    folder.mkdir()
    (folder / "rule.yaml").write_text(GOOD_YAML.format(id=rule_id))
    (folder / "rule.sql").write_text(sql)
    rule, problems = load_rule(folder)
    assert rule is not None, [str(p) for p in problems]
    return rule


SQLITE_ONLY_SQL = """SELECT id AS resource_id, 'credential' AS resource_type,
'Key ' || id || ' has type ' || typeof(age_days) || '.' AS reason
FROM v_credentials WHERE age_days > :max_days"""


def _seed(store):
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO scan_run (started_at, finished_at, status, nhi_version) "
            "VALUES ('2026-11-28T00:00:00Z', '2026-11-28T00:00:00Z', 'complete', 't')"
        )
        conn.execute(
            "INSERT INTO identity (id, provider, scope, kind, name, first_seen, last_seen, first_scan, "
            "last_scan) VALUES ('u1', 'aws', '1', 'iam_user', 'u1', 'x', 'x', 1, 1)"
        )
        conn.execute(
            "INSERT INTO credential (id, identity_id, provider, scope, kind, status, created_at, first_seen, "
            "last_seen, first_scan, last_scan) VALUES ('AKIAOLD', 'u1', 'aws', '1', 'access_key', 'active', "
            "'2026-01-01T00:00:00Z', 'x', 'x', 1, 1)"
        )


def test_a_sqlite_only_user_rule_is_reported_by_name_on_postgresql(tmp_path, pg_url):
    portable = _rule(tmp_path, "key_age", GOOD_SQL)
    sqlite_only = _rule(tmp_path, "key_age_typeof", SQLITE_ONLY_SQL)
    store = open_store(pg_url)
    _seed(store)
    with store.transaction() as conn:
        result = evaluate(conn, [sqlite_only, portable])
        rows = conn.execute("SELECT rule_id, resource_id FROM temp.rule_result").fetchall()
    assert [tuple(r) for r in rows] == [("key_age", "AKIAOLD")]
    assert len(result.problems) == 1
    problem = str(result.problems[0])
    assert "key_age_typeof" in problem and "SQLite-only" in problem and "typeof" in problem
    store.close()


def test_the_same_rule_runs_on_sqlite(tmp_path):
    sqlite_only = _rule(tmp_path, "key_age_typeof", SQLITE_ONLY_SQL)
    store = open_store(tmp_path / "nhi.db")
    _seed(store)
    with store.transaction() as conn:
        result = evaluate(conn, [sqlite_only])
        rows = conn.execute("SELECT rule_id, resource_id, reason FROM temp.rule_result").fetchall()
    assert not result.problems
    assert [tuple(r) for r in rows] == [("key_age_typeof", "AKIAOLD", "Key AKIAOLD has type integer.")]
    store.close()


def test_a_postgresql_only_user_rule_is_reported_by_name_on_sqlite(tmp_path):
    """The loader compiles every rule against a SQLite inventory: PostgreSQL-only syntax is a
    load problem naming the rule's file."""
    folder = tmp_path / "key_age_pg"
    folder.mkdir()
    (folder / "rule.yaml").write_text(GOOD_YAML.format(id="key_age_pg"))
    (folder / "rule.sql").write_text(
        "SELECT id AS resource_id, 'credential' AS resource_type, "
        "age_days::text || ' days.' AS reason FROM v_credentials WHERE age_days > :max_days"
    )
    rule, problems = load_rule(folder)
    assert rule is None and len(problems) == 1
    assert "key_age_pg" in str(problems[0]) and "SQL error" in str(problems[0])
