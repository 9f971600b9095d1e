-- Opt-outs reach GHL: when a lead opts out in words, the CRM write-back sets DND in GHL on
-- the channels the opt-out covers and adds this tag to the contact, once per consent ledger
-- entry (claimed in crm_writes), and stops the score tags and custom fields.
--
-- tenant_settings.crm_opted_out_tag: the tag added to a contact that opted out in words
--   (agencies key their own GHL workflows on it); '' adds none.
ALTER TABLE tenant_settings
    ADD COLUMN crm_opted_out_tag text NOT NULL DEFAULT 'opted-out';
