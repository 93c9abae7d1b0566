SELECT k.id AS resource_id, 'credential' AS resource_type, k.provider, k.scope,
       COALESCE(k.name, k.hint, k.id) AS resource_name,
       'Agent ' || MIN(a.agent_name) || ' uses ' || k.kind || ' ' || COALESCE(k.hint, k.id)
         || CASE WHEN k.expires_at IS NULL THEN ', which never expires.'
                 ELSE ', valid for ' || CAST(julianday(k.expires_at) - julianday(k.created_at) AS INTEGER) || ' days.' END AS reason,
       k.identity_id, k.kind, k.created_at, k.expires_at, MIN(a.evidence) AS agent_evidence
FROM v_credentials k JOIN v_rule_agents a ON a.identity_id = k.identity_id
WHERE k.status = 'active' AND k.kind <> 'password' AND COALESCE(k.identity_enabled, 1) = 1
  AND (k.expires_at IS NULL OR k.created_at IS NULL
       OR julianday(k.expires_at) - julianday(k.created_at) > :max_lifetime_days)
GROUP BY k.id, k.provider, k.scope, k.name, k.hint, k.kind, k.identity_id, k.created_at, k.expires_at
