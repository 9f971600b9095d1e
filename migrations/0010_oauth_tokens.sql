-- GHL OAuth tokens per location (tenant), encrypted with the deployment's master key
-- (LEADMEM_MASTER_KEY, Fernet; see workers/secrets.py). GHL refresh tokens are single-use:
-- every refresh answers with the next one, which must outlive the process that received it.
--
-- refresh_token_enc: the refresh token to spend next (never stored in clear).
-- access_token_enc / access_expires_at: the access token it last bought, so a restarted or
--   second replica uses it instead of spending the refresh token again (NULL: refresh first).
-- version: bumped by every write; a refresh stores its rotated token only if the version is
--   still the one it read (compare-and-set), so two replicas refreshing at once cannot
--   overwrite the newer token with an older one.
-- updated_by: who wrote the row last: 'settings' (seeded from LEADMEM_GHL_REFRESH_TOKENS),
--   'operator' (`leadmem tenant config --ghl-refresh-token-stdin`) or 'refresh'.
CREATE TABLE ghl_oauth_tokens (
    tenant_id          text PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    refresh_token_enc  bytea NOT NULL,
    access_token_enc   bytea,
    access_expires_at  timestamptz,
    version            bigint NOT NULL DEFAULT 1,
    updated_by         text NOT NULL DEFAULT 'operator',
    updated_at         timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE ghl_oauth_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE ghl_oauth_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ghl_oauth_tokens
    USING (tenant_id = current_setting('app.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('app.tenant_id', true));
