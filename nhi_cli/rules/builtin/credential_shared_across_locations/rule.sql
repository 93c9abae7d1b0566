-- Two small driving sets (credentials copied to several files; secrets recorded twice), each
-- joined to the credentials by key, so the cost follows the copies, not the inventory.
WITH copies AS (
    SELECT credential_id, COUNT(DISTINCT file) AS n, group_concat(DISTINCT file) AS files
    FROM v_credential_copies GROUP BY credential_id HAVING COUNT(DISTINCT file) >= :min_locations
), dup AS (
    SELECT secret_hash, COUNT(*) AS n FROM credential
    WHERE secret_hash IS NOT NULL AND removed_at IS NULL AND status = 'active' AND kind <> 'embedded_secret'
    GROUP BY secret_hash HAVING COUNT(*) > 1
)
SELECT k.id AS resource_id, 'credential' AS resource_type, k.provider, k.scope,
       COALESCE(k.name, k.hint, k.id) AS resource_name,
       'Credential ' || COALESCE(k.hint, k.id) || ' of ' || COALESCE(k.identity_name, k.identity_id)
         || ' is present in ' || c.n || ' files.' AS reason,
       k.identity_id, c.files, c.n AS file_count
FROM copies c JOIN v_credentials k ON k.id = c.credential_id
WHERE k.status = 'active'
UNION ALL
SELECT k.id, 'credential', k.provider, k.scope, COALESCE(k.name, k.hint, k.id),
       'Credential ' || COALESCE(k.hint, k.id) || ' holds the same secret as ' || (d.n - 1) || ' other credential(s).',
       k.identity_id, NULL, 0
FROM dup d JOIN v_credentials k ON k.secret_hash = d.secret_hash
WHERE k.status = 'active' AND k.kind <> 'embedded_secret'
