-- 0002: what the rules engine needs beyond 0001: agent patterns from nhi.yaml and indexes for
-- findings and set-based rules (its views, v_rule_agents and v_people, are in ../views.sql).

-- `agents:` patterns from nhi.yaml, copied in by each scan so rule SQL can see them.
CREATE TABLE rule_agent_pattern (
    agent_name TEXT NOT NULL,
    pattern    TEXT NOT NULL,                     -- glob over identity id or name (or credential id)
    kind       TEXT NOT NULL DEFAULT 'identity' CHECK (kind IN ('identity', 'credential')),
    PRIMARY KEY (agent_name, pattern, kind)
);

CREATE INDEX finding_status ON finding (status);
CREATE INDEX finding_occurrence_fingerprint ON finding_occurrence (fingerprint);
CREATE INDEX trust_principal_type ON trust (principal_type);

-- The partial index makes v_identities.active_credentials an index-only count per identity.
CREATE INDEX credential_identity_active ON credential (identity_id, kind) WHERE removed_at IS NULL AND status = 'active';
