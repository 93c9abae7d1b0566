SELECT i.id AS resource_id, 'identity' AS resource_type, i.provider, i.scope, i.name AS resource_name,
       'AI account ' || i.name || ' (' || COALESCE(json_extract(i.attrs, '$.account_kind'), 'Cognitive Services')
         || ') accepts its two account keys (disableLocalAuth is false).' AS reason,
       json_extract(i.attrs, '$.endpoint') AS endpoint
FROM v_identities i
WHERE i.kind = 'azure_ai_account' AND i.attrs LIKE '%"local_auth_enabled": true%'
