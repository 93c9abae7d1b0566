-- The directory keyed by lower-cased id and e-mail, materialised once so the join is indexed.
-- Each distinct owner is judged once (owners are few, identities many); identities then only
-- look their owner up among the owners that failed.
WITH directory AS (
    SELECT k AS key, MAX(active) AS active, MIN(source) AS source FROM (
        SELECT lower(trim(id)) AS k, active, source FROM person
        UNION ALL
        SELECT lower(trim(email)), active, source FROM person WHERE email IS NOT NULL
    ) AS p GROUP BY k
), failed AS (
    -- DISTINCT keeps this a table of its own (SQLite does not merge it into the outer join)
    SELECT DISTINCT o.owner, d.key, d.source FROM (SELECT DISTINCT owner FROM identity WHERE owner LIKE :owner_pattern) o
    LEFT JOIN directory d ON d.key = lower(trim(o.owner))
    WHERE EXISTS (SELECT 1 FROM person) AND (d.key IS NULL OR d.active = 0)
)
SELECT i.id AS resource_id, 'identity' AS resource_type, i.provider, i.scope, i.name AS resource_name,
       CASE WHEN f.key IS NULL THEN 'Identity ' || i.name || ' is owned by ' || i.owner || ', who is not in the people directory.'
            ELSE 'Identity ' || i.name || ' is owned by ' || i.owner || ', who is no longer active.' END AS reason,
       i.owner, i.owner_source, f.source AS directory_source
FROM v_identities i
JOIN failed f ON f.owner = i.owner
WHERE i.enabled = 1 AND i.is_platform = 0 AND i.is_human = 0
