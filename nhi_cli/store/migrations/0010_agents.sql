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
