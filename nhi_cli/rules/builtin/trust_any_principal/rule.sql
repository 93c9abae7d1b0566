SELECT t.identity_id AS resource_id, 'identity' AS resource_type, t.provider, t.scope,
       t.identity_name AS resource_name,
       'Identity ' || t.identity_name || ' can be assumed by any principal (' || t.principal || ').' AS reason,
       t.action, t.conditions
FROM v_trusts t
WHERE t.identity_enabled = 1 AND (t.principal_type = 'any' OR t.principal = '*')
  AND COALESCE(t.conditions, '') NOT LIKE '%PrincipalOrgID%'
  AND COALESCE(t.conditions, '') NOT LIKE '%PrincipalAccount%'
  AND COALESCE(t.conditions, '') NOT LIKE '%SourceAccount%'
  AND COALESCE(t.conditions, '') NOT LIKE '%PrincipalArn%'
