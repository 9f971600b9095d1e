-- The Marketplace app's install lifecycle (issue #25): a tenant is a location that installed
-- the app or that an operator added, never one that merely sent a webhook.
--
-- tenants.status: 'live' (added by an operator with `leadmem tenant add`, or made live by an
--   operator once its settings were done: every tenant before this migration is live),
--   'installed' (INSTALL webhook: installed from the GHL Marketplace, AI off until it is made
--   live; its deliveries are remembered, nothing is sent or written back), 'uninstalled'
--   (UNINSTALL webhook: nothing is sent or written back, its GHL tokens are deleted, its
--   deliveries are kept out of the pipeline, and its data is purged after
--   LEADMEM_UNINSTALL_PURGE_DAYS, its consent ledger kept).
-- tenants.company_id: the GHL agency (company) that installed it, when an INSTALL said.
-- tenants.installed_at / uninstalled_at: GHL's time of the INSTALL / UNINSTALL applied last
--   (a late retry older than the other one changes nothing; see workers/tenants/lifecycle.py).
-- tenants.purged_at: when retention deleted the data of the uninstalled tenant.
ALTER TABLE tenants
    ADD COLUMN status          text NOT NULL DEFAULT 'live'
        CONSTRAINT tenants_status CHECK (status IN ('installed', 'live', 'uninstalled')),
    ADD COLUMN company_id      text,
    ADD COLUMN installed_at    timestamptz,
    ADD COLUMN uninstalled_at  timestamptz,
    ADD COLUMN purged_at       timestamptz;

CREATE INDEX tenants_company ON tenants (company_id) WHERE company_id IS NOT NULL;
CREATE INDEX tenants_to_purge ON tenants (uninstalled_at)
    WHERE status = 'uninstalled' AND purged_at IS NULL;

-- An agency-level UNINSTALL names only its company. The workers' role sees one tenant per
-- transaction, so the company's locations are found the way outbound_due_replies (0005)
-- finds held replies: a SECURITY DEFINER function running as the schema owner (which FORCE
-- ROW LEVEL SECURITY binds too), a SELECT-only policy for the owner on the rows with a
-- company, and nothing returned but location ids. Each location is then uninstalled inside
-- its own tenant transaction.
CREATE POLICY install_company_scan ON tenants FOR SELECT TO CURRENT_USER
    USING (company_id IS NOT NULL);

CREATE FUNCTION tenant_company_locations(p_company text)
RETURNS TABLE (tenant_id text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
    SELECT t.id FROM tenants t
     WHERE t.company_id = p_company AND p_company <> ''
     ORDER BY t.id
$$;

-- The uninstalled tenants whose data is due for purging (uninstalled longer ago than the
-- window, not purged yet): keys only. Each one's rows are then deleted inside its own tenant
-- transactions, under its own policy (workers/db/retention.py), its consent ledger kept.
CREATE POLICY retention_uninstalled ON tenants FOR SELECT TO CURRENT_USER
    USING (status = 'uninstalled');

CREATE FUNCTION retention_uninstalled_tenants(p_older_than interval)
RETURNS TABLE (tenant_id text, uninstalled_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    IF p_older_than IS NULL OR p_older_than < interval '1 day' THEN
        RAISE EXCEPTION 'retention: a window of % is below the floor of 1 day', p_older_than
            USING ERRCODE = '22023';
    END IF;
    RETURN QUERY
        SELECT t.id, t.uninstalled_at FROM tenants t
         WHERE t.status = 'uninstalled' AND t.purged_at IS NULL
           AND t.uninstalled_at < now() - p_older_than
         ORDER BY t.uninstalled_at;
END
$$;
