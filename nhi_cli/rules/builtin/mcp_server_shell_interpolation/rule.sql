-- One finding per MCP server entry; the connector judged the launch (connectors/mcp/hygiene.py).
SELECT i.id AS resource_id, 'identity' AS resource_type, i.provider, i.scope, i.name AS resource_name,
       'MCP server ' || i.name || ' in ' || json_extract(i.attrs, '$.config_file') || ' is launched through ' || json_extract(i.attrs, '$.shell') || ' with variables expanded in its script.' AS reason,
       json_extract(i.attrs, '$.client') AS client, json_extract(i.attrs, '$.shell') AS shell
FROM v_identities i
WHERE i.kind = 'mcp_server'
  AND CAST(json_extract(i.attrs, '$.shell_interpolates') AS INTEGER) = 1
