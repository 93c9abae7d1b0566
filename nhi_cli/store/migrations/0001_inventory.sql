-- 0001: the inventory. One row per identity and per credential; grants and trusts per identity;
-- scan runs with per-scope results; history of attribute changes for `nhi diff`.
-- Timestamps are ISO-8601 UTC text ('2026-11-28T21:00:00Z'), which sorts and compares as text
-- and keeps the SQL portable to PostgreSQL.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE scan_run (
    id           INTEGER PRIMARY KEY,
    started_at   TEXT NOT NULL,
    finished_at  TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('complete', 'incomplete')),
    nhi_version  TEXT NOT NULL,
    demo         INTEGER NOT NULL DEFAULT 0,
    operator     TEXT,
    summary      TEXT NOT NULL DEFAULT '{}'          -- JSON: counts, providers
);

CREATE TABLE scope_result (
    scan_id      INTEGER NOT NULL REFERENCES scan_run(id),
    provider     TEXT NOT NULL,
    scope        TEXT NOT NULL,                      -- account, project, tenant, subscription, org, file
    scope_name   TEXT,
    status       TEXT NOT NULL CHECK (status IN ('complete', 'partial', 'denied', 'error')),
    error_code   TEXT,
    message      TEXT,
    gaps         TEXT NOT NULL DEFAULT '[]',         -- JSON list of {what, code, message}
    api_calls    TEXT NOT NULL DEFAULT '{}',         -- JSON {"iam:GetAccountAuthorizationDetails": 1}
    duration_ms  INTEGER,
    identities   INTEGER NOT NULL DEFAULT 0,
    credentials  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (scan_id, provider, scope)
);

CREATE TABLE identity (
    id            TEXT PRIMARY KEY,                  -- globally unique: ARN, SA email, object id, ...
    provider      TEXT NOT NULL,
    scope         TEXT NOT NULL,
    kind          TEXT NOT NULL,                     -- iam_user, iam_role, service_account, ...
    name          TEXT NOT NULL,
    created_at    TEXT,
    last_used_at  TEXT,
    enabled       INTEGER NOT NULL DEFAULT 1,
    owner         TEXT,
    owner_source  TEXT,                              -- tag:owner, app_owner, key_creator, config, ...
    description   TEXT,
    is_platform   INTEGER NOT NULL DEFAULT 0,        -- provider-managed (service agents, service-linked roles)
    tags          TEXT NOT NULL DEFAULT '{}',        -- JSON object
    attrs         TEXT NOT NULL DEFAULT '{}',        -- JSON object, provider specific
    attrs_hash    TEXT NOT NULL DEFAULT '',
    first_seen    TEXT NOT NULL,
    last_seen     TEXT NOT NULL,
    first_scan    INTEGER NOT NULL,
    last_scan     INTEGER NOT NULL,
    removed_at    TEXT,
    removed_scan  INTEGER
);
CREATE INDEX identity_scope ON identity (provider, scope);

CREATE TABLE credential (
    id            TEXT PRIMARY KEY,                  -- AKIA key id, SA key name, keyId, pat id, ...
    identity_id   TEXT NOT NULL,
    provider      TEXT NOT NULL,
    scope         TEXT NOT NULL,
    kind          TEXT NOT NULL,                     -- access_key, sa_key, client_secret, certificate, pat, ...
    name          TEXT,
    status        TEXT NOT NULL,                     -- active, inactive, expired, revoked
    created_at    TEXT,
    last_used_at  TEXT,
    expires_at    TEXT,                              -- NULL: the credential never expires
    supports_expiry INTEGER NOT NULL DEFAULT 0,      -- 1 when the provider could have set an expiry
    key_id        TEXT,                              -- public identifier that joins sources (AKIA..., keyId)
    hint          TEXT,                              -- provider-style hint, never the secret
    secret_hash   TEXT,                              -- salted hash, only for secrets nhi saw itself
    attrs         TEXT NOT NULL DEFAULT '{}',
    attrs_hash    TEXT NOT NULL DEFAULT '',
    first_seen    TEXT NOT NULL,
    last_seen     TEXT NOT NULL,
    first_scan    INTEGER NOT NULL,
    last_scan     INTEGER NOT NULL,
    removed_at    TEXT,
    removed_scan  INTEGER
);
CREATE INDEX credential_identity ON credential (identity_id);
CREATE INDEX credential_scope ON credential (provider, scope);
CREATE INDEX credential_key_id ON credential (key_id);
CREATE INDEX credential_hint ON credential (hint);
CREATE INDEX credential_secret_hash ON credential (secret_hash);

-- Where a credential was seen outside its provider (a local MCP config, a repository file).
CREATE TABLE credential_location (
    credential_id TEXT NOT NULL,
    location      TEXT NOT NULL,                     -- file path, URL
    context       TEXT NOT NULL DEFAULT '',          -- "server github / env GITHUB_TOKEN"
    provider      TEXT NOT NULL,
    scope         TEXT NOT NULL,
    PRIMARY KEY (credential_id, location, context)
);

-- Normalised permissions. One row per (identity, statement, action).
CREATE TABLE "grant" (
    id                  INTEGER PRIMARY KEY,
    identity_id         TEXT NOT NULL,
    provider            TEXT NOT NULL,
    scope               TEXT NOT NULL,
    effect              TEXT NOT NULL CHECK (effect IN ('Allow', 'Deny')),
    action              TEXT NOT NULL,               -- s3:GetObject, roles/owner, Directory.ReadWrite.All
    resource            TEXT NOT NULL DEFAULT '*',
    condition           TEXT,                        -- JSON, NULL when unconditional
    source              TEXT NOT NULL,               -- policy ARN or name, role binding, app role
    source_type         TEXT NOT NULL,               -- managed, inline, group, binding, app_role, ...
    service             TEXT,
    is_admin            INTEGER NOT NULL DEFAULT 0,
    is_full_wildcard    INTEGER NOT NULL DEFAULT 0,
    is_service_wildcard INTEGER NOT NULL DEFAULT 0,
    is_privesc          INTEGER NOT NULL DEFAULT 0,
    is_sensitive        INTEGER NOT NULL DEFAULT 0   -- touches a sensitive service (iam, kms, secrets, ...)
);
CREATE INDEX grant_identity ON "grant" (identity_id);

-- Who can assume, impersonate or use an identity.
CREATE TABLE trust (
    id                       INTEGER PRIMARY KEY,
    identity_id              TEXT NOT NULL,
    provider                 TEXT NOT NULL,
    scope                    TEXT NOT NULL,
    principal_type           TEXT NOT NULL,          -- any, account, principal, service, oidc, saml, member
    principal                TEXT NOT NULL,
    action                   TEXT NOT NULL,          -- sts:AssumeRole, iam.serviceAccounts.getAccessToken, ...
    conditions               TEXT,                   -- JSON
    principal_account        TEXT,                   -- account/project of the principal where known
    requires_external_id     INTEGER NOT NULL DEFAULT 0,
    requires_source_identity INTEGER NOT NULL DEFAULT 0,
    subject_condition        TEXT,                   -- OIDC sub condition value, NULL when absent
    audience_condition       TEXT
);
CREATE INDEX trust_identity ON trust (identity_id);

-- Versioned copies of attributes when they change, so `nhi diff` can say what changed.
CREATE TABLE identity_history (
    identity_id TEXT NOT NULL,
    scan_id     INTEGER NOT NULL,
    snapshot    TEXT NOT NULL,                       -- JSON of the row's tracked attributes
    PRIMARY KEY (identity_id, scan_id)
);
CREATE TABLE credential_history (
    credential_id TEXT NOT NULL,
    scan_id       INTEGER NOT NULL,
    snapshot      TEXT NOT NULL,
    PRIMARY KEY (credential_id, scan_id)
);

-- People directory (Entra users, a CSV or YAML of active people) for "owner has left".
CREATE TABLE person (
    id       TEXT PRIMARY KEY,                       -- email or directory id, lower-case
    name     TEXT,
    email    TEXT,
    active   INTEGER NOT NULL DEFAULT 1,
    source   TEXT NOT NULL
);

-- Findings: current state per fingerprint (rule + resource) and one occurrence per scan, so a
-- report can be rendered again for any scan and trends drawn across scans.
CREATE TABLE finding (
    fingerprint   TEXT PRIMARY KEY,                  -- sha256(rule_id + resource_id), stable
    rule_id       TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    resource_type TEXT NOT NULL,                     -- identity, credential, trust, grant, location
    resource_name TEXT,
    provider      TEXT NOT NULL,
    scope         TEXT NOT NULL,
    severity      TEXT NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low', 'info')),
    property      TEXT NOT NULL CHECK (property IN ('scoped', 'delegated', 'auditable', 'revocable')),
    reason        TEXT NOT NULL,
    evidence      TEXT NOT NULL DEFAULT '{}',
    status        TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
    first_seen    TEXT NOT NULL,
    last_seen     TEXT NOT NULL,
    first_scan    INTEGER NOT NULL,
    last_scan     INTEGER NOT NULL,
    resolved_at   TEXT,
    resolved_scan INTEGER
);
CREATE INDEX finding_rule ON finding (rule_id);

CREATE TABLE finding_occurrence (
    scan_id      INTEGER NOT NULL,
    fingerprint  TEXT NOT NULL,
    severity     TEXT NOT NULL,
    reason       TEXT NOT NULL,
    evidence     TEXT NOT NULL DEFAULT '{}',
    suppressed   INTEGER NOT NULL DEFAULT 0,
    suppression  TEXT,                               -- JSON of the suppression that hid it
    PRIMARY KEY (scan_id, fingerprint)
);

-- The rules as they were when a scan ran (reports render descriptors from here).
CREATE TABLE scan_rule (
    scan_id   INTEGER NOT NULL,
    rule_id   TEXT NOT NULL,
    title     TEXT NOT NULL,
    severity  TEXT NOT NULL,
    property  TEXT NOT NULL,
    meta      TEXT NOT NULL,                         -- JSON of rule.yaml with effective params
    PRIMARY KEY (scan_id, rule_id)
);

-- Suppressions from nhi.yaml as they stood at each scan, expired ones included.
CREATE TABLE scan_suppression (
    scan_id   INTEGER NOT NULL,
    rule      TEXT NOT NULL,
    resource  TEXT NOT NULL,
    reason    TEXT NOT NULL,
    owner     TEXT NOT NULL,
    expires   TEXT NOT NULL,
    expired   INTEGER NOT NULL,
    matched   INTEGER NOT NULL DEFAULT 0             -- findings it hid in this scan
);

-- The revocation log: every revoke and restore attempt, dry runs included.
CREATE TABLE revocation (
    id           INTEGER PRIMARY KEY,
    action       TEXT NOT NULL CHECK (action IN ('revoke', 'restore')),
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    operator     TEXT NOT NULL,
    reason       TEXT,
    dry_run      INTEGER NOT NULL DEFAULT 0,
    targets      TEXT NOT NULL,                      -- JSON list as the operator gave them
    status       TEXT NOT NULL,                      -- dry_run, succeeded, failed, partial
    restores     INTEGER REFERENCES revocation(id)   -- for a restore: the revocation it undoes
);

CREATE TABLE revocation_step (
    revocation_id INTEGER NOT NULL REFERENCES revocation(id),
    seq           INTEGER NOT NULL,
    provider      TEXT NOT NULL,
    scope         TEXT NOT NULL,
    target_type   TEXT NOT NULL,                     -- credential, identity
    target_id     TEXT NOT NULL,
    action        TEXT NOT NULL,                     -- deactivate_key, deny_all_policy, ...
    reversible    INTEGER NOT NULL,
    status        TEXT NOT NULL,                     -- planned, done, already_done, failed, skipped
    error         TEXT,
    restore_data  TEXT,                              -- JSON: what restore needs (old trust policy, ...)
    executed_at   TEXT,
    PRIMARY KEY (revocation_id, seq)
);
