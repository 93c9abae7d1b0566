SELECT k.id AS resource_id, 'credential' AS resource_type, k.provider, k.scope, k.name AS resource_name,
       'Service account ' || COALESCE(k.identity_name, k.identity_id) || ' has the legacy token secret ' || k.name
         || ', which never expires' || COALESCE(' (created ' || k.age_days || ' days ago)', '') || '.' AS reason,
       k.identity_id, k.age_days
FROM v_credentials k
WHERE k.kind = 'k8s_legacy_token' AND k.status = 'active'
