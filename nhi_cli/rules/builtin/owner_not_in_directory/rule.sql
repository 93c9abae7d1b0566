-- The directory keyed by lower-cased id and e-mail, materialised once so the join is indexed.
WITH directory AS (
    SELECT k AS key, MAX(active) AS active, MIN(source) AS source FROM (
        SELECT lower(trim(id)) AS k, active, source FROM person
        UNION ALL
        SELECT lower(trim(email)), active, source FROM person WHERE email IS NOT NULL
    ) GROUP BY k
)
SELECT i.id AS resource_id, 'identity' AS resource_type, i.provider, i.scope, i.name AS resource_name,
       CASE WHEN d.key IS NULL THEN 'Identity ' || i.name || ' is owned by ' || i.owner || ', who is not in the people directory.'
            ELSE 'Identity ' || i.name || ' is owned by ' || i.owner || ', who is no longer active.' END AS reason,
       i.owner, i.owner_source, d.source AS directory_source
FROM v_identities i
LEFT JOIN directory d ON d.key = lower(trim(i.owner))
WHERE i.enabled = 1 AND i.is_platform = 0 AND i.is_human = 0 AND i.owner LIKE :owner_pattern
  AND EXISTS (SELECT 1 FROM person)
  AND (d.key IS NULL OR d.active = 0)
