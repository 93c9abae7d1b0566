SELECT i.id AS resource_id, 'identity' AS resource_type, i.provider, i.scope, i.name AS resource_name,
       'Default service account ' || i.name || ' is bound to '
         || (SELECT group_concat(s, ', ') FROM (SELECT DISTINCT x.source AS s FROM v_grants x
                                               WHERE x.identity_id = i.id AND x.source NOT LIKE '%(via group %'
                                                 AND x.service <> 'nonResourceURL' ORDER BY s) AS u)
         || ': every pod in namespace ' || COALESCE(json_extract(i.attrs, '$.namespace'), '?')
         || ' that names no service account gets these permissions.' AS reason,
       COUNT(*) AS grants
FROM v_identities i JOIN v_grants g ON g.identity_id = i.id
WHERE i.kind = 'k8s_service_account' AND json_extract(i.attrs, '$.is_default') IN (1, 'true')
  AND g.source NOT LIKE '%(via group %' AND g.service <> 'nonResourceURL' AND g.effect = 'Allow'
GROUP BY i.id, i.provider, i.scope, i.name, i.attrs
