-- Rooms and campaigns are archived when their event is over: closed to new entries and claims,
-- hidden from the default lists, their data kept.
ALTER TABLE rooms ADD COLUMN archived_at timestamptz;
ALTER TABLE campaigns ADD COLUMN archived_at timestamptz;
