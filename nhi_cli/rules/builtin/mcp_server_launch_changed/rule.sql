-- lock_status is set by the connector from the scanned tree's nhi-mcp.lock.json (connectors/mcp/lock.py).
SELECT i.id AS resource_id, 'identity' AS resource_type, i.provider, i.scope, i.name AS resource_name,
       'MCP server ' || i.name || ' in ' || json_extract(i.attrs, '$.config_file') || ' is launched differently from the repository''s MCP lock file.' AS reason,
       json_extract(i.attrs, '$.client') AS client, json_extract(i.attrs, '$.launch_hash') AS launch_hash,
       json_extract(i.attrs, '$.package_name') AS package
FROM v_identities i
WHERE i.kind = 'mcp_server' AND json_extract(i.attrs, '$.lock_status') = 'changed'
