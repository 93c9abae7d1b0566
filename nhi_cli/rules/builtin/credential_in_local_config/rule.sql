SELECT k.id AS resource_id, 'credential' AS resource_type, k.provider, k.scope,
       COALESCE(k.name, k.hint, k.id) AS resource_name,
       'Credential ' || COALESCE(k.hint, k.id) || ' of ' || COALESCE(k.identity_name, k.identity_id)
         || ' is stored in ' || MIN(l.location) || '.' AS reason,
       k.identity_id, group_concat(DISTINCT l.location) AS locations, group_concat(DISTINCT l.context) AS contexts
FROM v_credential_locations l JOIN v_credentials k ON k.id = l.credential_id
WHERE k.status = 'active'
GROUP BY k.id, k.provider, k.scope, k.name, k.hint, k.identity_name, k.identity_id
