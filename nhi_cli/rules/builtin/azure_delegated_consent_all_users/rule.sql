SELECT g.identity_id AS resource_id, 'identity' AS resource_type, g.provider, g.scope,
       g.identity_name AS resource_name,
       'Application ' || g.identity_name || ' may act on behalf of every user with '
         || group_concat(DISTINCT g.action) || ' (tenant-wide consent).' AS reason,
       group_concat(DISTINCT g.action) AS scopes, MIN(g.resource) AS api
FROM v_grants g JOIN v_identities i ON i.id = g.identity_id
WHERE g.provider = 'azure' AND g.source_type = 'delegated'
  AND json_extract(g.condition, '$.consent_type') = 'AllPrincipals'
  AND (g.is_sensitive = 1 OR g.is_admin = 1 OR :include_non_sensitive = 1)
  AND g.identity_enabled = 1 AND i.is_platform = 0
GROUP BY g.identity_id, g.provider, g.scope, g.identity_name
