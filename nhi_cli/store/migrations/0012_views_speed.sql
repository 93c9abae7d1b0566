-- 0012: the same documented views (same columns, same values), defined so that the rules'
-- full passes over them stay cheap at a million credentials (issue 3, "Rules at scale").
--
-- 1. The scan clock is read through one uncorrelated scalar subquery that SQLite evaluates
--    once per statement, `(SELECT julianday(now) FROM v_clock)`, instead of a CROSS JOIN with
--    v_clock: the views become single-table (or one LEFT JOIN) queries that flatten into the
--    rule, so `SELECT DISTINCT provider, scope FROM v_identities` can skip through the
--    identity_scope index, and the clock's text is parsed once instead of once per row.
--    CAST(julianday(now) - julianday(x) AS INTEGER) is computed from the same two doubles, so
--    every age is unchanged.
-- 2. v_credentials filters removed rows with `+k.removed_at IS NULL`. The unary plus keeps the
--    meaning and stops SQLite from treating the view as a candidate for the partial index
--    credential_identity_active (status = 'active'): for a rule that reads every active
--    credential, walking that index costs one random table lookup per credential (4x slower
--    than a sequential scan at 1M credentials, and growing faster than the data once the table
--    no longer fits the page cache). Lookups by id or identity_id keep their indexes.
-- 3. active_credentials stays a correlated count over the partial index: a column of a
--    flattened view is only computed when a query reads it (one built-in rule does, for Azure
--    applications only), whereas a grouped LEFT JOIN would count every credential each time
--    any query read v_identities.

DROP VIEW v_identities;
CREATE VIEW v_identities AS
SELECT i.id, i.provider, i.scope, i.kind, i.name, i.created_at, i.last_used_at, i.enabled,
       i.owner, i.owner_source, i.description, i.is_platform, i.tags, i.attrs,
       i.first_seen, i.last_seen,
       CAST((SELECT julianday(now) FROM v_clock) - julianday(i.created_at) AS INTEGER) AS age_days,
       CAST((SELECT julianday(now) FROM v_clock) - julianday(i.last_used_at) AS INTEGER) AS days_since_used,
       (SELECT COUNT(*) FROM credential k
         WHERE k.identity_id = i.id AND k.removed_at IS NULL AND k.status = 'active') AS active_credentials,
       CASE WHEN i.attrs LIKE '%"human"%' AND json_extract(i.attrs, '$.human') IN (1, 'true') THEN 1
            WHEN i.attrs LIKE '%mfa_active%' AND json_extract(i.attrs, '$.mfa_active') IN (1, 'true')
                 AND json_extract(i.attrs, '$.password_enabled') IN (1, 'true')
                 AND NOT EXISTS (SELECT 1 FROM credential k WHERE k.identity_id = i.id AND k.removed_at IS NULL
                                 AND k.status = 'active' AND k.kind <> 'password') THEN 1
            ELSE 0 END AS is_human
FROM identity i
WHERE i.removed_at IS NULL;

DROP VIEW v_credentials;
CREATE VIEW v_credentials AS
SELECT k.id, k.identity_id, k.provider, k.scope, k.kind, k.name, k.status,
       k.created_at, k.last_used_at, k.expires_at, k.supports_expiry, k.key_id, k.hint,
       k.secret_hash, k.attrs, k.first_seen, k.last_seen,
       i.name AS identity_name, i.kind AS identity_kind, i.enabled AS identity_enabled,
       i.owner AS owner, i.is_platform AS identity_is_platform,
       CAST((SELECT julianday(now) FROM v_clock) - julianday(k.created_at) AS INTEGER) AS age_days,
       CAST((SELECT julianday(now) FROM v_clock) - julianday(k.last_used_at) AS INTEGER) AS days_since_used,
       CAST(julianday(k.expires_at) - (SELECT julianday(now) FROM v_clock) AS INTEGER) AS days_to_expiry,
       CASE WHEN k.expires_at IS NULL THEN 1 ELSE 0 END AS never_expires,
       CASE WHEN k.last_used_at IS NULL THEN 1 ELSE 0 END AS never_used
FROM credential k
LEFT JOIN identity i ON i.id = k.identity_id
WHERE +k.removed_at IS NULL;

-- identity_unused asks, for every identity, whether any credential is still present
-- (identity_id = ? AND removed_at IS NULL): with removed_at in the index that is answered from
-- the index alone instead of one random read of the credential table per identity. The new
-- index starts with identity_id, so it serves every lookup credential_identity served.
DROP INDEX credential_identity;
CREATE INDEX credential_identity_live ON credential (identity_id, removed_at);

-- Provider-specific credential rules (Anthropic, Azure, GCP, GitHub, OpenAI) filter on
-- provider = '<name>': a partial index per provider lets them read only that provider's
-- credentials instead of every credential of the inventory (like identity_gcp in 0011).
CREATE INDEX credential_anthropic ON credential (id) WHERE provider = 'anthropic';
CREATE INDEX credential_azure ON credential (id) WHERE provider = 'azure';
CREATE INDEX credential_gcp ON credential (id) WHERE provider = 'gcp';
CREATE INDEX credential_github ON credential (id) WHERE provider = 'github';
CREATE INDEX credential_openai ON credential (id) WHERE provider = 'openai';
-- gcp_sa_impersonable_by_broad_principal reads GCP trusts only.
CREATE INDEX trust_gcp ON trust (identity_id) WHERE provider = 'gcp';
-- nhi_console_password and nhi_password_and_keys start from the console passwords.
CREATE INDEX credential_password ON credential (identity_id) WHERE kind = 'password';

-- v_rule_agents (0002) with its two pattern joins driven from the patterns (usually a handful,
-- often none) instead of from every identity and every credential; the other parts are as in
-- 0002. Same columns, same rows (UNION removes duplicates either way).
DROP VIEW v_rule_agents;
CREATE VIEW v_rule_agents AS
SELECT i.id AS identity_id, p.agent_name, 'config: ' || p.pattern AS evidence
FROM rule_agent_pattern p CROSS JOIN identity i ON i.id GLOB p.pattern OR i.name GLOB p.pattern
WHERE p.kind = 'identity' AND i.removed_at IS NULL
UNION
SELECT k.identity_id, p.agent_name, 'config credential: ' || p.pattern
FROM rule_agent_pattern p CROSS JOIN credential k ON k.id GLOB p.pattern
WHERE p.kind = 'credential' AND k.removed_at IS NULL
UNION
SELECT i.id, CASE WHEN lower(CAST(j.value AS TEXT)) IN ('', 'true', 'yes', '1') THEN i.name
                  ELSE CAST(j.value AS TEXT) END, 'tag: ' || j.key
FROM identity i, json_each(i.tags) j
WHERE i.removed_at IS NULL AND i.tags LIKE '%agent%'
  AND lower(j.key) IN ('nhi:agent', 'agent', 'ai-agent', 'nhi-agent')
  AND lower(CAST(j.value AS TEXT)) NOT IN ('false', 'no', '0')
UNION
SELECT t.identity_id, t.identity_name, 'trusted by agent platform: ' || t.principal
FROM v_trusts t
WHERE t.principal_type = 'service'
  AND (t.principal IN ('bedrock.amazonaws.com', 'bedrock-agentcore.amazonaws.com')
       OR t.principal LIKE '%@gcp-sa-aiplatform%.iam.gserviceaccount.com'
       OR t.principal LIKE '%@gcp-sa-aiplatform-re.iam.gserviceaccount.com')
UNION
-- the agents model (migration 0010, built by nhi_cli/agents each scan): strong evidence only
SELECT identity_id, agent_name, 'agents: ' || agent_name FROM v_agent_identities WHERE confidence = 'high';
