-- Account and principal trusts are a large share of all trusts: the unary plus (below) keeps the planner
-- from reading them through trust_principal_type (one random read per trust) when the
-- inventory has no statistics; a sequential pass over trust is cheaper.
-- The scopes of the organisation are the (provider, scope) pairs of present identities, found from
-- the covering index identity_scope (one entry per identity, no table reads), then kept when
-- some identity in the pair is not removed (the filter v_identities applies).
WITH org AS (
    SELECT s.provider, s.scope FROM (SELECT DISTINCT provider, scope FROM identity) s
    WHERE EXISTS (SELECT 1 FROM identity i WHERE i.provider = s.provider AND i.scope = s.scope
                  AND i.removed_at IS NULL)
    UNION SELECT DISTINCT provider, scope FROM scope_result
)
SELECT t.identity_id AS resource_id, 'identity' AS resource_type, t.provider, t.scope,
       t.identity_name AS resource_name,
       'Identity ' || t.identity_name || ' can be assumed from account ' || t.principal_account
         || ' outside the organisation without sts:ExternalId.' AS reason,
       t.principal, t.principal_account
FROM v_trusts t
LEFT JOIN org o ON o.provider = t.provider AND o.scope = t.principal_account
WHERE t.identity_enabled = 1 AND +t.principal_type IN ('account', 'principal')
  AND t.principal_account IS NOT NULL AND t.requires_external_id = 0
  AND o.scope IS NULL
  AND instr(',' || :trusted_accounts || ',', ',' || t.principal_account || ',') = 0
