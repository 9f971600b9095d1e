-- Retention: the ledgers that gain a row per event are pruned by age; messages only where a
-- tenant asks for it.
--
-- `processed_events` (every consumer's idempotency ledger), `webhook_receipts` (ingestion's
-- dedupe of deliveries) and `dlq_replays` (what `leadmem dlq replay` re-published) were never
-- pruned. `leadmem prune` and the metrics worker (every LEADMEM_RETENTION_INTERVAL_S) delete
-- their rows older than a window (LEADMEM_RETENTION_*_DAYS, see workers/settings.py) in
-- small batches: each batch is one short statement that locks only the old rows it deletes
-- (`FOR UPDATE SKIP LOCKED`, so two pruners never wait on each other) and commits at once, so
-- writers, which only ever add new rows, never wait behind a prune (measured on 10 million
-- rows: docs/performance.md, "Retention").
--
-- Across tenants, as the workers' role, the way outbound_due_replies (0005) scans held
-- replies: the deletes run in SECURITY DEFINER functions as the schema owner, which FORCE ROW
-- LEVEL SECURITY binds too. Policies for the owner alone let it see, lock (never change) and
-- delete only rows older than a hard floor of one day, and the functions return counts and
-- a timestamp, never rows. So the workers' role gains no visibility of another tenant's rows,
-- and no caller can make a function delete a row younger than the floor (a shorter window is
-- refused).

-- A tenant's messages are kept for ever unless this says how many days (the tenant's own
-- choice; pruned by the same jobs, inside the tenant's own transactions).
ALTER TABLE tenant_settings ADD COLUMN message_retention_days integer
    CONSTRAINT tenant_settings_message_retention CHECK (message_retention_days >= 1);
COMMENT ON COLUMN tenant_settings.message_retention_days IS
    'Days a message is kept (by occurred_at); NULL keeps every message.';

-- The prune's scan: oldest first, from where the previous batch stopped. (webhook_receipts
-- has webhook_receipts_received since 0001.)
CREATE INDEX processed_events_processed_at ON processed_events (processed_at);
CREATE INDEX dlq_replays_replayed_at ON dlq_replays (replayed_at);

DO $$
DECLARE
    t text[];
BEGIN
    FOREACH t SLICE 1 IN ARRAY ARRAY[['processed_events', 'processed_at'],
                                     ['webhook_receipts', 'received_at'],
                                     ['dlq_replays', 'replayed_at']]
    LOOP
        EXECUTE format('CREATE POLICY retention_read ON %I FOR SELECT TO CURRENT_USER '
                       'USING (%I < now() - interval ''1 day'')', t[1], t[2]);
        EXECUTE format('CREATE POLICY retention_lock ON %I FOR UPDATE TO CURRENT_USER '
                       'USING (%I < now() - interval ''1 day'') WITH CHECK (false)', t[1], t[2]);
        EXECUTE format('CREATE POLICY retention_delete ON %I FOR DELETE TO CURRENT_USER '
                       'USING (%I < now() - interval ''1 day'')', t[1], t[2]);
    END LOOP;
END $$;

-- The column each pruned table ages by; NULL for any other table.
CREATE FUNCTION retention_column(p_table text) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = public, pg_temp
AS $$
    SELECT CASE p_table WHEN 'processed_events' THEN 'processed_at'
                        WHEN 'webhook_receipts' THEN 'received_at'
                        WHEN 'dlq_replays' THEN 'replayed_at' END
$$;

-- One batch: deletes up to p_limit rows of p_table older than p_older_than whose time is at
-- or after p_after (where the previous batch stopped; '-infinity' at first), oldest first.
-- Returns how many went and the time of the newest of them (the next batch's p_after), so a
-- run never rescans the index entries of rows it already deleted.
CREATE FUNCTION retention_prune(p_table text, p_older_than interval, p_after timestamptz,
                                p_limit integer)
RETURNS TABLE (deleted integer, last_at timestamptz)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_column text := retention_column(p_table);
BEGIN
    IF v_column IS NULL THEN
        RAISE EXCEPTION 'retention: % is not a pruned table', p_table USING ERRCODE = '22023';
    END IF;
    IF p_older_than IS NULL OR p_older_than < interval '1 day' THEN
        RAISE EXCEPTION 'retention: a window of % is below the floor of 1 day', p_older_than
            USING ERRCODE = '22023';
    END IF;
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 100000 THEN
        RAISE EXCEPTION 'retention: a batch of % rows is not within 1..100000', p_limit
            USING ERRCODE = '22023';
    END IF;
    RETURN QUERY EXECUTE format(
        'WITH gone AS (
             DELETE FROM %1$I WHERE ctid = ANY (ARRAY(
                 SELECT ctid FROM %1$I WHERE %2$I >= $1 AND %2$I < now() - $2
                  ORDER BY %2$I LIMIT $3 FOR UPDATE SKIP LOCKED))
             RETURNING %2$I AS at)
         SELECT count(*)::integer, max(at) FROM gone', p_table, v_column)
        USING coalesce(p_after, '-infinity'::timestamptz), p_older_than, p_limit;
END
$$;

-- How many rows of p_table are older than p_older_than (`leadmem prune --dry-run`).
CREATE FUNCTION retention_expired(p_table text, p_older_than interval)
RETURNS bigint
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_column text := retention_column(p_table);
    v_count bigint;
BEGIN
    IF v_column IS NULL THEN
        RAISE EXCEPTION 'retention: % is not a pruned table', p_table USING ERRCODE = '22023';
    END IF;
    IF p_older_than IS NULL OR p_older_than < interval '1 day' THEN
        RAISE EXCEPTION 'retention: a window of % is below the floor of 1 day', p_older_than
            USING ERRCODE = '22023';
    END IF;
    EXECUTE format('SELECT count(*) FROM %1$I WHERE %2$I < now() - $1', p_table, v_column)
        INTO v_count USING p_older_than;
    RETURN v_count;
END
$$;

-- The tenants whose messages have a retention, and its days: keys only. Each tenant's old
-- messages are then deleted inside that tenant's own transaction, under its own policy.
CREATE POLICY retention_tenants ON tenant_settings FOR SELECT TO CURRENT_USER
    USING (message_retention_days IS NOT NULL);

CREATE FUNCTION retention_message_tenants()
RETURNS TABLE (tenant_id text, retention_days integer)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
    SELECT s.tenant_id, s.message_retention_days
      FROM tenant_settings s
     WHERE s.message_retention_days IS NOT NULL
     ORDER BY s.tenant_id
$$;
