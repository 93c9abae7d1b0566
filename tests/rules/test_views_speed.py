"""The documented views v_identities and v_credentials (nhi_cli/store/views.sql), on SQLite and
on PostgreSQL (the same values on both), read the way
rules and users read them: their documented columns, removed rows hidden, and ages counted in
whole days (truncated) from the start of the latest scan, for odd timestamps too (fractional
seconds, an offset instead of Z, a space instead of T, a bare date, text that is not a date).
The expected values are worked out by hand from the rows below."""

from __future__ import annotations

import pytest

from nhi_cli.store import open_store

# the columns README.md and nhi_cli/rules/README.md document; users' queries name them
IDENTITY_COLUMNS = [
    "id",
    "provider",
    "scope",
    "kind",
    "name",
    "created_at",
    "last_used_at",
    "enabled",
    "owner",
    "owner_source",
    "description",
    "is_platform",
    "tags",
    "attrs",
    "first_seen",
    "last_seen",
    "age_days",
    "days_since_used",
    "active_credentials",
    "is_human",
]
CREDENTIAL_COLUMNS = [
    "id",
    "identity_id",
    "provider",
    "scope",
    "kind",
    "name",
    "status",
    "created_at",
    "last_used_at",
    "expires_at",
    "supports_expiry",
    "key_id",
    "hint",
    "secret_hash",
    "attrs",
    "first_seen",
    "last_seen",
    "identity_name",
    "identity_kind",
    "identity_enabled",
    "owner",
    "identity_is_platform",
    "age_days",
    "days_since_used",
    "days_to_expiry",
    "never_expires",
    "never_used",
]

SEEN = "2026-11-28T00:00:00Z"


def _inventory(with_scan: bool, target: str):
    conn = open_store(target).conn
    if with_scan:
        conn.execute(
            "INSERT INTO scan_run (id, started_at, finished_at, status, nhi_version) "
            "VALUES (1, '2026-11-20T10:00:00Z', '2026-11-20T10:05:00Z', 'complete', 't'), "
            "(2, '2026-11-28T12:30:00Z', '2026-11-28T12:35:00Z', 'complete', 't')"
        )
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
        [(i, k, i, c, u, e, r, a, SEEN, SEEN) for i, k, c, u, e, r, a in identities],
    )
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
        "removed_at, first_seen, last_seen, first_scan, last_scan) "
        "VALUES (?, ?, 'aws', '1', ?, ?, ?, ?, ?, ?, ?, ?, 1, 2)",
        [(*c, SEEN, SEEN) for c in credentials],
    )
    return conn


def _rows(conn, sql):
    cursor = conn.execute(sql)
    return [d[0] for d in cursor.description], sorted(tuple(r) for r in cursor.fetchall())


# scan clock 2026-11-28T12:30:00Z
IDENTITIES = {  # id: (age_days, days_since_used, active_credentials, is_human)
    "u-old": (696, 118, 1, 0),  # 2025-01-01 (696 d 12.5 h); used 2026-08-01T23:59:59 (118 d 12.5 h); k1 active
    "u-new": (0, None, 1, 1),  # created a second before the clock; console password with MFA only
    "u-off": (None, None, 1, 1),  # attrs.human
    "r-frac": (180, 0, 0, 0),  # half a second short of 181 days; used a second short of one day
}
CREDENTIALS = {  # id: (age_days, days_since_used, days_to_expiry, never_expires, never_used)
    "k1": (400, 0, None, 1, 0),
    "k2": (0, None, 364, 0, 1),
    "k3": (0, None, None, 1, 1),
    "k4": (None, None, 1, 0, 1),
    "k5": (1062, None, None, 1, 1),  # 2024-01-01: 366 + 365 + 331 days; its identity is removed
    "k7": (331, None, 2, 0, 0),  # '2026-01-01 08:00:00'; 'not a date'; expires on the bare date 2026-12-01
}


@pytest.mark.parametrize("with_scan", [True, False], ids=["scan clock", "no scan yet"])
@pytest.mark.parametrize(
    ("view", "columns"),
    [("v_identities", IDENTITY_COLUMNS), ("v_credentials", CREDENTIAL_COLUMNS)],
    ids=["v_identities", "v_credentials"],
)
def test_views_have_their_documented_columns_and_hide_removed_rows(view, columns, with_scan, store_target):
    conn = _inventory(with_scan, store_target)
    names, rows = _rows(conn, f"SELECT * FROM {view}")
    assert names == columns
    assert {r[0] for r in rows} == set(IDENTITIES if view == "v_identities" else CREDENTIALS)


def test_identity_ages_counts_and_people(store_target):
    conn = _inventory(True, store_target)
    got = {
        r["id"]: (r["age_days"], r["days_since_used"], r["active_credentials"], r["is_human"])
        for r in conn.execute("SELECT * FROM v_identities")
    }
    assert got == IDENTITIES


def test_credential_ages_and_flags(store_target):
    conn = _inventory(True, store_target)
    got = {
        r["id"]: (r["age_days"], r["days_since_used"], r["days_to_expiry"], r["never_expires"], r["never_used"])
        for r in conn.execute("SELECT * FROM v_credentials")
    }
    assert got == CREDENTIALS


def test_without_a_scan_ages_count_from_now(store_target):
    conn = _inventory(False, store_target)
    age = conn.execute("SELECT age_days FROM v_credentials WHERE id = 'k5'").fetchone()[0]
    assert age >= 1062  # 2024-01-01 to at least 2026-11-28


def test_ages_count_from_the_start_of_the_latest_scan(store_target):
    conn = _inventory(True, store_target)
    ages = {
        r["id"]: (r["age_days"], r["days_since_used"], r["days_to_expiry"])
        for r in conn.execute("SELECT * FROM v_credentials")
    }
    assert ages["k1"] == (400, 0, None)  # 2025-10-24 to 2026-11-28 12:30
    assert ages["k2"] == (0, None, 364)  # created a second after the clock; expires a second short of a year
    assert ages["k4"] == (None, None, 1)
