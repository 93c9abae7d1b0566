-- Agents come from v_rule_agents only: when a richer agent model lands, that view changes, not this rule.
-- Driven from the agents (few) into their trusts: CROSS JOIN keeps that order, instead of
-- reading every trust of the inventory.
SELECT t.identity_id AS resource_id, 'identity' AS resource_type, t.provider, t.scope,
       t.identity_name AS resource_name,
       'Agent ' || MIN(a.agent_name) || ' (' || t.identity_name || ') can be assumed by ' || MIN(t.principal)
         || ' without sts:SourceIdentity, so its sessions do not record whom it acts for.' AS reason,
       group_concat(DISTINCT t.principal) AS principals, MIN(a.evidence) AS agent_evidence
FROM v_rule_agents a CROSS JOIN v_trusts t ON t.identity_id = a.identity_id
-- sts:SourceIdentity is AWS's: a GCP impersonation by a person is logged with the caller
WHERE t.provider = 'aws' AND t.identity_enabled = 1 AND t.principal_type IN ('any', 'account', 'principal', 'saml')
  AND t.requires_source_identity = 0
GROUP BY t.identity_id, t.provider, t.scope, t.identity_name
