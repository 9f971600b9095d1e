-- Outbound connector: the claim that makes each reply go out at most once, and the scan
-- that finds held replies (quiet hours) once they are due.
--
-- replies.status: drafted -> sending -> sent | failed, or drafted -> held -> drafted (due)
-- -> sending ...; a claim is released to drafted only when GHL provably did not take the
-- message (429, 5xx, connection refused, no token).

ALTER TABLE replies
    ADD COLUMN IF NOT EXISTS ghl_conversation_id  text,
    ADD COLUMN IF NOT EXISTS send_error           text,
    ADD COLUMN IF NOT EXISTS send_attempts        integer NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS claimed_at           timestamptz;

CREATE INDEX IF NOT EXISTS replies_held_due ON replies (send_after) WHERE status = 'held';

-- The scheduler must find due held replies of every tenant, but the workers' role sees one
-- tenant per transaction. This function runs as the schema owner (which FORCE ROW LEVEL
-- SECURITY binds too) and a SELECT-only policy for the owner lets it see held rows; it
-- returns nothing but (tenant, key) pairs, and the scheduler then reads and changes each
-- reply inside that tenant's own transaction. The workers' role gains no other visibility.
CREATE POLICY outbound_held_scan ON replies FOR SELECT TO CURRENT_USER
    USING (status = 'held');

CREATE FUNCTION outbound_due_replies(p_limit integer)
RETURNS TABLE (tenant_id text, idempotency_key text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
    SELECT r.tenant_id, r.idempotency_key
      FROM replies r
     WHERE r.status = 'held' AND r.send_after <= now()
     ORDER BY r.send_after
     LIMIT p_limit
$$;
