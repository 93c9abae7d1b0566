-- The scopes are listed in name order on both engines: the consented rows are made distinct and
-- ordered by the group, then the scope, before they are concatenated (group_concat keeps the
-- order rows arrive in; PostgreSQL's arrival order otherwise follows its plan).
WITH consented AS (
    SELECT DISTINCT g.identity_id, g.provider, g.scope, g.identity_name, g.action, g.resource
    FROM v_grants g JOIN v_identities i ON i.id = g.identity_id
    WHERE g.provider = 'azure' AND g.source_type = 'delegated'
      AND json_extract(g.condition, '$.consent_type') = 'AllPrincipals'
      AND (g.is_sensitive = 1 OR g.is_admin = 1 OR :include_non_sensitive = 1)
      AND g.identity_enabled = 1 AND i.is_platform = 0
    ORDER BY g.identity_id, g.provider, g.scope, g.identity_name, g.action
)
SELECT c.identity_id AS resource_id, 'identity' AS resource_type, c.provider, c.scope,
       c.identity_name AS resource_name,
       'Application ' || c.identity_name || ' may act on behalf of every user with '
         || group_concat(DISTINCT c.action) || ' (tenant-wide consent).' AS reason,
       group_concat(DISTINCT c.action) AS scopes, MIN(c.resource) AS api
FROM consented c
GROUP BY c.identity_id, c.provider, c.scope, c.identity_name
