-- The DISTINCT stays in its own subquery: alone it jumps from one (provider, scope) to the next
-- through the identity_scope index; inside the UNION it would read every identity.
WITH org AS (
    SELECT provider, scope FROM (SELECT DISTINCT provider, scope FROM v_identities)
    UNION SELECT DISTINCT provider, scope FROM scope_result
)
SELECT t.identity_id AS resource_id, 'identity' AS resource_type, t.provider, t.scope,
       t.identity_name AS resource_name,
       'Identity ' || t.identity_name || ' can be assumed from account ' || t.principal_account
         || ' outside the organisation without sts:ExternalId.' AS reason,
       t.principal, t.principal_account
FROM v_trusts t
LEFT JOIN org o ON o.provider = t.provider AND o.scope = t.principal_account
WHERE t.identity_enabled = 1 AND t.principal_type IN ('account', 'principal')
  AND t.principal_account IS NOT NULL AND t.requires_external_id = 0
  AND o.scope IS NULL
  AND instr(',' || :trusted_accounts || ',', ',' || t.principal_account || ',') = 0
