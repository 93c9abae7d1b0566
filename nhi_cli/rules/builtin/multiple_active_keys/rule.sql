-- The candidate groups come from the partial index credential_identity_active (identity_id,
-- kind) without reading any row; only identities over the limit are then read through the view.
-- identity_enabled is per identity, so filtering it after counting gives the same groups.
-- An Azure AI account always has two keys while key auth is on (azure_ai_account_local_auth).
WITH crowded AS (
    SELECT identity_id, kind FROM credential
    WHERE removed_at IS NULL AND status = 'active' AND kind NOT IN ('password', 'embedded_secret', 'azure_ai_account_key')
    GROUP BY identity_id, kind
    HAVING COUNT(*) > :max_active_keys
)
SELECT k.identity_id AS resource_id, 'identity' AS resource_type, MIN(k.provider) AS provider, MIN(k.scope) AS scope,
       COALESCE(MIN(k.identity_name), k.identity_id) AS resource_name,
       'Identity ' || COALESCE(MIN(k.identity_name), k.identity_id) || ' has ' || COUNT(*) || ' active '
         || k.kind || ' credentials.' AS reason,
       k.kind, group_concat(COALESCE(k.hint, k.id)) AS credentials
FROM crowded c JOIN v_credentials k ON k.identity_id = c.identity_id AND k.kind = c.kind
WHERE k.status = 'active' AND k.kind NOT IN ('password', 'embedded_secret', 'azure_ai_account_key') AND COALESCE(k.identity_enabled, 1) = 1
GROUP BY k.identity_id, k.kind
HAVING COUNT(*) > :max_active_keys
