-- 0011: indexes that let the built-in rules find their few candidate rows without reading
-- every grant, identity or credential (issue 3, "Rules at scale"). They are partial indexes
-- on the rare flag or value a rule filters on: small, cheap to maintain at load, and their
-- real size is what ANALYZE records, so the planner picks them with or without statistics.
-- No view changes: the documented views keep their columns and definitions.

-- admin_grant, and the NOT EXISTS of privilege_escalation / sensitive_service_wildcard
CREATE INDEX grant_admin ON "grant" (identity_id) WHERE is_admin = 1 OR is_full_wildcard = 1;
-- privilege_escalation
CREATE INDEX grant_privesc ON "grant" (identity_id) WHERE is_privesc = 1;
-- sensitive_service_wildcard
CREATE INDEX grant_service_wildcard ON "grant" (identity_id) WHERE is_service_wildcard = 1;
-- azure_app_permission_tenant_takeover, azure_delegated_consent_all_users
CREATE INDEX grant_app_role ON "grant" (identity_id) WHERE source_type = 'app_role';
CREATE INDEX grant_delegated ON "grant" (identity_id) WHERE source_type = 'delegated';
-- gcp_default_sa_primitive_role
CREATE INDEX grant_primitive_role ON "grant" (identity_id) WHERE action IN ('roles/owner', 'roles/editor');
-- credential_shared_across_locations (duplicate secrets): most credentials have no hash
CREATE INDEX credential_secret_hash_set ON credential (secret_hash) WHERE secret_hash IS NOT NULL;
-- github_app_org_wide_write, gcp_default_sa_primitive_role drive from these identities
CREATE INDEX identity_github_app ON identity (id) WHERE kind = 'github_app_installation';
CREATE INDEX identity_gcp ON identity (id) WHERE provider = 'gcp';
