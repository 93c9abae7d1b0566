SELECT g.identity_id AS resource_id, 'identity' AS resource_type, g.provider, g.scope,
       g.identity_name AS resource_name,
       CASE WHEN MIN(g.action) LIKE 'NotAction:%'
            THEN 'Identity ' || g.identity_name || ' is allowed every action except ' || substr(MIN(g.action), 11)
                 || ', which includes sensitive services.'
            ELSE 'Identity ' || g.identity_name || ' is allowed ' || group_concat(DISTINCT g.action) || ' on a sensitive service.' END AS reason,
       group_concat(DISTINCT g.source) AS sources
FROM v_grants g JOIN v_identities i ON i.id = g.identity_id
WHERE g.effect = 'Allow' AND g.is_service_wildcard = 1 AND g.is_sensitive = 1
  AND g.is_admin = 0 AND g.is_full_wildcard = 0
  AND g.identity_enabled = 1 AND i.is_platform = 0
  AND NOT EXISTS (SELECT 1 FROM v_grants a WHERE a.identity_id = g.identity_id AND a.effect = 'Allow'
                  AND (a.is_admin = 1 OR a.is_full_wildcard = 1))
GROUP BY g.identity_id, g.provider, g.scope, g.identity_name
