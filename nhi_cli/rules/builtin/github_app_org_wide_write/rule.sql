-- Repository permissions only: organization_* and members are org-level and do not widen
-- with the repository selection.
SELECT i.id AS resource_id, 'identity' AS resource_type, i.provider, i.scope, i.name AS resource_name,
       'GitHub App ' || i.name || ' is installed on all repositories of ' || i.scope
         || ' with write access (' || group_concat(g.action, ', ') || ').' AS reason,
       json_extract(i.attrs, '$.app_slug') AS app_slug,
       CAST(json_extract(i.attrs, '$.installation_id') AS INTEGER) AS installation_id,
       group_concat(g.action, ', ') AS write_permissions
FROM v_identities i JOIN v_grants g ON g.identity_id = i.id
WHERE i.provider = 'github' AND i.kind = 'github_app_installation' AND i.enabled = 1
  AND json_extract(i.attrs, '$.repository_selection') = 'all'
  AND (g.action LIKE '%:write' OR g.action LIKE '%:admin')
  AND g.action NOT LIKE 'organization\_%' ESCAPE '\' AND g.action NOT LIKE 'members:%'
  AND instr(',' || :allowed_apps || ',', ',' || i.name || ',') = 0
GROUP BY i.id, i.provider, i.scope, i.name, i.attrs
