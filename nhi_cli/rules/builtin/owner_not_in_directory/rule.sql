SELECT i.id AS resource_id, 'identity' AS resource_type, i.provider, i.scope, i.name AS resource_name,
       CASE WHEN p.id IS NULL THEN 'Identity ' || i.name || ' is owned by ' || i.owner || ', who is not in the people directory.'
            ELSE 'Identity ' || i.name || ' is owned by ' || i.owner || ', who is no longer active.' END AS reason,
       i.owner, i.owner_source, p.source AS directory_source
FROM v_identities i
LEFT JOIN v_people p ON p.id = lower(trim(i.owner)) OR p.email = lower(trim(i.owner))
WHERE i.enabled = 1 AND i.is_platform = 0 AND i.is_human = 0 AND i.owner LIKE :owner_pattern
  AND EXISTS (SELECT 1 FROM person)
  AND NOT EXISTS (SELECT 1 FROM v_people a WHERE (a.id = lower(trim(i.owner)) OR a.email = lower(trim(i.owner))) AND a.active = 1)
