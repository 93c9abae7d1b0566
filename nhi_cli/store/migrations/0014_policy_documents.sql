-- 0014: a policy document's grants stored once, not once per holder (issue 13). The AWS-managed
-- ReadOnlyAccess is about 3,000 grant rows; stored per principal it was 27,108 of 34,081 rows of
-- a 1,000-user account, and 9.75M rows at 1M identities. Now:
-- * policy_grant: the grant rows of one policy document (normalised as "grant" rows are, with
--   the same flags), once per scope. document_id is a digest of the normalised document
--   (connectors/aws/documents.py), so the holders of one document share its rows.
-- * policy_attachment: principal -> document, with how it is held (source: the policy ARN or
--   name as "grant".source says it; source_type: inline, managed, group, boundary, scp).
-- v_grants (views.sql) joins the two and keeps its meaning: one row per principal and grant.
-- "grant" keeps per-principal grants (other providers, rule test cases).
--
-- Documents are per scope (the loader replaces a scope's rows on each scan, shards write
-- scopes concurrently), so a document held in 5 accounts is stored 5 times, not 5,000.
CREATE TABLE policy_grant (
    id                  INTEGER PRIMARY KEY,
    document_id         TEXT NOT NULL,
    provider            TEXT NOT NULL,
    scope               TEXT NOT NULL,
    effect              TEXT NOT NULL CHECK (effect IN ('Allow', 'Deny')),
    action              TEXT NOT NULL,
    resource            TEXT NOT NULL DEFAULT '*',
    condition           TEXT,
    service             TEXT,
    is_admin            INTEGER NOT NULL DEFAULT 0,
    is_full_wildcard    INTEGER NOT NULL DEFAULT 0,
    is_service_wildcard INTEGER NOT NULL DEFAULT 0,
    is_privesc          INTEGER NOT NULL DEFAULT 0,
    is_sensitive        INTEGER NOT NULL DEFAULT 0
);
-- the view's join (attachment -> its document's rows) and the loader's per-scope replace
CREATE INDEX policy_grant_document ON policy_grant (scope, document_id);
-- the rules' flag filters, as grant_admin / grant_privesc / grant_service_wildcard do for "grant"
CREATE INDEX policy_grant_admin ON policy_grant (scope, document_id) WHERE is_admin = 1 OR is_full_wildcard = 1;
CREATE INDEX policy_grant_privesc ON policy_grant (scope, document_id) WHERE is_privesc = 1;
CREATE INDEX policy_grant_service_wildcard ON policy_grant (scope, document_id) WHERE is_service_wildcard = 1;

CREATE TABLE policy_attachment (
    id          INTEGER PRIMARY KEY,
    identity_id TEXT NOT NULL,           -- the principal ('scp:<level>:<target>' for SCP levels)
    provider    TEXT NOT NULL,
    scope       TEXT NOT NULL,
    document_id TEXT NOT NULL,
    source      TEXT NOT NULL,           -- policy ARN or name; group:<name>/... when inherited
    source_type TEXT NOT NULL            -- inline, managed, group, boundary, scp
);
-- a principal's documents (v_grants WHERE identity_id = ?, the evaluator)
CREATE INDEX policy_attachment_identity ON policy_attachment (identity_id);
-- a document's holders, and the loader's per-scope replace
CREATE INDEX policy_attachment_document ON policy_attachment (scope, document_id);

-- Existing per-principal AWS rows become documents: one document per policy and holding (a
-- managed or group policy, a boundary or an SCP is the same document for every holder in its
-- scope; an inline policy is its holder's own), its rows taken from one holder. The next scan
-- of the scope replaces them with digest-keyed documents.
CREATE TABLE legacy_policy_holder AS
SELECT scope, source_type, source, MIN(identity_id) AS identity_id
FROM "grant" WHERE provider = 'aws' AND source_type <> 'inline'
GROUP BY scope, source_type, source;
CREATE INDEX legacy_policy_holder_key ON legacy_policy_holder (identity_id, scope, source_type, source);
INSERT INTO policy_attachment (identity_id, provider, scope, document_id, source, source_type)
SELECT DISTINCT identity_id, provider, scope,
       CASE WHEN source_type = 'inline' THEN 'legacy:' || identity_id || '|' || source
            ELSE 'legacy:' || source_type || '|' || source END,
       source, source_type
FROM "grant" WHERE provider = 'aws';
INSERT INTO policy_grant (document_id, provider, scope, effect, action, resource, condition, service,
                          is_admin, is_full_wildcard, is_service_wildcard, is_privesc, is_sensitive)
SELECT CASE WHEN g.source_type = 'inline' THEN 'legacy:' || g.identity_id || '|' || g.source
            ELSE 'legacy:' || g.source_type || '|' || g.source END,
       g.provider, g.scope, g.effect, g.action, g.resource, g.condition, g.service,
       g.is_admin, g.is_full_wildcard, g.is_service_wildcard, g.is_privesc, g.is_sensitive
FROM "grant" g
LEFT JOIN legacy_policy_holder h
       ON h.identity_id = g.identity_id AND h.scope = g.scope AND h.source_type = g.source_type AND h.source = g.source
WHERE g.provider = 'aws' AND (g.source_type = 'inline' OR h.identity_id IS NOT NULL)
ORDER BY g.id;
DROP TABLE legacy_policy_holder;
DELETE FROM "grant" WHERE provider = 'aws';
