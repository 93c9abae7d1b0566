SELECT k.identity_id AS resource_id, 'identity' AS resource_type, k.provider, k.scope,
       COALESCE(k.identity_name, k.identity_id) AS resource_name,
       'Identity ' || COALESCE(k.identity_name, k.identity_id) || ' is disabled but holds ' || COUNT(*)
         || ' active credential(s).' AS reason,
       group_concat(COALESCE(k.hint, k.id)) AS credentials
FROM v_credentials k
WHERE k.identity_enabled = 0 AND k.status = 'active'
GROUP BY k.identity_id, k.provider, k.scope, k.identity_name
