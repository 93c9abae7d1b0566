WITH loc AS (
    SELECT credential_id, COUNT(DISTINCT location) AS n, group_concat(DISTINCT location) AS locations
    FROM v_credential_locations GROUP BY credential_id
), dup AS (
    SELECT secret_hash, COUNT(*) AS n FROM v_credentials
    WHERE secret_hash IS NOT NULL AND status = 'active' GROUP BY secret_hash HAVING COUNT(*) > 1
)
SELECT k.id AS resource_id, 'credential' AS resource_type, k.provider, k.scope,
       COALESCE(k.name, k.hint, k.id) AS resource_name,
       CASE WHEN COALESCE(loc.n, 0) >= :min_locations
            THEN 'Credential ' || COALESCE(k.hint, k.id) || ' of ' || COALESCE(k.identity_name, k.identity_id)
                 || ' is present in ' || loc.n || ' places.'
            ELSE 'Credential ' || COALESCE(k.hint, k.id) || ' holds the same secret as ' || (dup.n - 1)
                 || ' other credential(s).' END AS reason,
       k.identity_id, loc.locations, COALESCE(loc.n, 0) AS location_count
FROM v_credentials k
LEFT JOIN loc ON loc.credential_id = k.id
LEFT JOIN dup ON dup.secret_hash = k.secret_hash
WHERE k.status = 'active' AND (COALESCE(loc.n, 0) >= :min_locations OR dup.n IS NOT NULL)
