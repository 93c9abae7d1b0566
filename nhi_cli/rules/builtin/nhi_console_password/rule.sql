WITH password AS (
    SELECT identity_id FROM v_credentials WHERE kind = 'password' AND status = 'active'
    UNION
    SELECT id FROM v_identities WHERE attrs LIKE '%password_enabled%'
      AND json_extract(attrs, '$.password_enabled') IN (1, 'true')
), keys AS (
    SELECT identity_id, COUNT(*) AS n, group_concat(COALESCE(hint, id)) AS key_ids FROM v_credentials
    WHERE kind <> 'password' AND status = 'active' GROUP BY identity_id
)
SELECT i.id AS resource_id, 'identity' AS resource_type, i.provider, i.scope, i.name AS resource_name,
       'Identity ' || i.name || ' has a console password.' AS reason, i.kind
FROM password p JOIN v_identities i ON i.id = p.identity_id
LEFT JOIN keys k ON k.identity_id = i.id
WHERE i.enabled = 1 AND k.identity_id IS NULL AND i.is_human = 0
