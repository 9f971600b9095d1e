-- Responder: the tenant's listings and recent comparable sales (for recommendations and
-- seller talking points), and what the replies table needs to re-publish a reply exactly.

CREATE TABLE listings (
    tenant_id      text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    listing_id     text NOT NULL,
    address        text NOT NULL DEFAULT '',
    area           text,
    price          integer NOT NULL,
    bedrooms       integer,
    bathrooms      numeric(3, 1),
    property_type  text,
    features       text[] NOT NULL DEFAULT '{}',
    url            text,
    status         text NOT NULL DEFAULT 'active',
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, listing_id)
);
CREATE INDEX listings_active ON listings (tenant_id, status, price);

CREATE TABLE comparable_sales (
    tenant_id      text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    sale_id        text NOT NULL,
    address        text NOT NULL DEFAULT '',
    area           text,
    sold_price     integer NOT NULL,
    sold_at        date NOT NULL,
    bedrooms       integer,
    sqft           integer,
    property_type  text,
    PRIMARY KEY (tenant_id, sale_id)
);
CREATE INDEX comparable_sales_area ON comparable_sales (tenant_id, area, sold_at DESC);

-- `published`: the exact events a reply produced, re-published on redelivery.
-- `suppressed_reason`: why nothing was sent (opted_out, dnd, human_takeover, ...).
-- `claude_outcome`: ok, or why the deterministic fallback answered instead.
ALTER TABLE replies
    ADD COLUMN published          jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN suppressed_reason  text,
    ADD COLUMN claude_outcome     text;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['listings', 'comparable_sales']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I '
            'USING (tenant_id = current_setting(''app.tenant_id'', true)) '
            'WITH CHECK (tenant_id = current_setting(''app.tenant_id'', true))', t);
    END LOOP;
END $$;
