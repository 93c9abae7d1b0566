-- 0010: agents. Derived at every scan from the inventory and nhi.yaml (classification with
-- evidence, cross-source credential links, delegation and ownership), so they are replaced,
-- not versioned: the inventory rows they are built from carry the history.

-- A credential seen somewhere (an MCP config) resolved to the inventory credential it is.
CREATE TABLE credential_link (
    sighting_id  TEXT NOT NULL,                      -- e.g. an MCP embedded_secret credential
    target_id    TEXT NOT NULL,                      -- the provider's own credential
    method       TEXT NOT NULL,                      -- aws_key_id, openai_redacted_value, ...
    PRIMARY KEY (sighting_id, target_id)
);

CREATE TABLE agent (
    name            TEXT PRIMARY KEY,
    source          TEXT NOT NULL CHECK (source IN ('config', 'discovered')),
    confidence      TEXT NOT NULL CHECK (confidence IN ('high', 'medium', 'low')),
    owner           TEXT,
    owner_source    TEXT,
    owner_status    TEXT NOT NULL DEFAULT 'unknown', -- active, left, not_in_directory, none, unknown
    acts_for        TEXT,
    acts_for_source TEXT,
    delegation      TEXT NOT NULL DEFAULT 'unknown', -- recorded, not_recorded, unknown
    delegation_detail TEXT NOT NULL DEFAULT '[]',    -- JSON list of per-identity statements
    description     TEXT,
    scan_id         INTEGER NOT NULL
);

-- An agent holds whole identities (its IAM user, its service account) and single credentials
-- of identities it does not own (a person's OpenAI key found in the agent's MCP config).
CREATE TABLE agent_member (
    agent_name   TEXT NOT NULL,
    member_type  TEXT NOT NULL CHECK (member_type IN ('identity', 'credential')),
    member_id    TEXT NOT NULL,
    provider     TEXT NOT NULL,
    confidence   TEXT NOT NULL CHECK (confidence IN ('high', 'medium', 'low')),
    evidence     TEXT NOT NULL DEFAULT '[]',         -- JSON list of {kind, detail, strength}
    PRIMARY KEY (agent_name, member_type, member_id)
);
CREATE INDEX agent_member_id ON agent_member (member_id);

CREATE VIEW v_agents AS
SELECT a.*,
       (SELECT COUNT(*) FROM agent_member m WHERE m.agent_name = a.name AND m.member_type = 'identity') AS identities,
       (SELECT COUNT(DISTINCT m.provider) FROM agent_member m WHERE m.agent_name = a.name) AS providers
FROM agent a;

CREATE VIEW v_agent_identities AS
SELECT m.agent_name, m.member_id AS identity_id, m.provider, m.confidence, m.evidence,
       i.kind AS identity_kind, i.name AS identity_name
FROM agent_member m JOIN identity i ON i.id = m.member_id
WHERE m.member_type = 'identity' AND i.removed_at IS NULL;

-- Every credential an agent holds: its identities' own credentials and its credential members.
CREATE VIEW v_agent_credentials AS
SELECT m.agent_name, k.id AS credential_id, k.identity_id, k.provider, k.kind, k.status, 'identity' AS via
FROM agent_member m JOIN credential k ON k.identity_id = m.member_id AND k.removed_at IS NULL
WHERE m.member_type = 'identity'
UNION
SELECT m.agent_name, k.id, k.identity_id, k.provider, k.kind, k.status, 'credential'
FROM agent_member m JOIN credential k ON k.id = m.member_id AND k.removed_at IS NULL
WHERE m.member_type = 'credential';
