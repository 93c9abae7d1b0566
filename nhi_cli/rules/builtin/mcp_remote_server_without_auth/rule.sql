-- One finding per MCP server entry; the connector judged the launch (connectors/mcp/hygiene.py).
SELECT i.id AS resource_id, 'identity' AS resource_type, i.provider, i.scope, i.name AS resource_name,
       'Remote MCP server ' || i.name || ' (' || COALESCE(json_extract(i.attrs, '$.url'), 'no URL') || ') in ' || json_extract(i.attrs, '$.config_file') || ' is configured with no credential.' AS reason,
       json_extract(i.attrs, '$.client') AS client, json_extract(i.attrs, '$.url') AS url, json_extract(i.attrs, '$.transport') AS transport
FROM v_identities i
WHERE i.kind = 'mcp_server'
  AND json_extract(i.attrs, '$.remote_auth') = 'none'
