SELECT i.id AS resource_id, 'identity' AS resource_type, i.provider, i.scope, i.name AS resource_name,
       'Identity ' || i.name || ' has no owner.' AS reason, i.kind
FROM v_identities i
WHERE i.enabled = 1 AND i.is_platform = 0 AND i.is_human = 0 AND (i.owner IS NULL OR trim(i.owner) = '')
  AND instr(',' || :skip_kinds || ',', ',' || i.kind || ',') = 0
