-- Workloads are counted per identity first; only identities over the limit are then read.
WITH workload AS (
    SELECT identity_id, 'service ' || principal AS workload FROM v_trusts WHERE principal_type = 'service'
    UNION
    -- Kubernetes workloads (Deployments, CronJobs, ...) that run as the same service account
    SELECT identity_id, 'workload ' || principal FROM v_trusts WHERE principal_type = 'k8s_workload'
    UNION
    SELECT identity_id, 'agent ' || agent_name FROM v_rule_agents WHERE evidence LIKE 'config%'
), shared AS (
    SELECT identity_id, COUNT(DISTINCT workload) AS workloads, group_concat(DISTINCT workload) AS names
    FROM workload GROUP BY identity_id
    HAVING COUNT(DISTINCT workload) >= :min_workloads
)
SELECT i.id AS resource_id, 'identity' AS resource_type, i.provider, i.scope, i.name AS resource_name,
       'Identity ' || i.name || ' is shared by ' || s.workloads || ' workloads (' || s.names || ').' AS reason,
       s.workloads
FROM shared s JOIN v_identities i ON i.id = s.identity_id
WHERE i.enabled = 1 AND i.is_platform = 0
