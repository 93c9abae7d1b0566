WITH admin AS (
    SELECT g.identity_id, MIN(g.source) AS how FROM v_grants g
    WHERE g.provider <> 'aws' AND g.effect = 'Allow' AND (g.is_admin = 1 OR g.is_full_wildcard = 1)
    GROUP BY g.identity_id
    UNION ALL
    SELECT e.identity_id, MIN(e.statements) FROM v_effective_permissions e WHERE e.kind = 'admin'
    GROUP BY e.identity_id
)
SELECT l.service_account_id AS resource_id, 'identity' AS resource_type, 'kubernetes' AS provider, l.cluster AS scope,
       l.service_account_name AS resource_name,
       'Service account ' || l.service_account_name || ' becomes ' || l.cloud_provider || ' identity '
         || l.cloud_identity_name || ' (' || replace(l.link_type, '_', ' ') || '), which has administrator access through '
         || MIN(a.how) || '.' AS reason,
       l.cloud_identity_id, l.link_type
FROM v_workload_identity_links l JOIN admin a ON a.identity_id = l.cloud_identity_id
GROUP BY l.service_account_id, l.cluster, l.service_account_name, l.cloud_provider, l.cloud_identity_name,
         l.cloud_identity_id, l.link_type
