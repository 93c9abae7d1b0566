SELECT i.id AS resource_id, 'identity' AS resource_type, i.provider, i.scope, i.name AS resource_name,
       'Default ' || replace(json_extract(i.attrs, '$.default_sa'), '_', ' ') || ' service account ' || i.id
         || ' holds ' || group_concat(DISTINCT g.action) || '.' AS reason,
       json_extract(i.attrs, '$.default_sa') AS default_sa, group_concat(DISTINCT g.source) AS sources
FROM v_identities i JOIN v_grants g ON g.identity_id = i.id
WHERE i.provider = 'gcp' AND i.enabled = 1 AND json_extract(i.attrs, '$.default_sa') IS NOT NULL
  AND g.effect = 'Allow' AND g.action IN ('roles/owner', 'roles/editor')
GROUP BY i.id, i.provider, i.scope, i.name, i.attrs
