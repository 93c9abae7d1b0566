WITH copies AS (
    SELECT credential_id, COUNT(DISTINCT file) AS n, group_concat(DISTINCT file) AS files
    FROM v_credential_copies GROUP BY credential_id
), dup AS (
    SELECT secret_hash, COUNT(*) AS n FROM v_credentials
    WHERE secret_hash IS NOT NULL AND status = 'active' AND kind <> 'embedded_secret'
    GROUP BY secret_hash HAVING COUNT(*) > 1
)
SELECT k.id AS resource_id, 'credential' AS resource_type, k.provider, k.scope,
       COALESCE(k.name, k.hint, k.id) AS resource_name,
       CASE WHEN COALESCE(copies.n, 0) >= :min_locations
            THEN 'Credential ' || COALESCE(k.hint, k.id) || ' of ' || COALESCE(k.identity_name, k.identity_id)
                 || ' is present in ' || copies.n || ' files.'
            ELSE 'Credential ' || COALESCE(k.hint, k.id) || ' holds the same secret as ' || (dup.n - 1)
                 || ' other credential(s).' END AS reason,
       k.identity_id, copies.files, COALESCE(copies.n, 0) AS file_count
FROM v_credentials k
LEFT JOIN copies ON copies.credential_id = k.id
LEFT JOIN dup ON dup.secret_hash = k.secret_hash AND k.kind <> 'embedded_secret'
WHERE k.status = 'active' AND (COALESCE(copies.n, 0) >= :min_locations OR dup.n IS NOT NULL)
