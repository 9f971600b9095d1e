-- Follow-ups and booking (issue #26, items 3 and 4).
--
-- tenant_settings.follow_ups: the tenant's follow-up cadence, in seconds (the CLI takes ISO
--   8601 durations, "PT1H,P1D,P3D"); '{}' (the default): no follow-ups. Step n of a quiet
--   lead's follow-ups is due `follow_ups[n]` (spaced out by the lead's timeline) after the
--   last text it received from us; the lead's message resets the cadence. Owner:
--   workers/tenants/, used by workers/timers/.
-- tenant_settings.calendar_id: the GHL calendar showings and calls are booked on; NULL: the
--   assistant offers no times (it hands the request to the agent).
--
-- booking_offers: the free slots the assistant offered a lead (one open offer per lead), and
--   what came of it. Owner: workers/booking/.
--   state: offered -> booking (a slot chosen; committed BEFORE the appointment is created in
--   GHL, so a crash between the call and the commit is found and reconciled, never booked
--   twice) -> booked (appointment_id) | taken (GHL refused the slot: the next ones are
--   offered in a new offer) | failed (GHL refused the booking otherwise: the agent is asked);
--   offered -> declined | expired | superseded.
-- appointments: the lead's appointments as GHL reports them (AppointmentCreate / Update /
--   Delete webhooks) and as we booked them; the funnel counts them; a cancelled one restarts
--   follow-ups. Owner: workers/booking/.
ALTER TABLE tenant_settings
    ADD COLUMN follow_ups integer[] NOT NULL DEFAULT '{}',
    ADD COLUMN calendar_id text;

CREATE TABLE booking_offers (
    tenant_id       text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    offer_id        text NOT NULL,
    contact_id      text NOT NULL,
    calendar_id     text NOT NULL,
    kind            text NOT NULL DEFAULT 'showing' CHECK (kind IN ('showing', 'call')),
    timezone        text NOT NULL,
    slots           jsonb NOT NULL,          -- ["2026-03-14T10:00:00-05:00", ...], as offered
    state           text NOT NULL DEFAULT 'offered'
                    CHECK (state IN ('offered', 'booking', 'booked', 'taken', 'failed',
                                     'declined', 'expired', 'superseded')),
    chosen_start    timestamptz,
    appointment_id  text,
    message_id      text,                    -- the lead's message that asked (or chose)
    offered_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, offer_id)
);
CREATE UNIQUE INDEX booking_offers_one_open ON booking_offers (tenant_id, contact_id)
    WHERE state IN ('offered', 'booking');

CREATE TABLE appointments (
    tenant_id       text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    appointment_id  text NOT NULL,
    contact_id      text NOT NULL,
    calendar_id     text,
    start_time      timestamptz,
    status          text NOT NULL,           -- GHL's appointmentStatus (confirmed, cancelled...)
    booked_by       text NOT NULL DEFAULT 'ghl' CHECK (booked_by IN ('assistant', 'ghl')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, appointment_id)
);
CREATE INDEX appointments_contact ON appointments (tenant_id, contact_id);
CREATE INDEX appointments_created ON appointments (tenant_id, created_at);

ALTER TABLE booking_offers ENABLE ROW LEVEL SECURITY;
ALTER TABLE booking_offers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON booking_offers
    USING (tenant_id = current_setting('app.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('app.tenant_id', true));

ALTER TABLE appointments ENABLE ROW LEVEL SECURITY;
ALTER TABLE appointments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON appointments
    USING (tenant_id = current_setting('app.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('app.tenant_id', true));

-- A lead has at most one open follow-up: the next step of its cadence.
CREATE UNIQUE INDEX timers_one_follow_up ON timers (tenant_id, contact_id)
    WHERE kind = 'follow_up' AND state IN ('pending', 'firing');
