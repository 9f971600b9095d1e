-- Durable timers: what the assistant does by itself at a time (the first touch of a new lead;
-- follow-ups next), kept in Postgres so that any replica fires a due timer, a restart loses
-- none, and the event that changes a lead's timers (its message, a takeover, a booking, an
-- opt-out) cancels or moves them in its own transaction. Owner: workers/timers/.
--
-- timers.state: pending -> firing (claimed by a replica: claimed_at, attempt + 1) -> done;
--   pending | firing -> cancelled (a lead's event); firing -> failed (attempts exhausted).
--   A firing timer whose claim is older than the lease is due again (its replica died): its
--   effect is a reply keyed by the timer id (`timer:<id>`) claimed through workers/replies,
--   so firing it twice sends at most one text.
-- timers.kind: first_touch (one per contact, ever: the unique index) | follow_up.
-- tenant_settings.first_touch_sources: the GHL contact sources whose leads consented to be
--   texted first (compared case-insensitively); '{}' (the default): only leads who wrote
--   first are texted.
CREATE TABLE timers (
    tenant_id    text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    timer_id     text NOT NULL,
    contact_id   text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('first_touch', 'follow_up')),
    due_at       timestamptz NOT NULL,
    state        text NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'firing', 'done', 'cancelled', 'failed')),
    attempt      integer NOT NULL DEFAULT 0,
    claimed_at   timestamptz,
    payload      jsonb NOT NULL DEFAULT '{}'::jsonb,
    causation_id text,
    reason       text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, timer_id)
);
CREATE UNIQUE INDEX timers_one_first_touch ON timers (tenant_id, contact_id)
    WHERE kind = 'first_touch';
CREATE INDEX timers_contact ON timers (tenant_id, contact_id) WHERE state IN ('pending', 'firing');
CREATE INDEX timers_due ON timers (due_at) WHERE state = 'pending';
CREATE INDEX timers_firing ON timers (claimed_at) WHERE state = 'firing';

ALTER TABLE timers ENABLE ROW LEVEL SECURITY;
ALTER TABLE timers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON timers
    USING (tenant_id = current_setting('app.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('app.tenant_id', true));

-- The timer loop must find due timers of every tenant, but the workers' role sees one tenant
-- per transaction: as in 0005 (outbound_due_replies), this function runs as the schema owner,
-- a SELECT-only policy lets the owner see open timers, and it returns (tenant, timer) pairs
-- only; each timer is then claimed (FOR UPDATE SKIP LOCKED) in its tenant's transaction.
CREATE POLICY timers_due_scan ON timers FOR SELECT TO CURRENT_USER
    USING (state IN ('pending', 'firing'));

CREATE FUNCTION timers_due(p_now timestamptz, p_lease_s double precision, p_limit integer)
RETURNS TABLE (tenant_id text, timer_id text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
    SELECT t.tenant_id, t.timer_id FROM (
        SELECT tenant_id, timer_id, due_at AS at FROM timers
         WHERE state = 'pending' AND due_at <= p_now
        UNION ALL
        SELECT tenant_id, timer_id, claimed_at FROM timers
         WHERE state = 'firing' AND claimed_at <= p_now - make_interval(secs => p_lease_s)
    ) t
    ORDER BY t.at
    LIMIT p_limit
$$;

ALTER TABLE tenant_settings
    ADD COLUMN first_touch_sources text[] NOT NULL DEFAULT '{}';
