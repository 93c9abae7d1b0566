WITH workload AS (
    SELECT identity_id, 'service ' || principal AS workload FROM v_trusts WHERE principal_type = 'service'
    UNION
    SELECT identity_id, 'agent ' || agent_name FROM v_rule_agents WHERE evidence LIKE 'config%'
)
SELECT i.id AS resource_id, 'identity' AS resource_type, i.provider, i.scope, i.name AS resource_name,
       'Identity ' || i.name || ' is shared by ' || COUNT(DISTINCT w.workload) || ' workloads ('
         || group_concat(DISTINCT w.workload) || ').' AS reason,
       COUNT(DISTINCT w.workload) AS workloads
FROM workload w JOIN v_identities i ON i.id = w.identity_id
WHERE i.enabled = 1 AND i.is_platform = 0
GROUP BY i.id, i.provider, i.scope, i.name
HAVING COUNT(DISTINCT w.workload) >= :min_workloads
