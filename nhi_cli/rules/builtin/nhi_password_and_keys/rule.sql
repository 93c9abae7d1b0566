WITH password AS (
    SELECT identity_id FROM v_credentials WHERE kind = 'password' AND status = 'active'
    UNION
    SELECT id FROM v_identities WHERE attrs LIKE '%password_enabled%'
      AND json_extract(attrs, '$.password_enabled') IN (1, 'true')
), keys AS (
    -- only the identities with a password: CROSS JOIN keeps that order (not every credential)
    SELECT k.identity_id, COUNT(*) AS n, group_concat(COALESCE(k.hint, k.id)) AS key_ids
    FROM password p CROSS JOIN v_credentials k ON k.identity_id = p.identity_id
    WHERE k.kind <> 'password' AND k.status = 'active' GROUP BY k.identity_id
)
SELECT i.id AS resource_id, 'identity' AS resource_type, i.provider, i.scope, i.name AS resource_name,
       'Identity ' || i.name || ' has a console password and ' || k.n || ' active key(s).' AS reason,
       i.kind, k.key_ids
FROM password p JOIN v_identities i ON i.id = p.identity_id
JOIN keys k ON k.identity_id = i.id
WHERE i.enabled = 1
