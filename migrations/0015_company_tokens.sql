-- GHL agency (Company) installs of the Marketplace app (issue #25): the agency's OAuth tokens,
-- and the locations it approved, whose access tokens are minted with the agency's token
-- (POST /oauth/locationToken: no refresh token of their own). Owned by
-- workers/ghl/token_store.py; every token encrypted with LEADMEM_MASTER_KEY (Fernet).
--
-- ghl_company_tokens: one row per agency, like ghl_oauth_tokens per location: the refresh
--   token to spend next (single-use, rotated on every refresh), the last access token and its
--   expiry, `version` bumped by every write (a refresh stores its rotated token only if the
--   version is still the one it read). Who may read it: only a transaction that names the
--   company (`TenantDatabase.company_transaction`, which sets app.company_id); a tenant's
--   transaction sees no agency's tokens at all, and one agency's none of another's.
-- ghl_company_locations: per location (tenant, under its row-level security), the agency
--   whose token mints its access token, and the last minted one with its expiry (so a
--   restarted or second replica uses it instead of minting again). A location with tokens of
--   its own (ghl_oauth_tokens) uses those; this row is read only when it has none.
CREATE TABLE ghl_company_tokens (
    company_id         text PRIMARY KEY,
    refresh_token_enc  bytea NOT NULL,
    access_token_enc   bytea,
    access_expires_at  timestamptz,
    version            bigint NOT NULL DEFAULT 1,
    updated_by         text NOT NULL DEFAULT 'install',
    updated_at         timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE ghl_company_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE ghl_company_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY company_isolation ON ghl_company_tokens
    USING (company_id = current_setting('app.company_id', true))
    WITH CHECK (company_id = current_setting('app.company_id', true));

CREATE TABLE ghl_company_locations (
    tenant_id          text PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    company_id         text NOT NULL,
    access_token_enc   bytea,
    access_expires_at  timestamptz,
    linked_at          timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE ghl_company_locations ENABLE ROW LEVEL SECURITY;
ALTER TABLE ghl_company_locations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ghl_company_locations
    USING (tenant_id = current_setting('app.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('app.tenant_id', true));
