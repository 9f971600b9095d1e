-- The reply check (workers/consent/reply_check.py): what a drafted reply may contain.
--
-- A reply Claude wrote is held for a person (not sent; the agent gets it as an
-- `agent.assist` suggestion) when it contains a phone number or email that is neither the
-- lead's nor the agency's own, a link outside the agency's allowed domains, another
-- contact's name, or a price or commitment the agency did not allow. These columns are what
-- the agency allows (`leadmem tenant config --allowed-domains/--own-phones/--own-emails/
-- --allowed-phrases`); the domains of its listings' links are allowed without being listed.
ALTER TABLE tenant_settings
    ADD COLUMN allowed_link_domains  text[] NOT NULL DEFAULT '{}',
    ADD COLUMN own_phones            text[] NOT NULL DEFAULT '{}',
    ADD COLUMN own_emails            text[] NOT NULL DEFAULT '{}',
    ADD COLUMN allowed_phrases       text[] NOT NULL DEFAULT '{}';

COMMENT ON COLUMN tenant_settings.allowed_link_domains IS
    'Domains (and their subdomains) a drafted reply may link to, beside the listings'' own.';
COMMENT ON COLUMN tenant_settings.own_phones IS
    'The agency''s own phone numbers: a drafted reply may give them.';
COMMENT ON COLUMN tenant_settings.own_emails IS
    'The agency''s own email addresses: a drafted reply may give them.';
COMMENT ON COLUMN tenant_settings.allowed_phrases IS
    'Offers the agency makes itself ("free buyer consultation"): not held as commitments.';

-- The check asks whether a draft names another contact of the tenant: by full name, looked
-- up among the draft's word sequences (`= ANY`), so these lookups use an index.
CREATE INDEX IF NOT EXISTS contacts_full_name
    ON contacts (tenant_id,
                 lower(btrim(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))));
CREATE INDEX IF NOT EXISTS contacts_name
    ON contacts (tenant_id, lower(btrim(name)));
