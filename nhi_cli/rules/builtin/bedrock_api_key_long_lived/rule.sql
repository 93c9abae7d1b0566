SELECT k.id AS resource_id, 'credential' AS resource_type, k.provider, k.scope,
       COALESCE(k.name, k.id) AS resource_name,
       'Bedrock API key ' || COALESCE(k.name, k.id) || ' of ' || COALESCE(k.identity_name, k.identity_id)
         || CASE WHEN k.expires_at IS NULL THEN ' never expires'
                 ELSE ' is ' || k.age_days || ' days old (more than ' || :max_age_days || ')' END || '.' AS reason,
       k.identity_id, k.created_at, k.expires_at, k.age_days
FROM v_credentials k
WHERE k.kind = 'bedrock_api_key' AND k.status = 'active'
  AND (k.expires_at IS NULL OR k.age_days > :max_age_days)
