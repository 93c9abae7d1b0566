WITH hit AS (
    SELECT g.identity_id, g.provider, g.scope, g.identity_name, g.source,
           CASE WHEN g.is_admin = 1 THEN 'administer the cluster'
                WHEN g.is_full_wildcard = 1 THEN 'do anything in ' || substr(g.resource, 1, instr(g.resource, '/') - 1)
                WHEN g.is_privesc = 1 THEN g.action || ' ' || g.resource
                ELSE g.action || ' secrets cluster-wide' END AS power
    FROM v_grants g JOIN v_identities i ON i.id = g.identity_id
    WHERE g.provider = 'kubernetes' AND i.kind = 'k8s_service_account' AND g.effect = 'Allow'
      AND (g.is_admin = 1 OR g.is_full_wildcard = 1 OR g.is_privesc = 1
           OR (g.is_sensitive = 1 AND g.resource LIKE '*/%'))
      AND instr(',' || :ignore_namespaces || ',', ',' || COALESCE(json_extract(i.attrs, '$.namespace'), '') || ',') = 0
)
SELECT h.identity_id AS resource_id, 'identity' AS resource_type, h.provider, h.scope, h.identity_name AS resource_name,
       'Service account ' || h.identity_name || ' can '
         || (SELECT group_concat(p, '; ') FROM (SELECT DISTINCT x.power AS p FROM hit x
                                               WHERE x.identity_id = h.identity_id ORDER BY p) AS u)
         || ' (' || MIN(h.source) || ').' AS reason,
       (SELECT group_concat(s) FROM (SELECT DISTINCT x.source AS s FROM hit x
                                     WHERE x.identity_id = h.identity_id ORDER BY s) AS v) AS sources
FROM hit h
GROUP BY h.identity_id, h.provider, h.scope, h.identity_name
