-- v_credential_copies resolves a secret seen in an MCP config to the provider credential it is
-- (when linked); an unresolved sighting is reported as itself.
SELECT k.id AS resource_id, 'credential' AS resource_type, k.provider, k.scope,
       COALESCE(k.name, k.hint, k.id) AS resource_name,
       CASE WHEN k.kind = 'embedded_secret'
            THEN 'Secret ' || COALESCE(k.hint, k.id) || ' (' || COALESCE(json_extract(k.attrs, '$.secret_type'), 'unknown type')
                 || ', not matched to any inventory credential) is stored in ' || MIN(c.file) || '.'
            ELSE 'Credential ' || COALESCE(k.hint, k.id) || ' of ' || COALESCE(k.identity_name, k.identity_id)
                 || ' is stored in ' || MIN(c.file) || '.' END AS reason,
       k.identity_id, k.kind, group_concat(DISTINCT c.file) AS files, COUNT(DISTINCT c.file) AS file_count,
       MIN(c.link_method) AS link_method
FROM v_credential_copies c JOIN v_credentials k ON k.id = c.credential_id
WHERE k.status = 'active'
GROUP BY k.id, k.provider, k.scope, k.name, k.hint, k.kind, k.attrs, k.identity_name, k.identity_id
