SELECT i.id AS resource_id, 'identity' AS resource_type, i.provider, i.scope, i.name AS resource_name,
       'Service account ' || i.name || ' is used by no pod'
         || CASE WHEN CAST(json_extract(i.attrs, '$.legacy_tokens') AS INTEGER) > 0
                 THEN ' (it has a legacy token secret: something outside the cluster may use it)' ELSE '' END
         || '.' AS reason,
       i.age_days, CAST(json_extract(i.attrs, '$.legacy_tokens') AS INTEGER) AS legacy_tokens
FROM v_identities i
WHERE i.kind = 'k8s_service_account' AND json_extract(i.attrs, '$.pods') IN (0, '0')
  AND json_extract(i.attrs, '$.is_default') NOT IN (1, 'true')
  AND COALESCE(i.age_days, 0) >= :min_age_days
  AND instr(',' || :ignore_namespaces || ',', ',' || COALESCE(json_extract(i.attrs, '$.namespace'), '') || ',') = 0
