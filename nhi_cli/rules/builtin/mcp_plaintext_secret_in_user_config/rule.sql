-- One finding per MCP server entry (the agent), listing the secrets it holds in plaintext.
SELECT i.id AS resource_id, 'identity' AS resource_type, i.provider, i.scope, i.name AS resource_name,
       'MCP server ' || i.name || ' in ' || json_extract(i.attrs, '$.config_file') || ' holds '
         || COUNT(DISTINCT k.id) || ' plaintext secret(s): ' || group_concat(DISTINCT json_extract(k.attrs, '$.secret_type'))
         || '.' AS reason,
       json_extract(i.attrs, '$.client') AS client, json_extract(i.attrs, '$.config_scope') AS config_scope,
       json_extract(i.attrs, '$.world_readable') AS world_readable,
       group_concat(DISTINCT k.hint) AS hints, group_concat(DISTINCT l.context) AS fields
FROM v_identities i
JOIN v_credential_locations l ON 'mcp:' || l.location = i.id
JOIN v_credentials k ON k.id = l.credential_id
WHERE i.kind = 'mcp_server' AND json_extract(i.attrs, '$.config_scope') IN ('user', 'local')
  AND k.kind = 'embedded_secret' AND k.status = 'active'
GROUP BY i.id, i.provider, i.scope, i.name, i.attrs
