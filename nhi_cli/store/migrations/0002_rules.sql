-- 0002: what the rules engine needs beyond 0001: agent patterns from nhi.yaml, the view agent
-- rules read (v_rule_agents), a people view, and indexes for findings and set-based rules.

-- `agents:` patterns from nhi.yaml, copied in by each scan so rule SQL can see them.
CREATE TABLE rule_agent_pattern (
    agent_name TEXT NOT NULL,
    pattern    TEXT NOT NULL,                     -- glob over identity id or name (or credential id)
    kind       TEXT NOT NULL DEFAULT 'identity' CHECK (kind IN ('identity', 'credential')),
    PRIMARY KEY (agent_name, pattern, kind)
);

-- Identities classified as AI agents, with the evidence. Delegation rules read this view only;
-- when a richer agent model lands (v_agents), redefine this view on top of it.
CREATE VIEW v_rule_agents AS
SELECT i.id AS identity_id, p.agent_name, 'config: ' || p.pattern AS evidence
FROM identity i JOIN rule_agent_pattern p
  ON p.kind = 'identity' AND (i.id GLOB p.pattern OR i.name GLOB p.pattern)
WHERE i.removed_at IS NULL
UNION
SELECT k.identity_id, p.agent_name, 'config credential: ' || p.pattern
FROM credential k JOIN rule_agent_pattern p ON p.kind = 'credential' AND k.id GLOB p.pattern
WHERE k.removed_at IS NULL
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

-- Every place a credential was seen outside its provider, resolved to the provider's own
-- credential when the agents step linked the sighting (credential_link, migration 0010).
-- Views may name tables of later migrations: SQLite resolves them when the view is read.
CREATE VIEW v_credential_copies AS
SELECT COALESCE(cl.target_id, l.credential_id) AS credential_id, l.credential_id AS sighting_id,
       l.location, CASE WHEN instr(l.location, '#') > 0 THEN substr(l.location, 1, instr(l.location, '#') - 1)
                        ELSE l.location END AS file,
       l.context, l.provider AS found_by, cl.method AS link_method
FROM credential_location l LEFT JOIN credential_link cl ON cl.sighting_id = l.credential_id;

CREATE VIEW v_people AS
SELECT lower(id) AS id, name, lower(email) AS email, active, source FROM person;

CREATE INDEX finding_status ON finding (status);
CREATE INDEX finding_occurrence_fingerprint ON finding_occurrence (fingerprint);
CREATE INDEX trust_principal_type ON trust (principal_type);

-- v_identities keeps every column of 0001 and adds is_human: an account a person signs in to
-- (console password with MFA, no programmatic credentials, or attrs.human = true from a
-- connector). NHI rules skip people's accounts (a break-glass admin is not an NHI problem).
-- The partial index makes active_credentials an index-only count per identity.
CREATE INDEX credential_identity_active ON credential (identity_id, kind) WHERE removed_at IS NULL AND status = 'active';
DROP VIEW v_identities;
CREATE VIEW v_identities AS
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
WHERE i.removed_at IS NULL;
