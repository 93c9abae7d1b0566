-- One finding per MCP server entry; the connector judged the launch (connectors/mcp/hygiene.py).
SELECT i.id AS resource_id, 'identity' AS resource_type, i.provider, i.scope, i.name AS resource_name,
       'MCP server ' || i.name || ' in ' || json_extract(i.attrs, '$.config_file') || ' passes ' || json_extract(i.attrs, '$.secrets_on_command_line') || ' secret(s) on its command line, visible in process lists.' AS reason,
       json_extract(i.attrs, '$.client') AS client, json_extract(i.attrs, '$.secrets_on_command_line') AS secrets_on_command_line
FROM v_identities i
WHERE i.kind = 'mcp_server'
  AND CAST(json_extract(i.attrs, '$.secrets_on_command_line') AS INTEGER) > 0
