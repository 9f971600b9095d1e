-- CRM write-back: what the pipeline knows, where agents work (GHL tasks, one living note
-- per contact, score tags, mapped custom fields).
--
-- tenant_settings.crm_*: each write-back switched on/off per tenant, the score tag names, the
--   profile field -> GHL custom field id map, and the user a task goes to when the contact
--   has no owner.
-- crm_contacts: what was last written per contact (the living note's id and time, the score
--   tag set, the custom field values written), so a write happens only on a change.
-- crm_writes: the at-most-once ledger of the calls GHL cannot dedupe (a task, a note's
--   creation): claimed 'sending' before the call, 'done' with GHL's id after; a crash between
--   the call and the commit leaves 'sending', never repeated (no duplicate task or note).
ALTER TABLE tenant_settings
    ADD COLUMN crm_tasks         boolean NOT NULL DEFAULT true,
    ADD COLUMN crm_notes         boolean NOT NULL DEFAULT true,
    ADD COLUMN crm_tags          boolean NOT NULL DEFAULT true,
    ADD COLUMN crm_fields        boolean NOT NULL DEFAULT true,
    ADD COLUMN crm_tag_names     jsonb NOT NULL
        DEFAULT '{"hot": "hot-lead", "warm": "warm-lead", "cold": "cold-lead"}',
    ADD COLUMN crm_custom_fields jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN crm_default_user  text;

CREATE TABLE crm_contacts (
    tenant_id        text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    contact_id       text NOT NULL,
    note_id          text,
    note_updated_at  timestamptz,
    score_tag        text,
    fields           jsonb NOT NULL DEFAULT '{}',
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, contact_id)
);

CREATE TABLE crm_writes (
    tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    intent_key  text NOT NULL,
    contact_id  text NOT NULL,
    kind        text NOT NULL,
    status      text NOT NULL CHECK (status IN ('sending', 'done', 'failed')),
    ghl_id      text,
    error       text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, intent_key)
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['crm_contacts', 'crm_writes']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I '
            'USING (tenant_id = current_setting(''app.tenant_id'', true)) '
            'WITH CHECK (tenant_id = current_setting(''app.tenant_id'', true))', t);
    END LOOP;
END $$;
