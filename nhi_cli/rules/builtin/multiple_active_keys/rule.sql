SELECT k.identity_id AS resource_id, 'identity' AS resource_type, MIN(k.provider) AS provider, MIN(k.scope) AS scope,
       COALESCE(MIN(k.identity_name), k.identity_id) AS resource_name,
       'Identity ' || COALESCE(MIN(k.identity_name), k.identity_id) || ' has ' || COUNT(*) || ' active '
         || k.kind || ' credentials.' AS reason,
       k.kind, group_concat(COALESCE(k.hint, k.id)) AS credentials
FROM v_credentials k
WHERE k.status = 'active' AND k.kind NOT IN ('password', 'embedded_secret') AND COALESCE(k.identity_enabled, 1) = 1
GROUP BY k.identity_id, k.kind
HAVING COUNT(*) > :max_active_keys
