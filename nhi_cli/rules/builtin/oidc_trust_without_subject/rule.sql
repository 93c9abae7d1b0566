SELECT t.identity_id AS resource_id, 'identity' AS resource_type, t.provider, t.scope,
       t.identity_name AS resource_name,
       'Identity ' || t.identity_name || ' trusts OIDC provider ' || t.principal
         || CASE WHEN t.subject_condition IS NULL THEN ' without a subject condition.'
                 ELSE ' for any subject (' || t.subject_condition || ').' END AS reason,
       t.principal, t.subject_condition, t.audience_condition
FROM v_trusts t
WHERE t.identity_enabled = 1 AND t.principal_type = 'oidc'
  AND (t.subject_condition IS NULL OR trim(t.subject_condition) = ''
       OR replace(replace(replace(trim(t.subject_condition), '*', ''), ':', ''), 'repo', '') = '')
