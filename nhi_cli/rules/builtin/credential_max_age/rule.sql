SELECT k.id AS resource_id, 'credential' AS resource_type, k.provider, k.scope,
       COALESCE(k.name, k.hint, k.id) AS resource_name,
       'Credential ' || COALESCE(k.hint, k.id) || ' of ' || COALESCE(k.identity_name, k.identity_id) || ' is '
         || k.age_days || ' days old (maximum ' || :max_age_days || ').' AS reason,
       k.identity_id, k.kind, k.created_at, k.age_days
FROM v_credentials k
WHERE k.status = 'active' AND k.kind <> 'password' AND COALESCE(k.identity_enabled, 1) = 1
  AND k.age_days > :max_age_days
