-- Memory worker: what the working context needs beside the rows of 0001.

ALTER TABLE contacts
    ADD COLUMN summary           text NOT NULL DEFAULT '',
    ADD COLUMN message_count     integer NOT NULL DEFAULT 0,
    ADD COLUMN last_inbound_at   timestamptz,
    ADD COLUMN last_outbound_at  timestamptz,
    ADD COLUMN stage             text;

-- The lead's latest activity first, for the working context and cache warming.
CREATE INDEX contacts_recent ON contacts (tenant_id, last_inbound_at DESC NULLS LAST);

-- What a consumer produced for an event, so a redelivery re-publishes exactly that.
ALTER TABLE processed_events ADD COLUMN result jsonb;
