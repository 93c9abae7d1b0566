SELECT k.id AS resource_id, 'credential' AS resource_type, k.provider, k.scope,
       COALESCE(k.name, k.hint, k.id) AS resource_name,
       CASE k.kind WHEN 'client_secret' THEN 'Client secret ' ELSE 'Certificate ' END
         || COALESCE(k.name, k.hint, k.id) || ' of ' || COALESCE(k.identity_name, k.identity_id)
         || ' expires in ' || k.days_to_expiry || ' days (within ' || :days || ').' AS reason,
       k.identity_id, k.kind, k.key_id, k.expires_at, k.days_to_expiry
FROM v_credentials k
WHERE k.provider = 'azure' AND k.kind IN ('client_secret', 'certificate', 'symmetric_key')
  AND k.status = 'active' AND k.expires_at IS NOT NULL
  AND k.days_to_expiry >= 0 AND k.days_to_expiry <= :days
  AND COALESCE(k.identity_enabled, 1) = 1 AND COALESCE(k.identity_is_platform, 0) = 0
