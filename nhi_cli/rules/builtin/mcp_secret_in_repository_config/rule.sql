-- Locations are "<config file>#<server key>", and the MCP server identity is "mcp:" || location,
-- so the join finds the config each copy sits in; config_scope and in_git_repo come from the
-- connector (project configs inside a git work tree); git_status 'ignored' (.gitignore) passes.
SELECT k.id AS resource_id, 'credential' AS resource_type, k.provider, k.scope,
       COALESCE(k.hint, k.id) AS resource_name,
       'Secret ' || COALESCE(k.hint, k.id) || ' (' || COALESCE(json_extract(k.attrs, '$.secret_type'), 'secret')
         || ') is written into the repository MCP config ' || MIN(json_extract(i.attrs, '$.config_file')) || '.' AS reason,
       json_extract(k.attrs, '$.secret_type') AS secret_type,
       MIN(json_extract(i.attrs, '$.repo_root')) AS repository,
       MIN(COALESCE(json_extract(i.attrs, '$.git_status'), 'unknown')) AS git_status,
       group_concat(DISTINCT json_extract(i.attrs, '$.config_file')) AS files,
       group_concat(DISTINCT i.name) AS servers,
       group_concat(DISTINCT l.context) AS fields
FROM v_credential_locations l
JOIN v_credentials k ON k.id = l.credential_id
JOIN v_identities i ON i.id = 'mcp:' || l.location
WHERE k.kind = 'embedded_secret' AND k.status = 'active'
  AND i.kind = 'mcp_server'
  AND json_extract(i.attrs, '$.config_scope') = 'project'
  AND json_extract(i.attrs, '$.in_git_repo') = 1
  AND COALESCE(json_extract(i.attrs, '$.git_status'), 'unknown') <> 'ignored'
GROUP BY k.id, k.provider, k.scope, k.hint, k.attrs
