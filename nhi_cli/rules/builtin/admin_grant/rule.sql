-- Deny statements are not subtracted: an admin grant with a Deny elsewhere still alarms.
SELECT g.identity_id AS resource_id, 'identity' AS resource_type, g.provider, g.scope,
       g.identity_name AS resource_name,
       'Identity ' || g.identity_name || ' has administrator access through ' || MIN(g.source) || '.' AS reason,
       group_concat(DISTINCT g.source) AS sources, MIN(g.action) AS action
FROM v_grants g JOIN v_identities i ON i.id = g.identity_id
WHERE g.effect = 'Allow' AND (g.is_admin = 1 OR g.is_full_wildcard = 1)
  AND g.identity_enabled = 1 AND i.is_platform = 0 AND i.is_human = 0
GROUP BY g.identity_id, g.provider, g.scope, g.identity_name
