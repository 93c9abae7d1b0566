SELECT i.id AS resource_id, 'identity' AS resource_type, i.provider, i.scope, i.name AS resource_name,
       'Multi-tenant application ' || i.name || ' (' || json_extract(i.attrs, '$.sign_in_audience') || ') has '
         || i.active_credentials || ' active client secret(s) or certificate(s).' AS reason,
       json_extract(i.attrs, '$.sign_in_audience') AS sign_in_audience, i.active_credentials,
       json_extract(i.attrs, '$.app_id') AS app_id
FROM v_identities i
WHERE i.provider = 'azure' AND json_extract(i.attrs, '$.multi_tenant') = 1
  AND i.active_credentials > 0 AND i.enabled = 1 AND i.is_platform = 0
