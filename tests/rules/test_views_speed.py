"""Migration 0012 redefines v_identities and v_credentials for speed (the scan clock read once,
no CROSS JOIN with v_clock; removed credentials filtered without the partial index). Users
query these views, so they must keep their documented columns and return exactly the rows
the earlier definitions (0001 for v_credentials, 0002 for v_identities) returned."""
from __future__ import annotations

import pytest

from nhi_cli.rules.loader import schema_connection

# the definitions before 0012, verbatim apart from the view name
V_IDENTITIES_0002 = """
SELECT i.id, i.provider, i.scope, i.kind, i.name, i.created_at, i.last_used_at, i.enabled,
       i.owner, i.owner_source, i.description, i.is_platform, i.tags, i.attrs,
       i.first_seen, i.last_seen,
       CAST(julianday(c.now) - julianday(i.created_at) AS INTEGER) AS age_days,
       CAST(julianday(c.now) - julianday(i.last_used_at) AS INTEGER) AS days_since_used,
       (SELECT COUNT(*) FROM credential k
         WHERE k.identity_id = i.id AND k.removed_at IS NULL AND k.status = 'active') AS active_credentials,
       CASE WHEN i.attrs LIKE '%"human"%' AND json_extract(i.attrs, '$.human') IN (1, 'true') THEN 1
            WHEN i.attrs LIKE '%mfa_active%' AND json_extract(i.attrs, '$.mfa_active') IN (1, 'true')
                 AND json_extract(i.attrs, '$.password_enabled') IN (1, 'true')
                 AND NOT EXISTS (SELECT 1 FROM credential k WHERE k.identity_id = i.id AND k.removed_at IS NULL
                                 AND k.status = 'active' AND k.kind <> 'password') THEN 1
            ELSE 0 END AS is_human
FROM identity i CROSS JOIN v_clock c
WHERE i.removed_at IS NULL"""

V_CREDENTIALS_0001 = """
SELECT k.id, k.identity_id, k.provider, k.scope, k.kind, k.name, k.status,
       k.created_at, k.last_used_at, k.expires_at, k.supports_expiry, k.key_id, k.hint,
       k.secret_hash, k.attrs, k.first_seen, k.last_seen,
       i.name AS identity_name, i.kind AS identity_kind, i.enabled AS identity_enabled,
       i.owner AS owner, i.is_platform AS identity_is_platform,
       CAST(julianday(c.now) - julianday(k.created_at) AS INTEGER) AS age_days,
       CAST(julianday(c.now) - julianday(k.last_used_at) AS INTEGER) AS days_since_used,
       CAST(julianday(k.expires_at) - julianday(c.now) AS INTEGER) AS days_to_expiry,
       CASE WHEN k.expires_at IS NULL THEN 1 ELSE 0 END AS never_expires,
       CASE WHEN k.last_used_at IS NULL THEN 1 ELSE 0 END AS never_used
FROM credential k
CROSS JOIN v_clock c
LEFT JOIN identity i ON i.id = k.identity_id
WHERE k.removed_at IS NULL"""

# the columns README.md and nhi_cli/rules/README.md document; users' queries name them
IDENTITY_COLUMNS = ["id", "provider", "scope", "kind", "name", "created_at", "last_used_at", "enabled", "owner",
                    "owner_source", "description", "is_platform", "tags", "attrs", "first_seen", "last_seen",
                    "age_days", "days_since_used", "active_credentials", "is_human"]
CREDENTIAL_COLUMNS = ["id", "identity_id", "provider", "scope", "kind", "name", "status", "created_at", "last_used_at",
                      "expires_at", "supports_expiry", "key_id", "hint", "secret_hash", "attrs", "first_seen",
                      "last_seen", "identity_name", "identity_kind", "identity_enabled", "owner",
                      "identity_is_platform", "age_days", "days_since_used", "days_to_expiry", "never_expires",
                      "never_used"]

SEEN = "2026-11-28T00:00:00Z"


def _inventory(with_scan: bool):
    conn = schema_connection()
    if with_scan:
        conn.execute("INSERT INTO scan_run (id, started_at, finished_at, status, nhi_version) "
                     "VALUES (1, '2026-11-20T10:00:00Z', '2026-11-20T10:05:00Z', 'complete', 't'), "
                     "(2, '2026-11-28T12:30:00Z', '2026-11-28T12:35:00Z', 'complete', 't')")
    identities = [
        # id, kind, created_at, last_used_at, enabled, removed_at, attrs
        ("u-old", "iam_user", "2025-01-01T00:00:00Z", "2026-08-01T23:59:59Z", 1, None, "{}"),
        ("u-new", "iam_user", "2026-11-28T12:29:59Z", None, 1, None, '{"mfa_active": true, "password_enabled": true}'),
        ("u-off", "iam_user", None, None, 0, None, '{"human": true}'),
        ("u-gone", "iam_user", "2024-01-01T00:00:00Z", None, 1, "2026-11-01T00:00:00Z", "{}"),
        ("r-frac", "iam_role", "2026-05-31T12:30:00.500Z", "2026-11-27T12:30:01+00:00", 1, None, "{}"),
    ]
    conn.executemany(
        "INSERT INTO identity (id, provider, scope, kind, name, created_at, last_used_at, enabled, removed_at, attrs, "
        "first_seen, last_seen, first_scan, last_scan) VALUES (?, 'aws', '1', ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 2)",
        [(i, k, i, c, u, e, r, a, SEEN, SEEN) for i, k, c, u, e, r, a in identities])
    credentials = [
        # id, identity_id, kind, status, created_at, last_used_at, expires_at, removed_at
        ("k1", "u-old", "access_key", "active", "2025-10-24T00:00:00Z", "2026-11-28T12:30:00Z", None, None),
        ("k2", "u-old", "access_key", "inactive", "2026-11-28T12:30:01Z", None, "2027-11-28T12:29:59Z", None),
        ("k3", "u-new", "password", "active", "2026-11-28T00:00:00Z", None, None, None),
        ("k4", "u-off", "access_key", "active", None, None, "2026-11-29T12:30:00Z", None),
        ("k5", "u-gone", "access_key", "active", "2024-01-01T00:00:00Z", None, None, None),
        ("k6", "u-old", "access_key", "active", "2020-01-01T00:00:00Z", None, None, "2026-11-01T00:00:00Z"),
        ("k7", "nobody", "api_key", "active", "2026-01-01 08:00:00", "not a date", "2026-12-01", None),
    ]
    conn.executemany(
        "INSERT INTO credential (id, identity_id, provider, scope, kind, status, created_at, last_used_at, expires_at, "
        "removed_at, first_seen, last_seen, first_scan, last_scan) VALUES (?, ?, 'aws', '1', ?, ?, ?, ?, ?, ?, ?, ?, 1, 2)",
        [(*c, SEEN, SEEN) for c in credentials])
    return conn


def _rows(conn, sql):
    cursor = conn.execute(sql)
    return [d[0] for d in cursor.description], sorted(tuple(r) for r in cursor.fetchall())


@pytest.mark.parametrize("with_scan", [True, False], ids=["scan clock", "no scan yet"])
@pytest.mark.parametrize(("view", "before", "columns"), [
    ("v_identities", V_IDENTITIES_0002, IDENTITY_COLUMNS),
    ("v_credentials", V_CREDENTIALS_0001, CREDENTIAL_COLUMNS),
], ids=["v_identities", "v_credentials"])
def test_fast_views_return_what_the_documented_definitions_return(view, before, columns, with_scan):
    conn = _inventory(with_scan)
    names, rows = _rows(conn, f"SELECT * FROM {view}")
    assert names == columns
    # the same statement reads both, so even the no-scan fallback clock ('now') is the same
    both = conn.execute(f"SELECT * FROM {view} UNION ALL SELECT * FROM ({before})").fetchall()
    assert sorted(tuple(r) for r in both[:len(rows)]) == rows
    assert sorted(tuple(r) for r in both[len(rows):]) == rows
    assert rows  # removed rows are hidden, the rest are all there
    assert {r[0] for r in rows} == ({"u-old", "u-new", "u-off", "r-frac"} if view == "v_identities"
                                    else {"k1", "k2", "k3", "k4", "k5", "k7"})


def test_ages_count_from_the_start_of_the_latest_scan():
    conn = _inventory(True)
    ages = {r["id"]: (r["age_days"], r["days_since_used"], r["days_to_expiry"])
            for r in conn.execute("SELECT * FROM v_credentials")}
    assert ages["k1"] == (400, 0, None)        # 2025-10-24 to 2026-11-28 12:30
    assert ages["k2"] == (0, None, 364)        # created a second after the clock; expires a second short of a year
    assert ages["k4"] == (None, None, 1)
