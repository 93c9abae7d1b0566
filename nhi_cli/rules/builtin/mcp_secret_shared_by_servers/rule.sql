-- One embedded_secret credential per distinct secret, with a location per (config file, server,
-- field): count the MCP server identities those locations belong to.
WITH servers AS (
    SELECT l.credential_id, COUNT(DISTINCT i.id) AS n,
           group_concat(DISTINCT i.name || ' (' || COALESCE(json_extract(i.attrs, '$.client'), 'unknown') || ')') AS servers,
           group_concat(DISTINCT json_extract(i.attrs, '$.config_file')) AS files
    FROM v_credential_locations l
    JOIN v_identities i ON i.id = 'mcp:' || l.location
    WHERE i.kind = 'mcp_server'
    GROUP BY l.credential_id
)
SELECT k.id AS resource_id, 'credential' AS resource_type, k.provider, k.scope,
       COALESCE(k.hint, k.id) AS resource_name,
       'Secret ' || COALESCE(k.hint, k.id) || ' (' || COALESCE(json_extract(k.attrs, '$.secret_type'), 'secret')
         || ') is configured for ' || s.n || ' MCP servers: ' || s.servers || '.' AS reason,
       json_extract(k.attrs, '$.secret_type') AS secret_type, s.n AS server_count, s.servers, s.files
FROM v_credentials k
JOIN servers s ON s.credential_id = k.id
WHERE k.kind = 'embedded_secret' AND k.status = 'active' AND s.n >= :min_servers
