SELECT k.id AS resource_id, 'credential' AS resource_type, k.provider, k.scope,
       COALESCE(k.name, k.hint, k.id) AS resource_name,
       'Agent ' || MIN(a.agent_name) || ' uses OpenAI key ' || COALESCE(k.hint, k.id) || ' owned by user '
         || COALESCE(json_extract(k.attrs, '$.user_email'), k.owner, 'unknown') || ', not a service account.' AS reason,
       json_extract(k.attrs, '$.project_name') AS project, json_extract(k.attrs, '$.user_email') AS owner_email,
       MIN(a.evidence) AS agent_evidence
FROM v_credentials k JOIN v_rule_agents a ON a.identity_id = k.identity_id
WHERE k.provider = 'openai' AND k.kind = 'api_key' AND k.status = 'active'
  AND json_extract(k.attrs, '$.owner_type') = 'user'
GROUP BY k.id, k.provider, k.scope, k.name, k.hint, k.attrs, k.owner
