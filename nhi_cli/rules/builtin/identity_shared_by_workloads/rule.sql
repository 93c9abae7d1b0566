-- Workloads are counted per identity first; only identities over the limit are then read.
WITH workload AS (
    SELECT identity_id, 'service ' || principal AS workload FROM v_trusts WHERE principal_type = 'service'
    UNION
    -- Kubernetes workloads (Deployments, CronJobs, ...) that run as the same service account; a
    -- workload an nhi.yaml agent claims counts as that agent (the agent and its pods are one)
    SELECT t.identity_id, COALESCE('agent ' || a.agent_name, 'workload ' || t.principal)
    FROM v_trusts t LEFT JOIN v_rule_agents a ON a.identity_id = t.principal AND a.evidence LIKE 'config%'
    WHERE t.principal_type = 'k8s_workload'
    UNION
    SELECT identity_id, 'agent ' || agent_name FROM v_rule_agents WHERE evidence LIKE 'config%'
), shared AS (
    SELECT identity_id, COUNT(DISTINCT workload) AS workloads
    FROM workload GROUP BY identity_id
    HAVING COUNT(DISTINCT workload) >= :min_workloads
)
SELECT i.id AS resource_id, 'identity' AS resource_type, i.provider, i.scope, i.name AS resource_name,
       'Identity ' || i.name || ' is shared by ' || s.workloads || ' workloads ('
         -- sorted, so both engines (and every run) name them in one order
         || (SELECT group_concat(n, ',') FROM (SELECT DISTINCT w.workload AS n FROM workload w
                                               WHERE w.identity_id = s.identity_id ORDER BY n) AS u) || ').' AS reason,
       s.workloads
FROM shared s JOIN v_identities i ON i.id = s.identity_id
WHERE i.enabled = 1 AND i.is_platform = 0
