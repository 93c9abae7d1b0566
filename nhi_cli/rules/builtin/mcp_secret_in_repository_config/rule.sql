-- One finding per secret per config file: the same token in .mcp.json and .cursor/mcp.json is
-- two places to clean (and two alerts in code scanning, each at its own file and line).
-- Locations are "<config file>#<server key>", and the MCP server identity is "mcp:" || location,
-- so the join finds the config each copy sits in; config_scope and in_git_repo come from the
-- connector (project configs inside a git work tree); git_status 'ignored' (.gitignore) passes.
-- repo_file is the file relative to the work tree's root and secret_lines maps a field to the
-- line it is written on: the finding's evidence carries both, for SARIF and pre-commit.
SELECT k.id || '@' || COALESCE(json_extract(i.attrs, '$.repo_file'), json_extract(i.attrs, '$.config_file'))
         AS resource_id,
       'location' AS resource_type, k.provider, k.scope,
       COALESCE(k.hint, k.id) || ' in ' || COALESCE(json_extract(i.attrs, '$.repo_file'),
                                                    json_extract(i.attrs, '$.config_file')) AS resource_name,
       'Secret ' || COALESCE(k.hint, k.id) || ' (' || COALESCE(json_extract(k.attrs, '$.secret_type'), 'secret')
         || ') is written into the repository MCP config '
         || COALESCE(json_extract(i.attrs, '$.repo_file'), json_extract(i.attrs, '$.config_file'))
         || COALESCE(' at line ' || MIN(json_extract(i.attrs, '$.secret_lines."' || l.context || '"')), '') || '.'
         AS reason,
       k.id AS credential_id,
       json_extract(k.attrs, '$.secret_type') AS secret_type,
       COALESCE(json_extract(i.attrs, '$.repo_file'), json_extract(i.attrs, '$.config_file')) AS file,
       MIN(json_extract(i.attrs, '$.secret_lines."' || l.context || '"')) AS line,
       MIN(json_extract(i.attrs, '$.repo_root')) AS repository,
       MIN(COALESCE(json_extract(i.attrs, '$.git_status'), 'unknown')) AS git_status,
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
GROUP BY k.id, k.provider, k.scope, k.hint, k.attrs,
         COALESCE(json_extract(i.attrs, '$.repo_file'), json_extract(i.attrs, '$.config_file'))
