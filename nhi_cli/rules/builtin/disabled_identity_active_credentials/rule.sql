-- Driven from the disabled identities (few), not from every active credential: CROSS JOIN keeps
-- that order. d is the same row v_credentials joins as identity_enabled (removed identities
-- included, as in the view), so the result is k.identity_enabled = 0 over v_credentials.
SELECT k.identity_id AS resource_id, 'identity' AS resource_type, k.provider, k.scope,
       COALESCE(k.identity_name, k.identity_id) AS resource_name,
       'Identity ' || COALESCE(k.identity_name, k.identity_id) || ' is disabled but holds ' || COUNT(*)
         || ' active credential(s).' AS reason,
       group_concat(COALESCE(k.hint, k.id)) AS credentials
FROM identity d CROSS JOIN v_credentials k ON k.identity_id = d.id
WHERE d.enabled = 0 AND k.status = 'active'
GROUP BY k.identity_id, k.provider, k.scope, k.identity_name
