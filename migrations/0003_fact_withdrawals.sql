-- A fact version whose value is NULL records that the lead withdrew the field (a dropped
-- must-have, an opt-out lifted by START): history keeps the withdrawal, not a gap.
ALTER TABLE lead_facts ALTER COLUMN value DROP NOT NULL;
