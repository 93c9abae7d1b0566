-- 0012: indexes for the rules at a million credentials (issue 3, "Rules at scale"). The view
-- definitions this migration once carried live in ../views.sql with the rest of the views.

-- identity_unused asks, for every identity, whether any credential is still present
-- (identity_id = ? AND removed_at IS NULL): with removed_at in the index that is answered from
-- the index alone instead of one random read of the credential table per identity. The new
-- index starts with identity_id, so it serves every lookup credential_identity served.
DROP INDEX credential_identity;
CREATE INDEX credential_identity_live ON credential (identity_id, removed_at);

-- Provider-specific credential rules (Anthropic, Azure, GCP, GitHub, OpenAI) filter on
-- provider = '<name>': a partial index per provider lets them read only that provider's
-- credentials instead of every credential of the inventory (like identity_gcp in 0011).
CREATE INDEX credential_anthropic ON credential (id) WHERE provider = 'anthropic';
CREATE INDEX credential_azure ON credential (id) WHERE provider = 'azure';
CREATE INDEX credential_gcp ON credential (id) WHERE provider = 'gcp';
CREATE INDEX credential_github ON credential (id) WHERE provider = 'github';
CREATE INDEX credential_openai ON credential (id) WHERE provider = 'openai';
-- gcp_sa_impersonable_by_broad_principal reads GCP trusts only.
CREATE INDEX trust_gcp ON trust (identity_id) WHERE provider = 'gcp';
-- nhi_console_password and nhi_password_and_keys start from the console passwords.
CREATE INDEX credential_password ON credential (identity_id) WHERE kind = 'password';
