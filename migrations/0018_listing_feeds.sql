-- The agency's own listings (issue #27): replicated from its MLS over the RESO Web API, or
-- imported from a CSV with RESO field names. Owner: workers/listings/.
--
-- listing_feeds: per tenant, its RESO Web API feed: the base URL (the OData service root,
--   e.g. https://api.mlsgrid.com/v2), how it authenticates (`bearer`: a token; or
--   `client_credentials`: an OAuth2 client at token_url), the secrets encrypted with
--   LEADMEM_MASTER_KEY (never stored in clear, never taken from argv), an optional $filter,
--   the page size and the vendor's rate limit; the replication watermark (the last
--   ModificationTimestamp committed, with the ListingKeys already applied at that instant as
--   the tie-breaker: the next query asks `ModificationTimestamp ge <watermark>` and skips
--   those keys, whatever order the server sorts keys in) committed per page with the page's
--   rows, so a crash resumes where it stopped; the requests made today (the vendor's daily
--   limit, counted across processes); the claim of the sync under way (`sync_claim`, a lease:
--   one sync per tenant at a time, the periodic loop's or an operator's); the last sync and
--   key reconciliation and their outcome (`last_sync_detail`: counts per outcome, pages,
--   requests, seconds, the first invalid records).
-- listings.source: manual (inserted by an operator or the demo) | feed | csv. A feed's
--   Withdrawn / Expired / Canceled / Delete removes the row; Closed moves it to
--   comparable_sales. status: active | coming_soon | active_under_contract | pending
--   (recommendations read active only). listing_id / sale_id: the RESO ListingKey;
--   mls_number: its ListingId (the number agents quote); the RESO field each column comes
--   from is the one table of workers/listings/reso.py.
CREATE TABLE listing_feeds (
    tenant_id            text PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    base_url             text NOT NULL,
    auth                 text NOT NULL CHECK (auth IN ('bearer', 'client_credentials')),
    token_enc            bytea,
    client_id            text,
    client_secret_enc    bytea,
    token_url            text,
    filter               text,
    page_size            integer NOT NULL DEFAULT 200 CHECK (page_size BETWEEN 1 AND 5000),
    rate_per_s           double precision NOT NULL DEFAULT 2 CHECK (rate_per_s > 0),
    daily_limit          integer NOT NULL DEFAULT 40000 CHECK (daily_limit > 0),
    watermark            timestamptz,
    watermark_keys       text[] NOT NULL DEFAULT '{}',
    requests_day         date,
    requests_today       integer NOT NULL DEFAULT 0,
    sync_claim           text,
    sync_claimed_at      timestamptz,
    last_sync_at         timestamptz,
    last_sync_outcome    text,
    last_sync_error      text,
    last_sync_records    integer,
    last_sync_detail     jsonb NOT NULL DEFAULT '{}'::jsonb,
    last_reconciled_at   timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE listing_feeds ENABLE ROW LEVEL SECURITY;
ALTER TABLE listing_feeds FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON listing_feeds
    USING (tenant_id = current_setting('app.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('app.tenant_id', true));

ALTER TABLE listings
    ADD COLUMN source            text NOT NULL DEFAULT 'manual'
                                 CHECK (source IN ('manual', 'feed', 'csv')),
    ADD COLUMN property_sub_type text,
    ADD COLUMN living_area       integer,
    ADD COLUMN photo_url         text,
    ADD COLUMN modified_at       timestamptz,
    ADD COLUMN synced_at         timestamptz,
    ADD COLUMN mls_number        text,
    ADD COLUMN postal_code       text;
ALTER TABLE listings ADD CONSTRAINT listings_status
    CHECK (status IN ('active', 'coming_soon', 'active_under_contract', 'pending'));

ALTER TABLE comparable_sales
    ADD COLUMN source            text NOT NULL DEFAULT 'manual'
                                 CHECK (source IN ('manual', 'feed', 'csv')),
    ADD COLUMN bathrooms         numeric(3, 1),
    ADD COLUMN modified_at       timestamptz,
    ADD COLUMN postal_code       text;

-- The periodic sync (workers/listings/sync.py) must find the feeds due of every tenant, but
-- the workers' role sees one tenant per transaction: as in 0016 (timers_due), this function
-- runs as the schema owner, a SELECT-only policy lets the owner see the feeds, and it returns
-- tenant ids only; each feed is then claimed in its tenant's transaction.
CREATE POLICY listing_feeds_due_scan ON listing_feeds FOR SELECT TO CURRENT_USER USING (true);

CREATE FUNCTION listing_feeds_due(p_now timestamptz, p_interval_s double precision,
                                  p_lease_s double precision, p_limit integer)
RETURNS TABLE (tenant_id text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
    SELECT f.tenant_id FROM listing_feeds f
     WHERE (f.last_sync_at IS NULL
            OR f.last_sync_at <= p_now - make_interval(secs => p_interval_s))
       AND (f.sync_claim IS NULL
            OR f.sync_claimed_at <= p_now - make_interval(secs => p_lease_s))
     ORDER BY f.last_sync_at NULLS FIRST, f.tenant_id
     LIMIT p_limit
$$;

-- The responder's reads (workers/responder/store.py): a lead's candidate listings are the
-- active ones in its areas (names and aliases, case-insensitive) within its price bounds,
-- and a seller's talking point the latest sales of the last six months in its areas, or
-- in all of them when it named none. area_key is the area compared case-insensitively: a
-- stored column, because under row-level security a condition on lower(area) cannot be an
-- index condition (lower is not leakproof), while area_key = $n can. The area index on
-- sales is replaced by its case-insensitive form.
ALTER TABLE listings ADD COLUMN area_key text GENERATED ALWAYS AS (lower(area)) STORED;
ALTER TABLE comparable_sales ADD COLUMN area_key text GENERATED ALWAYS AS (lower(area)) STORED;
CREATE INDEX listings_active_area ON listings (tenant_id, area_key, price)
    WHERE status = 'active';
DROP INDEX comparable_sales_area;
CREATE INDEX comparable_sales_area ON comparable_sales (tenant_id, area_key, sold_at DESC);
CREATE INDEX comparable_sales_recent ON comparable_sales (tenant_id, sold_at DESC);
