-- One finding per MCP server entry; the connector judged the launch (connectors/mcp/hygiene.py).
SELECT i.id AS resource_id, 'identity' AS resource_type, i.provider, i.scope, i.name AS resource_name,
       'MCP server ' || i.name || ' in ' || json_extract(i.attrs, '$.config_file') || ' is not pinned: ' || json_extract(i.attrs, '$.unpinned') || '.' AS reason,
       json_extract(i.attrs, '$.client') AS client, json_extract(i.attrs, '$.package_name') AS package, json_extract(i.attrs, '$.unpinned') AS why
FROM v_identities i
WHERE i.kind = 'mcp_server'
  AND json_extract(i.attrs, '$.unpinned') IS NOT NULL
