-- AWS principals alarm on their effective permission (nhi_cli/iam): an admin Allow cancelled by
-- a Deny (same or other policy), capped by a boundary or behind an impossible condition does
-- not alarm; one behind an undecidable condition alarms as conditional. Other providers have
-- no Deny statements to subtract: their admin grants alarm as granted.
SELECT g.identity_id AS resource_id, 'identity' AS resource_type, g.provider, g.scope,
       g.identity_name AS resource_name,
       'Identity ' || g.identity_name || ' has administrator access through ' || MIN(g.source) || '.' AS reason,
       -- sorted, so the list reads the same whatever order the engine met the grants in
       (SELECT group_concat(s) FROM (SELECT DISTINCT a.source AS s FROM "grant" a
                                     WHERE a.identity_id = g.identity_id AND a.effect = 'Allow'
                                       AND (a.is_admin = 1 OR a.is_full_wildcard = 1) ORDER BY s) AS u) AS sources,
       MIN(g.action) AS action, 'certain' AS confidence
FROM v_grants g JOIN v_identities i ON i.id = g.identity_id
WHERE g.provider <> 'aws' AND g.effect = 'Allow' AND (g.is_admin = 1 OR g.is_full_wildcard = 1)
  AND g.identity_enabled = 1 AND i.is_platform = 0 AND i.is_human = 0
GROUP BY g.identity_id, g.provider, g.scope, g.identity_name
UNION ALL
SELECT e.identity_id AS resource_id, 'identity' AS resource_type, e.provider, e.scope,
       e.identity_name AS resource_name,
       'Identity ' || e.identity_name || ' has administrator access through ' || e.statements
         || CASE WHEN e.confidence = 'conditional'
                 THEN ' (conditional: it depends on conditions nhi cannot decide statically)' ELSE '' END
         || CASE WHEN i.attrs LIKE '%"dormant": true%'
                 THEN ' (dormant: no password or active key today, one iam:CreateAccessKey away from use)'
                 ELSE '' END || '.' AS reason,
       e.statements AS sources, e.actions AS action, e.confidence
FROM v_effective_permissions e JOIN v_identities i ON i.id = e.identity_id
WHERE e.kind = 'admin' AND e.identity_enabled = 1 AND i.is_platform = 0 AND i.is_human = 0
