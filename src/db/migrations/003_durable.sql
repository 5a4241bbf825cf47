-- The durable pipeline's parked entries: accepted decisions that must never be confirmed nor
-- retried (they collide with a stored record, or PostgreSQL refuses their data), kept for an
-- operator with their reason. Entity ids and entries are bytes: they may hold what text cannot.
CREATE TABLE parked_entries (
  id          bigserial PRIMARY KEY,
  capability  text NOT NULL,
  entity_id   bytea NOT NULL,
  log_id      text NOT NULL,
  entry       bytea NOT NULL,
  reason      text NOT NULL,
  parked_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (capability, entity_id, log_id)
);

-- User ids follow the API's rule here too (the last line of defence): no control characters,
-- 1 to 128 characters.
ALTER TABLE claims ADD CONSTRAINT claims_user_id_form CHECK (user_id ~ '{{USER_ID_PATTERN}}');
