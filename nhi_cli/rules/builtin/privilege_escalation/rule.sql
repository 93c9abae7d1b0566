-- AWS principals alarm on escalation methods (nhi_cli/iam/escalation_methods.yaml) whose every
-- action is effectively allowed on a target that exists: Denies, unmodifiable resources
-- (AWS managed policies), impossible conditions and missing service actions pass; split
-- policies that only escalate together alarm. Other providers: their escalation grants.
-- Administrators are admin_grant's.
SELECT g.identity_id AS resource_id, 'identity' AS resource_type, g.provider, g.scope,
       g.identity_name AS resource_name,
       'Identity ' || g.identity_name || ' can escalate privileges with ' || group_concat(DISTINCT g.action) || '.' AS reason,
       group_concat(DISTINCT g.source) AS sources, NULL AS methods, NULL AS targets, 'certain' AS confidence
FROM v_grants g JOIN v_identities i ON i.id = g.identity_id
WHERE g.provider <> 'aws' AND g.effect = 'Allow' AND g.is_privesc = 1 AND g.identity_enabled = 1 AND i.is_platform = 0
  AND NOT EXISTS (SELECT 1 FROM v_grants a WHERE a.identity_id = g.identity_id AND a.effect = 'Allow'
                  AND (a.is_admin = 1 OR a.is_full_wildcard = 1))
GROUP BY g.identity_id, g.provider, g.scope, g.identity_name
UNION ALL
SELECT e.identity_id AS resource_id, 'identity' AS resource_type, e.provider, e.scope,
       e.identity_name AS resource_name,
       'Identity ' || e.identity_name || ' can escalate privileges: '
         || group_concat(e.method || ' (' || e.actions || ') on ' || e.target, '; ')
         || CASE WHEN MIN(e.confidence) = 'certain' THEN ''
                 ELSE ' (conditional: depends on conditions nhi cannot decide statically)' END
         || CASE WHEN MAX(i.attrs) LIKE '%"dormant": true%'
                 THEN ' (dormant: no password or active key today, one iam:CreateAccessKey away from use)'
                 ELSE '' END || '.' AS reason,
       group_concat(e.statements, '; ') AS sources, group_concat(e.method) AS methods,
       group_concat(e.target, '; ') AS targets, MIN(e.confidence) AS confidence
FROM v_effective_permissions e JOIN v_identities i ON i.id = e.identity_id
WHERE e.kind = 'escalation' AND e.identity_enabled = 1 AND i.is_platform = 0
  AND NOT EXISTS (SELECT 1 FROM effective_permission a WHERE a.identity_id = e.identity_id AND a.kind = 'admin')
GROUP BY e.identity_id, e.provider, e.scope, e.identity_name
