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

-- Existing per-principal AWS rows become documents. A holding is one principal's rows of one
-- source (policy ARN or name) and source_type. A managed or group policy, a boundary or an SCP
-- is the same document for every holder in its scope: a holding whose rows are the rows of the
-- source's first holder (same count, every row found there) shares one document with it; any
-- other holding, and every inline policy, becomes its holder's own document. The next scan of
-- the scope replaces them with digest-keyed documents.
CREATE TABLE legacy_holding AS
SELECT identity_id, scope, source_type, source, COUNT(*) AS n, MIN(id) AS first_id, 0 AS shared
FROM "grant" WHERE provider = 'aws'
GROUP BY identity_id, scope, source_type, source;
CREATE INDEX legacy_holding_key ON legacy_holding (identity_id, scope, source_type, source);
CREATE TABLE legacy_canonical AS
SELECT scope, source_type, source, MIN(identity_id) AS identity_id FROM legacy_holding
WHERE source_type <> 'inline'
GROUP BY scope, source_type, source;
CREATE INDEX legacy_canonical_key ON legacy_canonical (scope, source_type, source);
CREATE INDEX legacy_grant_row ON "grant" (identity_id, scope, source_type, source, action, resource);
UPDATE legacy_holding SET shared = 1
WHERE source_type <> 'inline'
  AND n = (SELECT ch.n FROM legacy_canonical c
           JOIN legacy_holding ch ON ch.identity_id = c.identity_id AND ch.scope = c.scope
                                 AND ch.source_type = c.source_type AND ch.source = c.source
           WHERE c.scope = legacy_holding.scope AND c.source_type = legacy_holding.source_type
             AND c.source = legacy_holding.source)
  AND NOT EXISTS (
      SELECT 1 FROM "grant" g
      WHERE g.identity_id = legacy_holding.identity_id AND g.scope = legacy_holding.scope
        AND g.source_type = legacy_holding.source_type AND g.source = legacy_holding.source
        AND NOT EXISTS (
            SELECT 1 FROM legacy_canonical c
            JOIN "grant" h ON h.identity_id = c.identity_id AND h.scope = c.scope
                          AND h.source_type = c.source_type AND h.source = c.source
            WHERE c.scope = g.scope AND c.source_type = g.source_type AND c.source = g.source
              AND h.action = g.action AND h.resource = g.resource AND h.effect = g.effect
              AND COALESCE(h.condition, '') = COALESCE(g.condition, '')
              AND COALESCE(h.service, '') = COALESCE(g.service, '')
              AND h.is_admin = g.is_admin AND h.is_full_wildcard = g.is_full_wildcard
              AND h.is_service_wildcard = g.is_service_wildcard AND h.is_privesc = g.is_privesc
              AND h.is_sensitive = g.is_sensitive));
INSERT INTO policy_attachment (identity_id, provider, scope, document_id, source, source_type)
SELECT identity_id, 'aws', scope,
       CASE WHEN shared = 1 THEN 'legacy:' || source_type || '|' || source
            ELSE 'legacy:' || identity_id || '|' || source_type || '|' || source END,
       source, source_type
FROM legacy_holding
ORDER BY first_id;
-- a shared document's rows once (its first holder's), every own document's rows
INSERT INTO policy_grant (document_id, provider, scope, effect, action, resource, condition, service,
                          is_admin, is_full_wildcard, is_service_wildcard, is_privesc, is_sensitive)
SELECT CASE WHEN h.shared = 1 THEN 'legacy:' || h.source_type || '|' || h.source
            ELSE 'legacy:' || h.identity_id || '|' || h.source_type || '|' || h.source END,
       g.provider, g.scope, g.effect, g.action, g.resource, g.condition, g.service,
       g.is_admin, g.is_full_wildcard, g.is_service_wildcard, g.is_privesc, g.is_sensitive
FROM "grant" g
JOIN legacy_holding h ON h.identity_id = g.identity_id AND h.scope = g.scope
                     AND h.source_type = g.source_type AND h.source = g.source
LEFT JOIN legacy_canonical c ON c.scope = h.scope AND c.source_type = h.source_type AND c.source = h.source
WHERE g.provider = 'aws' AND (h.shared = 0 OR c.identity_id = h.identity_id)
ORDER BY g.id;
DROP INDEX legacy_grant_row;
DROP TABLE legacy_canonical;
DROP TABLE legacy_holding;
DELETE FROM "grant" WHERE provider = 'aws';
