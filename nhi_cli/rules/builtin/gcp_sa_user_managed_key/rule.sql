SELECT k.id AS resource_id, 'credential' AS resource_type, k.provider, k.scope,
       COALESCE(k.key_id, k.name) AS resource_name,
       'Service account ' || k.identity_id || ' has user-managed key ' || COALESCE(k.key_id, k.name)
         || CASE WHEN wi.identity_id IS NOT NULL THEN ', although it already has a workload identity binding'
                 ELSE '' END
         || '.' AS reason,
       k.identity_id, k.age_days, k.never_expires,
       CASE WHEN wi.identity_id IS NOT NULL THEN 1 ELSE 0 END AS has_workload_identity
FROM v_credentials k
LEFT JOIN (SELECT DISTINCT identity_id FROM v_trusts
           WHERE provider = 'gcp' AND action = 'roles/iam.workloadIdentityUser') wi ON wi.identity_id = k.identity_id
WHERE k.provider = 'gcp' AND k.kind = 'sa_key' AND k.status = 'active'
  AND COALESCE(k.identity_enabled, 1) = 1
  AND instr(',' || :allowed_service_accounts || ',', ',' || k.identity_id || ',') = 0
