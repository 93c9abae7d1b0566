-- The connector records the tool targets called with an API-key credential provider
-- (attrs.static_credential_targets) and the secret-named environment variables of a runtime
-- (attrs.environment_secret_names, names only), as JSON lists.
SELECT i.id AS resource_id, 'identity' AS resource_type, i.provider, i.scope, i.name AS resource_name,
       CASE WHEN i.attrs LIKE '%"static_credential_targets": ["%'
            THEN i.name || ' calls tools with a stored static API key (targets '
                 || json_extract(i.attrs, '$.static_credential_targets') || ').'
            ELSE i.name || ' is configured with secret-named environment variables '
                 || json_extract(i.attrs, '$.environment_secret_names') || '.' END AS reason,
       i.kind
FROM v_identities i
WHERE i.attrs LIKE '%"registered_by_platform": true%'
  AND (i.attrs LIKE '%"static_credential_targets": ["%' OR i.attrs LIKE '%"environment_secret_names": ["%')
