SELECT w.id AS resource_id, 'identity' AS resource_type, w.provider, w.scope, w.name AS resource_name,
       'Workload ' || w.name || ' mounts an API token of service account ' || MIN(t.identity_name)
         || ', which no role binding grants anything.' AS reason,
       MIN(t.identity_id) AS service_account_id
FROM v_identities w JOIN v_trusts t ON t.principal = w.id AND t.principal_type = 'k8s_workload'
WHERE w.kind = 'k8s_workload' AND json_extract(w.attrs, '$.token_mounted') IN (1, 'true')
  AND json_extract(w.attrs, '$.rbac_read') IN (1, 'true')
  AND NOT EXISTS (SELECT 1 FROM v_grants g WHERE g.identity_id = t.identity_id
                  AND g.source NOT LIKE '%(via group %' AND g.service <> 'nonResourceURL')
GROUP BY w.id, w.provider, w.scope, w.name
