SELECT i.id AS resource_id, 'identity' AS resource_type, i.provider, i.scope, i.name AS resource_name,
       CASE WHEN i.last_used_at IS NULL
            THEN 'Identity ' || i.name || ' has never been used in the ' || i.age_days || ' days since it was created.'
            ELSE 'Identity ' || i.name || ' has not been used for ' || i.days_since_used || ' days.' END AS reason,
       i.kind, i.last_used_at, i.days_since_used, i.age_days
FROM v_identities i
WHERE i.enabled = 1 AND i.is_platform = 0 AND i.is_human = 0
  AND (i.attrs NOT LIKE '%last_used_unknown%' OR json_extract(i.attrs, '$.last_used_unknown') IS NULL OR json_extract(i.attrs, '$.last_used_unknown') = 0)
  AND NOT EXISTS (SELECT 1 FROM credential k WHERE k.identity_id = i.id AND k.removed_at IS NULL)
  AND ((i.last_used_at IS NOT NULL AND i.days_since_used > :max_unused_days)
       OR (i.last_used_at IS NULL AND i.age_days > :max_unused_days))
