SELECT k.id AS resource_id, 'credential' AS resource_type, k.provider, k.scope,
       COALESCE(k.name, k.hint, k.id) AS resource_name,
       'Credential ' || COALESCE(k.hint, k.id) || ' of ' || COALESCE(k.identity_name, k.identity_id) || ' expires in '
         || k.days_to_expiry || ' days (maximum ' || :max_validity_days || ').' AS reason,
       k.identity_id, k.kind, k.expires_at, k.days_to_expiry
FROM v_credentials k
WHERE k.status = 'active' AND k.expires_at IS NOT NULL AND k.days_to_expiry > :max_validity_days
  AND COALESCE(k.identity_enabled, 1) = 1
