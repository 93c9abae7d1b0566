-- One finding per secret per config file: the same token in .mcp.json and .cursor/mcp.json is
-- two places to clean (and two alerts in code scanning, each at its own file and line).
-- Locations are "<config file>#<server key>", and the MCP server identity is "mcp:" || location,
-- so the join finds the config each copy sits in; config_scope and in_git_repo come from the
-- connector (project configs inside a git work tree); git_status 'ignored' (.gitignore) passes.
-- repo_file is the file relative to the work tree's root; secret_line_index ("|field=line|...")
-- gives the line a field is written on, read with INSTR/SUBSTR: a JSON path built from data
-- is not portable to PostgreSQL, and json_each in a correlated subquery fails on SQLite 3.40.
SELECT k.id || '@' || p.file AS resource_id,
       'location' AS resource_type, k.provider, k.scope,
       COALESCE(k.hint, k.id) || ' in ' || p.file AS resource_name,
       'Secret ' || COALESCE(k.hint, k.id) || ' (' || COALESCE(json_extract(k.attrs, '$.secret_type'), 'secret')
         || ') is written into the repository MCP config ' || p.file
         || COALESCE(' at line ' || CAST(MIN(p.line) AS TEXT), '') || '.' AS reason,
       k.id AS credential_id,
       json_extract(k.attrs, '$.secret_type') AS secret_type,
       p.file AS file,
       MIN(p.line) AS line,
       MIN(p.repository) AS repository,
       MIN(p.git_status) AS git_status,
       group_concat(DISTINCT p.server) AS servers,
       group_concat(DISTINCT p.context) AS fields
FROM (
    SELECT l.credential_id, l.context, i.name AS server,
           COALESCE(json_extract(i.attrs, '$.repo_file'), json_extract(i.attrs, '$.config_file')) AS file,
           json_extract(i.attrs, '$.repo_root') AS repository,
           COALESCE(json_extract(i.attrs, '$.git_status'), 'unknown') AS git_status,
           CASE WHEN INSTR(x.idx, '|' || l.context || '=') > 0
                THEN CAST(SUBSTR(x.rest, 1, INSTR(x.rest, '|') - 1) AS INTEGER) END AS line
    FROM v_credential_locations l
    JOIN v_identities i ON i.id = 'mcp:' || l.location
    JOIN (SELECT i2.id, COALESCE(json_extract(i2.attrs, '$.secret_line_index'), '|') AS idx, l2.context,
                 SUBSTR(COALESCE(json_extract(i2.attrs, '$.secret_line_index'), '|'),
                        INSTR(COALESCE(json_extract(i2.attrs, '$.secret_line_index'), '|'), '|' || l2.context || '=')
                        + LENGTH(l2.context) + 2) AS rest
          FROM v_identities i2 JOIN v_credential_locations l2 ON i2.id = 'mcp:' || l2.location) x
      ON x.id = i.id AND x.context = l.context
    WHERE i.kind = 'mcp_server'
      AND json_extract(i.attrs, '$.config_scope') = 'project'
      AND json_extract(i.attrs, '$.in_git_repo') = 1
      AND COALESCE(json_extract(i.attrs, '$.git_status'), 'unknown') <> 'ignored'
) p
JOIN v_credentials k ON k.id = p.credential_id
WHERE k.kind = 'embedded_secret' AND k.status = 'active'
GROUP BY k.id, k.provider, k.scope, k.hint, k.attrs, p.file
