-- One finding per MCP server entry; the connector judged the launch (connectors/mcp/hygiene.py).
SELECT i.id AS resource_id, 'identity' AS resource_type, i.provider, i.scope, i.name AS resource_name,
       'MCP server ' || i.name || ' in ' || json_extract(i.attrs, '$.config_file') || ' runs ' || json_extract(i.attrs, '$.package_name') || ', a name close to the well-known ' || json_extract(i.attrs, '$.lookalike_of') || '.' AS reason,
       json_extract(i.attrs, '$.client') AS client, json_extract(i.attrs, '$.package_name') AS package, json_extract(i.attrs, '$.lookalike_of') AS lookalike_of
FROM v_identities i
WHERE i.kind = 'mcp_server'
  AND json_extract(i.attrs, '$.lookalike_of') IS NOT NULL
