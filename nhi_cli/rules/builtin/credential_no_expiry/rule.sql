SELECT k.id AS resource_id, 'credential' AS resource_type, k.provider, k.scope,
       COALESCE(k.name, k.hint, k.id) AS resource_name,
       'Credential ' || COALESCE(k.hint, k.id) || ' of ' || COALESCE(k.identity_name, k.identity_id)
         || ' never expires although ' || k.provider || ' supports an expiry.' AS reason,
       k.identity_id, k.kind, k.created_at
FROM v_credentials k
WHERE k.status = 'active' AND k.supports_expiry = 1 AND k.never_expires = 1 AND COALESCE(k.identity_enabled, 1) = 1
