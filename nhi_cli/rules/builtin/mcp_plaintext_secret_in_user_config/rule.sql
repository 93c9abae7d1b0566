-- One finding per MCP server entry (the agent), listing the secrets it holds in plaintext.
-- The lists are built from sorted subqueries: secret ids are salted hashes that differ in every
-- inventory, so their order must not leak into the reason (it would change between scans).
WITH held AS (
    SELECT DISTINCT i.id AS identity_id, k.id AS credential_id,
           json_extract(k.attrs, '$.secret_type') AS secret_type, k.hint, l.context
    FROM v_identities i
    JOIN v_credential_locations l ON 'mcp:' || l.location = i.id
    JOIN v_credentials k ON k.id = l.credential_id
    WHERE i.kind = 'mcp_server' AND json_extract(i.attrs, '$.config_scope') IN ('user', 'local', 'managed')
      AND k.kind = 'embedded_secret' AND k.status = 'active'
)
SELECT i.id AS resource_id, 'identity' AS resource_type, i.provider, i.scope, i.name AS resource_name,
       'MCP server ' || i.name || ' in ' || json_extract(i.attrs, '$.config_file') || ' holds '
         || (SELECT COUNT(DISTINCT h.credential_id) FROM held h WHERE h.identity_id = i.id)
         || ' plaintext secret(s): '
         || (SELECT group_concat(t) FROM (SELECT DISTINCT h.secret_type AS t FROM held h
                                          WHERE h.identity_id = i.id ORDER BY t) AS u)
         || '.' AS reason,
       json_extract(i.attrs, '$.client') AS client, json_extract(i.attrs, '$.config_scope') AS config_scope,
       CAST(json_extract(i.attrs, '$.world_readable') AS INTEGER) AS world_readable,
       (SELECT group_concat(t) FROM (SELECT DISTINCT h.hint AS t FROM held h
                                     WHERE h.identity_id = i.id ORDER BY t) AS u) AS hints,
       (SELECT group_concat(t) FROM (SELECT DISTINCT h.context AS t FROM held h
                                     WHERE h.identity_id = i.id ORDER BY t) AS u) AS fields
FROM v_identities i
WHERE i.id IN (SELECT identity_id FROM held)
