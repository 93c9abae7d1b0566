SELECT k.id AS resource_id, 'credential' AS resource_type, k.provider, k.scope,
       COALESCE(k.name, k.id) AS resource_name,
       'Deploy key ' || COALESCE(k.name, k.id) || ' on ' || k.scope || '/' || json_extract(k.attrs, '$.repo')
         || ' has write access.' AS reason,
       json_extract(k.attrs, '$.repo') AS repo, json_extract(k.attrs, '$.added_by') AS added_by,
       k.created_at, k.last_used_at, k.age_days
FROM v_credentials k
WHERE k.provider = 'github' AND k.kind = 'deploy_key' AND k.status = 'active'
  AND json_extract(k.attrs, '$.read_only') = 0
