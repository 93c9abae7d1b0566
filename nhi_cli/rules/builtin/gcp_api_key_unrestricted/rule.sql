-- The connector records what a key may call (attrs.unrestricted, attrs.api_targets) and from
-- where (attrs.app_restriction: browser, server, android, ios or none).
SELECT k.id AS resource_id, 'credential' AS resource_type, k.provider, k.scope,
       COALESCE(k.name, k.id) AS resource_name,
       CASE WHEN k.attrs LIKE '%"unrestricted": true%'
            THEN 'API key ' || COALESCE(k.name, k.id) || ' in ' || k.scope
                 || ' has no API restriction: it can call every enabled API, Gemini included.'
            ELSE 'API key ' || COALESCE(k.name, k.id) || ' in ' || k.scope
                 || ' can call ' || json_extract(k.attrs, '$.api_targets') || ' from anywhere.' END AS reason,
       k.identity_id, json_extract(k.attrs, '$.app_restriction') AS app_restriction, k.created_at
FROM v_credentials k
WHERE k.kind = 'gcp_api_key' AND k.status = 'active'
  AND (k.attrs LIKE '%"unrestricted": true%'
       OR (k.attrs LIKE '%"ai_credential": true%' AND k.attrs LIKE '%"app_restriction": "none"%'))
