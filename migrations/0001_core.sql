-- Core memory model. Every table but `tenants` carries tenant_id; every table holding tenant
-- data has ENABLE + FORCE ROW LEVEL SECURITY and a policy on app.tenant_id.

CREATE TABLE tenants (
    id          text PRIMARY KEY,
    name        text,
    ai_enabled  boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tenant_settings (
    tenant_id           text PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    persona             text,
    instructions        text,
    claude_model        text,
    claude_max_tokens   integer,
    claude_api_key_enc  bytea,
    service_areas       jsonb NOT NULL DEFAULT '[]',
    quiet_hours         jsonb,
    reply_channels      text[] NOT NULL DEFAULT '{sms,email,live_chat,whatsapp,fb,ig,gmb}',
    timezone            text,
    updated_at          timestamptz NOT NULL DEFAULT now()
);

-- Idempotency of every consumer: one row per (consumer, event) in the effect's transaction.
CREATE TABLE processed_events (
    tenant_id     text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    consumer      text NOT NULL,
    event_id      text NOT NULL,
    processed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, consumer, event_id)
);

-- Ingestion's durable dedupe of webhook deliveries (webhookId, or a content hash).
CREATE TABLE webhook_receipts (
    tenant_id    text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    dedupe_key   text NOT NULL,
    event_id     text NOT NULL,
    event_type   text NOT NULL,
    -- The record that claimed the key: its own redelivery re-publishes, another is a duplicate.
    source_partition  integer NOT NULL,
    source_offset     bigint NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, dedupe_key)
);
CREATE INDEX webhook_receipts_received ON webhook_receipts (received_at);

CREATE TABLE contacts (
    tenant_id       text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    contact_id      text NOT NULL,
    first_name      text,
    last_name       text,
    name            text,
    email           text,
    phone           text,
    timezone        text,
    city            text,
    state           text,
    postal_code     text,
    source          text,
    assigned_to     text,
    tags            text[] NOT NULL DEFAULT '{}',
    custom_fields   jsonb NOT NULL DEFAULT '{}',
    dnd             boolean NOT NULL DEFAULT false,
    dnd_channels    jsonb NOT NULL DEFAULT '{}',
    opted_out       boolean NOT NULL DEFAULT false,
    opted_out_at    timestamptz,
    human_takeover  boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, contact_id)
);

CREATE TABLE contact_tag_changes (
    tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    contact_id  text NOT NULL,
    event_id    text NOT NULL,
    added       text[] NOT NULL,
    removed     text[] NOT NULL,
    changed_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, event_id)
);

CREATE TABLE conversations (
    tenant_id        text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    conversation_id  text NOT NULL,
    contact_id       text NOT NULL,
    channel          text,
    human_takeover   boolean NOT NULL DEFAULT false,
    taken_over_by    text,
    last_message_at  timestamptz,
    PRIMARY KEY (tenant_id, conversation_id)
);
CREATE INDEX conversations_contact ON conversations (tenant_id, contact_id);

CREATE TABLE messages (
    tenant_id        text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    event_id         text NOT NULL,
    message_id       text,
    contact_id       text NOT NULL,
    conversation_id  text,
    direction        text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    channel          text NOT NULL,
    sender           text NOT NULL,
    body             text NOT NULL DEFAULT '',
    user_id          text,
    source           text,
    reply_key        text,
    occurred_at      timestamptz NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, event_id)
);
CREATE UNIQUE INDEX messages_ghl_id ON messages (tenant_id, message_id) WHERE message_id IS NOT NULL;
CREATE INDEX messages_contact_time ON messages (tenant_id, contact_id, occurred_at);

-- Opportunities, appointments, notes, tasks: the lead's activity outside the conversation.
CREATE TABLE lead_events (
    tenant_id    text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    event_id     text NOT NULL,
    contact_id   text NOT NULL,
    kind         text NOT NULL,
    ghl_type     text NOT NULL,
    ref_id       text,
    title        text,
    status       text,
    data         jsonb NOT NULL DEFAULT '{}',
    occurred_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, event_id)
);
CREATE INDEX lead_events_contact ON lead_events (tenant_id, contact_id, occurred_at);

-- Preference history: every change of a profile field is a new version.
CREATE TABLE lead_facts (
    id                 bigserial PRIMARY KEY,
    tenant_id          text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    contact_id         text NOT NULL,
    field              text NOT NULL,
    value              jsonb NOT NULL,
    confidence         real NOT NULL DEFAULT 1.0,
    source_message_id  text,
    source_event_id    text,
    valid_from         timestamptz NOT NULL,
    valid_to           timestamptz
);
CREATE UNIQUE INDEX lead_facts_current ON lead_facts (tenant_id, contact_id, field) WHERE valid_to IS NULL;
CREATE INDEX lead_facts_history ON lead_facts (tenant_id, contact_id, field, valid_from);

CREATE TABLE lead_profiles (
    tenant_id       text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    contact_id      text NOT NULL,
    profile         jsonb NOT NULL DEFAULT '{}',
    score           text NOT NULL DEFAULT 'cold',
    score_reasons   jsonb NOT NULL DEFAULT '[]',
    qualification   jsonb NOT NULL DEFAULT '{}',
    next_questions  jsonb NOT NULL DEFAULT '[]',
    signals         jsonb NOT NULL DEFAULT '{}',
    summary         text NOT NULL DEFAULT '',
    version         integer NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, contact_id)
);

CREATE TABLE replies (
    tenant_id            text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    idempotency_key      text NOT NULL,
    event_id             text NOT NULL,
    contact_id           text NOT NULL,
    reply_to_message_id  text,
    channel              text NOT NULL,
    body                 text NOT NULL,
    mode                 text NOT NULL,
    status               text NOT NULL DEFAULT 'drafted',
    ghl_message_id       text,
    model                text,
    input_tokens         integer NOT NULL DEFAULT 0,
    output_tokens        integer NOT NULL DEFAULT 0,
    cache_read_tokens    integer NOT NULL DEFAULT 0,
    cache_write_tokens   integer NOT NULL DEFAULT 0,
    latency_ms           real,
    cost_usd             numeric(12, 6) NOT NULL DEFAULT 0,
    send_after           timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    sent_at              timestamptz,
    PRIMARY KEY (tenant_id, idempotency_key)
);
CREATE INDEX replies_contact ON replies (tenant_id, contact_id, created_at);
CREATE INDEX replies_ghl_id ON replies (tenant_id, ghl_message_id) WHERE ghl_message_id IS NOT NULL;

-- Row-level security on every tenant table (the tenants row itself is the tenant's too).
DO $$
DECLARE t text;
BEGIN
    ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
    ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_isolation ON tenants
        USING (id = current_setting('app.tenant_id', true))
        WITH CHECK (id = current_setting('app.tenant_id', true));
    FOREACH t IN ARRAY ARRAY['tenant_settings', 'processed_events', 'webhook_receipts',
        'contacts', 'contact_tag_changes', 'conversations', 'messages', 'lead_events',
        'lead_facts', 'lead_profiles', 'replies']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I '
            'USING (tenant_id = current_setting(''app.tenant_id'', true)) '
            'WITH CHECK (tenant_id = current_setting(''app.tenant_id'', true))', t);
    END LOOP;
END $$;
