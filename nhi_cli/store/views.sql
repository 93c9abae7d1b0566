-- The documented views, all in one place. Rules and users read these, never the tables.
--
-- Tables change only through numbered migrations (migrations/NNNN_*.sql). Views are not
-- versioned: every migration run (and every open of an inventory whose views differ from this
-- file) drops every view and creates these again, in the same transaction. To change a view,
-- edit it here; a view that needs a new column needs the migration that adds the column first.
--
-- They show what is present now (removed rows drop out) and compute ages against the clock of
-- the latest scan, so a rule's answer for a scan does not drift with the wall clock.
--
-- Speed notes (issue 3, "Rules at scale"), kept from the migrations that introduced them:
-- * The scan clock is read through one uncorrelated scalar subquery that SQLite evaluates once
--   per statement, `(SELECT julianday(now) FROM v_clock)`, instead of a CROSS JOIN with
--   v_clock: the views flatten into the rule, so `SELECT DISTINCT provider, scope FROM
--   v_identities` can skip through the identity_scope index.
-- * v_credentials filters removed rows with `+k.removed_at IS NULL`: the unary plus keeps the
--   meaning and stops SQLite from walking the partial index credential_identity_active for a
--   rule that reads every active credential (one random lookup per row, 4x slower at 1M).
-- * active_credentials stays a correlated count over that partial index: a column of a
--   flattened view is only computed when a query reads it.

CREATE VIEW v_clock AS
SELECT COALESCE((SELECT MAX(started_at) FROM scan_run),
                strftime('%Y-%m-%dT%H:%M:%SZ', 'now')) AS now;

-- is_human: an account a person signs in to (console password with MFA, no programmatic
-- credentials, or attrs.human = true from a connector). NHI rules skip people's accounts.
CREATE VIEW v_identities AS
SELECT i.id, i.provider, i.scope, i.kind, i.name, i.created_at, i.last_used_at, i.enabled,
       i.owner, i.owner_source, i.description, i.is_platform, i.tags, i.attrs,
       i.first_seen, i.last_seen,
       CAST((SELECT julianday(now) FROM v_clock) - julianday(i.created_at) AS INTEGER) AS age_days,
       CAST((SELECT julianday(now) FROM v_clock) - julianday(i.last_used_at) AS INTEGER) AS days_since_used,
       (SELECT COUNT(*) FROM credential k
         WHERE k.identity_id = i.id AND k.removed_at IS NULL AND k.status = 'active') AS active_credentials,
       CASE WHEN i.attrs LIKE '%"human"%' AND json_extract(i.attrs, '$.human') IN (1, 'true') THEN 1
            WHEN i.attrs LIKE '%mfa_active%' AND json_extract(i.attrs, '$.mfa_active') IN (1, 'true')
                 AND json_extract(i.attrs, '$.password_enabled') IN (1, 'true')
                 AND NOT EXISTS (SELECT 1 FROM credential k WHERE k.identity_id = i.id AND k.removed_at IS NULL
                                 AND k.status = 'active' AND k.kind <> 'password') THEN 1
            ELSE 0 END AS is_human
FROM identity i
WHERE i.removed_at IS NULL;

CREATE VIEW v_credentials AS
SELECT k.id, k.identity_id, k.provider, k.scope, k.kind, k.name, k.status,
       k.created_at, k.last_used_at, k.expires_at, k.supports_expiry, k.key_id, k.hint,
       k.secret_hash, k.attrs, k.first_seen, k.last_seen,
       i.name AS identity_name, i.kind AS identity_kind, i.enabled AS identity_enabled,
       i.owner AS owner, i.is_platform AS identity_is_platform,
       CAST((SELECT julianday(now) FROM v_clock) - julianday(k.created_at) AS INTEGER) AS age_days,
       CAST((SELECT julianday(now) FROM v_clock) - julianday(k.last_used_at) AS INTEGER) AS days_since_used,
       CAST(julianday(k.expires_at) - (SELECT julianday(now) FROM v_clock) AS INTEGER) AS days_to_expiry,
       CASE WHEN k.expires_at IS NULL THEN 1 ELSE 0 END AS never_expires,
       CASE WHEN k.last_used_at IS NULL THEN 1 ELSE 0 END AS never_used
FROM credential k
LEFT JOIN identity i ON i.id = k.identity_id
WHERE +k.removed_at IS NULL;

-- One row per principal and grant: the per-principal rows of "grant", and the rows of every
-- policy document a principal holds (policy_attachment -> policy_grant, migration 0014: a
-- document's grants are stored once, whoever holds it; ``id`` is then the document row's, shared
-- by its holders). A permissions boundary caps grants, it grants nothing: its statements
-- (source_type 'boundary') are for the policy evaluator and left out here, as are SCP levels.
CREATE VIEW v_grants AS
SELECT g.id, g.identity_id, g.provider, g.scope, g.effect, g.action, g.resource, g.condition, g.source,
       g.source_type, g.service, g.is_admin, g.is_full_wildcard, g.is_service_wildcard, g.is_privesc,
       g.is_sensitive, i.name AS identity_name, i.kind AS identity_kind, i.enabled AS identity_enabled
FROM "grant" g JOIN identity i ON i.id = g.identity_id
WHERE i.removed_at IS NULL AND g.source_type <> 'boundary'
UNION ALL
SELECT d.id, a.identity_id, a.provider, a.scope, d.effect, d.action, d.resource, d.condition, a.source,
       a.source_type, d.service, d.is_admin, d.is_full_wildcard, d.is_service_wildcard, d.is_privesc,
       d.is_sensitive, i.name AS identity_name, i.kind AS identity_kind, i.enabled AS identity_enabled
FROM policy_attachment a
JOIN policy_grant d ON d.scope = a.scope AND d.document_id = a.document_id
JOIN identity i ON i.id = a.identity_id
WHERE i.removed_at IS NULL AND a.source_type NOT IN ('boundary', 'scp');

-- What AWS principals can effectively do (nhi_cli/iam, refreshed before rules run): kind
-- 'admin', 'escalation' (one row per method, with its target, enabling actions and source
-- statements) and 'assume' (one row per role the principal can assume), each 'certain' or
-- 'conditional' (depends on conditions nhi cannot decide statically).
CREATE VIEW v_effective_permissions AS
SELECT e.*, i.name AS identity_name, i.kind AS identity_kind, i.enabled AS identity_enabled,
       i.is_platform AS identity_is_platform
FROM effective_permission e JOIN identity i ON i.id = e.identity_id
WHERE i.removed_at IS NULL;

CREATE VIEW v_trusts AS
SELECT t.*, i.name AS identity_name, i.kind AS identity_kind, i.enabled AS identity_enabled
FROM trust t JOIN identity i ON i.id = t.identity_id
WHERE i.removed_at IS NULL;

CREATE VIEW v_credential_locations AS
SELECT l.*, k.kind AS credential_kind, k.identity_id
FROM credential_location l LEFT JOIN credential k ON k.id = l.credential_id;

-- Every place a credential was seen outside its provider, resolved to the provider's own
-- credential when the agents step linked the sighting (credential_link).
CREATE VIEW v_credential_copies AS
SELECT COALESCE(cl.target_id, l.credential_id) AS credential_id, l.credential_id AS sighting_id,
       l.location, CASE WHEN instr(l.location, '#') > 0 THEN substr(l.location, 1, instr(l.location, '#') - 1)
                        ELSE l.location END AS file,
       l.context, l.provider AS found_by, cl.method AS link_method
FROM credential_location l LEFT JOIN credential_link cl ON cl.sighting_id = l.credential_id;

CREATE VIEW v_people AS
SELECT lower(id) AS id, name, lower(email) AS email, active, source FROM person;

-- Agents (built by nhi_cli/agents at every scan).
CREATE VIEW v_agents AS
SELECT a.*,
       (SELECT COUNT(*) FROM agent_member m WHERE m.agent_name = a.name AND m.member_type = 'identity') AS identities,
       (SELECT COUNT(DISTINCT m.provider) FROM agent_member m WHERE m.agent_name = a.name) AS providers
FROM agent a;

CREATE VIEW v_agent_identities AS
SELECT m.agent_name, m.member_id AS identity_id, m.provider, m.confidence, m.evidence,
       i.kind AS identity_kind, i.name AS identity_name
FROM agent_member m JOIN identity i ON i.id = m.member_id
WHERE m.member_type = 'identity' AND i.removed_at IS NULL;

-- Every credential an agent holds: its identities' own credentials and its credential members.
CREATE VIEW v_agent_credentials AS
SELECT m.agent_name, k.id AS credential_id, k.identity_id, k.provider, k.kind, k.status, 'identity' AS via
FROM agent_member m JOIN credential k ON k.identity_id = m.member_id AND k.removed_at IS NULL
WHERE m.member_type = 'identity'
UNION
SELECT m.agent_name, k.id, k.identity_id, k.provider, k.kind, k.status, 'credential'
FROM agent_member m JOIN credential k ON k.id = m.member_id AND k.removed_at IS NULL
WHERE m.member_type = 'credential';

-- Identities classified as AI agents, with the evidence; delegation rules read this view. The
-- two pattern joins are driven from the `agents:` patterns of nhi.yaml (usually a handful,
-- often none) instead of from every identity and every credential.
CREATE VIEW v_rule_agents AS
SELECT i.id AS identity_id, p.agent_name, 'config: ' || p.pattern AS evidence
FROM rule_agent_pattern p CROSS JOIN identity i ON i.id GLOB p.pattern OR i.name GLOB p.pattern
WHERE p.kind = 'identity' AND i.removed_at IS NULL
UNION
SELECT k.identity_id, p.agent_name, 'config credential: ' || p.pattern
FROM rule_agent_pattern p CROSS JOIN credential k ON k.id GLOB p.pattern
WHERE p.kind = 'credential' AND k.removed_at IS NULL
UNION
SELECT i.id, CASE WHEN lower(CAST(j.value AS TEXT)) IN ('', 'true', 'yes', '1') THEN i.name
                  ELSE CAST(j.value AS TEXT) END, 'tag: ' || j.key
FROM identity i, json_each(i.tags) j
WHERE i.removed_at IS NULL AND i.tags LIKE '%agent%'
  AND lower(j.key) IN ('nhi:agent', 'agent', 'ai-agent', 'nhi-agent')
  AND lower(CAST(j.value AS TEXT)) NOT IN ('false', 'no', '0')
UNION
SELECT t.identity_id, t.identity_name, 'trusted by agent platform: ' || t.principal
FROM v_trusts t
WHERE t.principal_type = 'service'
  AND (t.principal IN ('bedrock.amazonaws.com', 'bedrock-agentcore.amazonaws.com')
       OR t.principal LIKE '%@gcp-sa-aiplatform%.iam.gserviceaccount.com'
       OR t.principal LIKE '%@gcp-sa-aiplatform-re.iam.gserviceaccount.com')
UNION
-- the agents model: strong evidence only
SELECT identity_id, agent_name, 'agents: ' || agent_name FROM v_agent_identities WHERE confidence = 'high';

-- Kubernetes workload identity: a service account -> the cloud identity it becomes (trusts the
-- kubernetes connector records from eks.amazonaws.com/role-arn, EKS Pod Identity associations,
-- iam.gke.io/gcp-service-account and azure.workload.identity/client-id). ``target`` is what the annotation names; the cloud
-- identity is the inventory row it resolves to (an AWS role ARN and a GCP service account
-- e-mail are identity ids; an Azure client id is the app_id of the application, service
-- principal or managed identity), NULL when that cloud is not in the inventory.
CREATE VIEW v_workload_identity_links AS
SELECT t.principal AS service_account_id, sa.name AS service_account_name, t.scope AS cluster,
       CASE t.action WHEN 'sts:AssumeRoleWithWebIdentity' THEN 'aws_irsa'
                     WHEN 'eks-auth:AssumeRoleForPodIdentity' THEN 'aws_pod_identity'
                     WHEN 'iam.serviceAccounts.getAccessToken' THEN 'gcp_workload_identity'
                     ELSE 'azure_workload_identity' END AS link_type,
       t.identity_id AS target, c.id AS cloud_identity_id, c.provider AS cloud_provider,
       c.name AS cloud_identity_name, c.kind AS cloud_identity_kind
FROM trust t
JOIN identity sa ON sa.id = t.principal AND sa.removed_at IS NULL
LEFT JOIN identity c ON c.id = t.identity_id AND c.removed_at IS NULL
WHERE t.principal_type = 'k8s_service_account' AND t.action <> 'azure:federated_token_exchange'
UNION ALL
SELECT t.principal, sa.name, t.scope, 'azure_workload_identity', t.identity_id, c.id, c.provider, c.name, c.kind
FROM trust t
JOIN identity sa ON sa.id = t.principal AND sa.removed_at IS NULL
LEFT JOIN identity c ON c.provider = 'azure' AND c.removed_at IS NULL AND c.attrs LIKE '%' || t.identity_id || '%'
     AND json_extract(c.attrs, '$.app_id') = t.identity_id
WHERE t.principal_type = 'k8s_service_account' AND t.action = 'azure:federated_token_exchange';
