SELECT k.id AS resource_id, 'credential' AS resource_type, k.provider, k.scope,
       COALESCE(k.name, k.hint, k.id) AS resource_name,
       CASE WHEN k.never_used = 1
            THEN 'Credential ' || COALESCE(k.hint, k.id) || ' of ' || COALESCE(k.identity_name, k.identity_id)
                 || ' has never been used in the ' || k.age_days || ' days since it was created.'
            ELSE 'Credential ' || COALESCE(k.hint, k.id) || ' of ' || COALESCE(k.identity_name, k.identity_id)
                 || ' has not been used for ' || k.days_since_used || ' days.' END AS reason,
       k.identity_id, k.kind, k.last_used_at, k.days_since_used, k.age_days
FROM v_credentials k
WHERE k.status = 'active' AND COALESCE(k.identity_enabled, 1) = 1
  AND (k.attrs NOT LIKE '%last_used_unknown%' OR json_extract(k.attrs, '$.last_used_unknown') IS NULL OR json_extract(k.attrs, '$.last_used_unknown') = 0)
  AND ((k.never_used = 0 AND k.days_since_used > :max_unused_days)
       OR (k.never_used = 1 AND k.age_days > :grace_days))
