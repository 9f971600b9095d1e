-- The consent ledger: consent is recorded, not re-derived.
--
-- consent_events: append-only, per tenant, contact, channel and address. Each row is one
--   thing that happened to a lead's consent (opted out, resubscribed, unsure, cleared, DND on
--   or off), with its source (the lead's message, GHL's DND, an agent, an operator) and when
--   it happened. The send-time claim folds a lead's rows into its current state
--   (`workers.consent_ledger`); nothing reads consent from message history. Rows are never
--   deleted by the workers' role and never updated, except that forgetting a contact detaches
--   its rows from the contact id while adding the keyed hashes (HMAC) of its addresses, so the
--   same phone or email coming back as a new contact is still suppressed. Retention does not
--   touch this table.
-- contacts.address_hashes: the keyed hashes of the contact's E.164 phone and normalised
--   email, kept by the memory worker; the claim matches ledger rows by them.
-- contacts.ghl_changed_at: the GHL change time of the contact state applied last, so a late
--   retry or a DLQ replay of an older webhook never overwrites a newer state.
-- inbound_marks: the newest inbound message of each contact that ingestion accepted, so the
--   claim sees a message (a STOP) still on its way through the pipeline.
CREATE TABLE consent_events (
    tenant_id    text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    entry_id     text NOT NULL,
    contact_id   text,
    addresses    text[] NOT NULL DEFAULT '{}',
    channel      text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('opted_out', 'resubscribed', 'unsure',
                                               'cleared', 'dnd_on', 'dnd_off')),
    source       text NOT NULL CHECK (source IN ('lead_message', 'ghl', 'agent', 'operator')),
    source_ref   text,
    note         text NOT NULL DEFAULT '',
    occurred_at  timestamptz NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, entry_id)
);
CREATE INDEX consent_events_contact ON consent_events (tenant_id, contact_id, occurred_at);
CREATE INDEX consent_events_addresses ON consent_events USING gin (addresses);

-- Append-only, enforced by the database: an update may only detach a row from its contact
-- (contact_id to NULL) while keeping or adding address hashes.
CREATE FUNCTION consent_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.contact_id IS NOT NULL
       OR NOT (NEW.addresses @> OLD.addresses)
       OR (NEW.tenant_id, NEW.entry_id, NEW.channel, NEW.kind, NEW.source,
           NEW.occurred_at, NEW.recorded_at)
          IS DISTINCT FROM (OLD.tenant_id, OLD.entry_id, OLD.channel, OLD.kind, OLD.source,
                            OLD.occurred_at, OLD.recorded_at) THEN
        RAISE EXCEPTION 'consent_events is append-only (only forgetting detaches a row)';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER consent_events_append_only BEFORE UPDATE ON consent_events
    FOR EACH ROW EXECUTE FUNCTION consent_events_append_only();

ALTER TABLE contacts
    ADD COLUMN address_hashes  text[] NOT NULL DEFAULT '{}',
    ADD COLUMN ghl_changed_at  timestamptz;

CREATE TABLE inbound_marks (
    tenant_id    text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    contact_id   text NOT NULL,
    event_id     text NOT NULL,
    message_id   text,
    occurred_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, contact_id)
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['consent_events', 'inbound_marks']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I '
            'USING (tenant_id = current_setting(''app.tenant_id'', true)) '
            'WITH CHECK (tenant_id = current_setting(''app.tenant_id'', true))', t);
    END LOOP;
END $$;

-- The opt-outs the old code only derived from messages, recorded once so that retention
-- cannot lift them: every contact flagged opted out, by the CRM or the learned profile.
ALTER TABLE consent_events NO FORCE ROW LEVEL SECURITY;
ALTER TABLE contacts NO FORCE ROW LEVEL SECURITY;
ALTER TABLE lead_profiles NO FORCE ROW LEVEL SECURITY;
INSERT INTO consent_events (tenant_id, entry_id, contact_id, channel, kind, source,
                            note, occurred_at)
SELECT c.tenant_id, 'migrated:' || c.contact_id, c.contact_id, 'all', 'opted_out', 'operator',
       'recorded by migration 0012 from the contact or its learned profile',
       coalesce(c.opted_out_at, c.updated_at)
  FROM contacts c
  LEFT JOIN lead_profiles p ON p.tenant_id = c.tenant_id AND p.contact_id = c.contact_id
 WHERE c.opted_out OR coalesce(p.profile->>'opted_out' = 'true', false)
ON CONFLICT DO NOTHING;
-- And GHL's DND as the contacts hold it: the global flag and each channel set active or
-- permanent.
INSERT INTO consent_events (tenant_id, entry_id, contact_id, channel, kind, source, note,
                            occurred_at)
SELECT c.tenant_id, 'migrated:' || c.contact_id || ':dnd:' || d.scope, c.contact_id, d.scope,
       'dnd_on', 'ghl', 'recorded by migration 0012 from the contact', c.updated_at
  FROM contacts c
 CROSS JOIN LATERAL (
        SELECT 'all' AS scope WHERE c.dnd
        UNION ALL
        SELECT lower(k) FROM jsonb_each_text(c.dnd_channels) AS ch(k, v)
         WHERE jsonb_typeof(c.dnd_channels) = 'object' AND lower(v) IN ('active', 'permanent')
       ) d
ON CONFLICT DO NOTHING;
ALTER TABLE consent_events FORCE ROW LEVEL SECURITY;
ALTER TABLE contacts FORCE ROW LEVEL SECURITY;
ALTER TABLE lead_profiles FORCE ROW LEVEL SECURITY;
