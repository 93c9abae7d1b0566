-- One finding per MCP server entry; the connector judged the launch (connectors/mcp/hygiene.py).
SELECT i.id AS resource_id, 'identity' AS resource_type, i.provider, i.scope, i.name AS resource_name,
       'MCP server ' || i.name || ' in ' || json_extract(i.attrs, '$.config_file') || ' holds plaintext secrets and the file (mode ' || json_extract(i.attrs, '$.file_mode') || ') is readable by other users.' AS reason,
       json_extract(i.attrs, '$.client') AS client, json_extract(i.attrs, '$.file_mode') AS file_mode, json_extract(i.attrs, '$.config_file') AS file
FROM v_identities i
WHERE i.kind = 'mcp_server'
  AND json_extract(i.attrs, '$.config_scope') IN ('user', 'local')
  AND CAST(json_extract(i.attrs, '$.readable_by_others') AS INTEGER) = 1
  AND CAST(json_extract(i.attrs, '$.plaintext_secrets') AS INTEGER) > 0
