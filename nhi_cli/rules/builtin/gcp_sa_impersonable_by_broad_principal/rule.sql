SELECT t.identity_id AS resource_id, 'identity' AS resource_type, t.provider, t.scope,
       t.identity_name AS resource_name,
       'Service account ' || t.identity_id || ' can be impersonated by ' || group_concat(DISTINCT t.principal)
         || ' (' || group_concat(DISTINCT t.action) || ').' AS reason,
       group_concat(DISTINCT t.principal) AS principals, group_concat(DISTINCT t.action) AS roles
FROM v_trusts t
WHERE t.provider = 'gcp' AND t.identity_enabled = 1
  AND t.action IN ('roles/iam.serviceAccountTokenCreator', 'roles/iam.serviceAccountUser',
                   'roles/iam.workloadIdentityUser')
  AND (t.principal_type = 'any'
       OR t.principal LIKE 'domain:%'
       OR t.principal LIKE 'projectOwner:%' OR t.principal LIKE 'projectEditor:%' OR t.principal LIKE 'projectViewer:%'
       OR instr(',' || :broad_groups || ',', ',' || t.principal || ',') > 0)
GROUP BY t.identity_id, t.provider, t.scope, t.identity_name
