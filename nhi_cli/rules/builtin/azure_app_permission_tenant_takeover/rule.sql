SELECT g.identity_id AS resource_id, 'identity' AS resource_type, g.provider, g.scope,
       g.identity_name AS resource_name,
       'Service principal ' || g.identity_name || ' holds the application permission '
         || group_concat(DISTINCT g.action) || ', which allows tenant takeover.' AS reason,
       group_concat(DISTINCT g.action) AS permissions, MIN(g.resource) AS api, COUNT(*) AS assignments
FROM v_grants g JOIN v_identities i ON i.id = g.identity_id
WHERE g.provider = 'azure' AND g.source_type = 'app_role' AND g.is_admin = 1
  AND g.identity_enabled = 1 AND i.is_platform = 0
GROUP BY g.identity_id, g.provider, g.scope, g.identity_name
