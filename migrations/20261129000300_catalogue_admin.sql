-- Retiring catalogue items and units: kept with their progress and evidence,
-- hidden from new work, visible in history.
ALTER TABLE areas ADD COLUMN retired_at TEXT;
ALTER TABLE indicators ADD COLUMN retired_at TEXT;
ALTER TABLE action_steps ADD COLUMN retired_at TEXT;
ALTER TABLE units ADD COLUMN retired_at TEXT;
