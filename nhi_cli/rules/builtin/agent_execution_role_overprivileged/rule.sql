-- Platform agents name their execution identity in attrs.execution_role (AWS role ARN),
-- attrs.service_account (GCP) or attrs.managed_identity (Azure Foundry, a service principal id);
-- its power is what admin_grant and privilege_escalation judge: the effective permission for
-- AWS, admin grants for the others.
WITH platform AS (
    SELECT i.id AS agent_id, i.name AS agent_name, i.provider, i.scope,
           COALESCE(json_extract(i.attrs, '$.execution_role'), json_extract(i.attrs, '$.service_account'),
                    json_extract(i.attrs, '$.managed_identity')) AS runs_as
    FROM v_identities i
    WHERE i.attrs LIKE '%"registered_by_platform": true%'
),
power AS (
    SELECT identity_id, 'administrator access' AS what FROM effective_permission WHERE kind = 'admin'
    UNION
    SELECT identity_id, 'privilege escalation (' || method || ')' FROM effective_permission WHERE kind = 'escalation'
    UNION
    SELECT identity_id, 'administrator access' FROM "grant"
    WHERE provider <> 'aws' AND effect = 'Allow' AND (is_admin = 1 OR is_full_wildcard = 1)
)
SELECT p.agent_id AS resource_id, 'identity' AS resource_type, p.provider, p.scope, p.agent_name AS resource_name,
       'Platform agent ' || p.agent_name || ' runs as ' || r.name || ', which has ' || MIN(w.what) || '.' AS reason,
       p.runs_as AS identity_id, group_concat(DISTINCT w.what) AS powers
FROM platform p JOIN v_identities r ON r.id = p.runs_as JOIN power w ON w.identity_id = p.runs_as
WHERE r.enabled = 1
GROUP BY p.agent_id, p.provider, p.scope, p.agent_name, r.name, p.runs_as
