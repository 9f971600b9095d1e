-- Consent at the moment of sending.
--
-- Quiet hours were stored as `quiet_hours` jsonb {"start", "end"}, which the responder read
-- as a *send* window although `leadmem tenant config --quiet-hours 21:00-08:00` documented
-- it as the quiet one. Two time columns whose names say what they mean replace it, and the
-- stored values keep the meaning the CLI documented: no automated texts from `start` until
-- `end`, local time (a window across midnight when end <= start).
ALTER TABLE tenant_settings
    ADD COLUMN no_texts_from   time,
    ADD COLUMN no_texts_until  time;

-- Forced row-level security binds the owner too: lifted for this one statement (inside the
-- migration's transaction) so that every tenant's row is converted.
ALTER TABLE tenant_settings NO FORCE ROW LEVEL SECURITY;
UPDATE tenant_settings
   SET no_texts_from = (quiet_hours->>'start')::time,
       no_texts_until = (quiet_hours->>'end')::time
 WHERE jsonb_typeof(quiet_hours) = 'object'
   AND quiet_hours->>'start' ~ '^([01]?[0-9]|2[0-3]):[0-5][0-9]$'
   AND quiet_hours->>'end' ~ '^([01]?[0-9]|2[0-3]):[0-5][0-9]$'
   AND (quiet_hours->>'start')::time <> (quiet_hours->>'end')::time;
ALTER TABLE tenant_settings FORCE ROW LEVEL SECURITY;

ALTER TABLE tenant_settings
    DROP COLUMN quiet_hours,
    ADD CONSTRAINT tenant_settings_quiet_window CHECK (
        (no_texts_from IS NULL) = (no_texts_until IS NULL)
        AND (no_texts_from IS NULL OR no_texts_from <> no_texts_until));

COMMENT ON COLUMN tenant_settings.no_texts_from IS
    'Quiet hours start: no automated texts from this time, in the lead''s local time.';
COMMENT ON COLUMN tenant_settings.no_texts_until IS
    'Quiet hours end (across midnight when not after the start); added to the legal window.';

-- A reply the outbound connector blocked at the moment of sending (consent gone, stale):
-- status 'suppressed' with its reason, like a reply the responder never drafted, and when.
ALTER TABLE replies ADD COLUMN blocked_at timestamptz;
