SELECT k.id AS resource_id, 'credential' AS resource_type, k.provider, k.scope,
       COALESCE(k.name, k.hint, k.id) AS resource_name,
       'Anthropic API key ' || COALESCE(k.name, k.id) || ' (' || COALESCE(k.hint, '') || ') is in the Default workspace.' AS reason,
       k.owner, k.created_at
FROM v_credentials k
WHERE k.provider = 'anthropic' AND k.kind = 'api_key' AND k.status = 'active'
  AND json_extract(k.attrs, '$.in_default_workspace') = 1
