-- Agents come from v_rule_agents (identities) and the agents model's credential members (a key
-- of another identity that the agent holds); secrets seen in MCP configs are judged through
-- the provider credential they were linked to (credential_in_local_config reports the copy).
WITH agent_credential AS (
    SELECT k.id AS credential_id, a.agent_name, a.evidence
    FROM v_credentials k JOIN v_rule_agents a ON a.identity_id = k.identity_id
    UNION
    SELECT m.member_id, m.agent_name, 'agents: credential member'
    FROM agent_member m WHERE m.member_type = 'credential'
)
SELECT k.id AS resource_id, 'credential' AS resource_type, k.provider, k.scope,
       COALESCE(k.name, k.hint, k.id) AS resource_name,
       'Agent ' || MIN(a.agent_name) || ' uses ' || k.kind || ' ' || COALESCE(k.hint, k.id)
         || CASE WHEN k.expires_at IS NULL THEN ', which never expires.'
                 ELSE ', valid for ' || CAST(julianday(k.expires_at) - julianday(k.created_at) AS INTEGER) || ' days.' END AS reason,
       k.identity_id, k.kind, k.created_at, k.expires_at, MIN(a.evidence) AS agent_evidence
FROM agent_credential a JOIN v_credentials k ON k.id = a.credential_id
WHERE k.status = 'active' AND k.kind NOT IN ('password', 'embedded_secret') AND COALESCE(k.identity_enabled, 1) = 1
  AND (k.expires_at IS NULL OR k.created_at IS NULL
       OR julianday(k.expires_at) - julianday(k.created_at) > :max_lifetime_days)
GROUP BY k.id, k.provider, k.scope, k.name, k.hint, k.kind, k.identity_id, k.created_at, k.expires_at
