-- When a lead asked us to wait (workers/consent/timing.py): recorded in the consent ledger
-- like every other word of the lead's about being contacted, never re-read from history.
--
-- paused:  "don't text me until after the holidays", "text me next week": no text of our own
--          initiative until `until` (answers to the lead's messages still go); lifted by
--          `resumed` (the lead re-engaging, or saying we may write again) or a newer pause.
-- resumed: the lead lifted its pause.
-- hours:   the lead's own hours, on its clock ("no texts after 8pm", "not on sundays"), as
--          `workers.consent.quiet.LeadHours` text in `hours`; a newer row replaces it, an
--          empty one lifts it.
ALTER TABLE consent_events
    ADD COLUMN until  timestamptz,
    ADD COLUMN hours  text NOT NULL DEFAULT '';
ALTER TABLE consent_events DROP CONSTRAINT consent_events_kind_check;
ALTER TABLE consent_events ADD CONSTRAINT consent_events_kind_check
    CHECK (kind IN ('opted_out', 'resubscribed', 'unsure', 'cleared', 'dnd_on', 'dnd_off',
                    'paused', 'resumed', 'hours'));
ALTER TABLE consent_events ADD CONSTRAINT consent_events_until_check
    CHECK ((kind = 'paused') = (until IS NOT NULL));

-- Append-only, as before, the new columns included.
CREATE OR REPLACE FUNCTION consent_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.contact_id IS NOT NULL
       OR NOT (NEW.addresses @> OLD.addresses)
       OR (NEW.tenant_id, NEW.entry_id, NEW.channel, NEW.kind, NEW.source,
           NEW.occurred_at, NEW.recorded_at, NEW.until, NEW.hours)
          IS DISTINCT FROM (OLD.tenant_id, OLD.entry_id, OLD.channel, OLD.kind, OLD.source,
                            OLD.occurred_at, OLD.recorded_at, OLD.until, OLD.hours) THEN
        RAISE EXCEPTION 'consent_events is append-only (only forgetting detaches a row)';
    END IF;
    RETURN NEW;
END $$;
