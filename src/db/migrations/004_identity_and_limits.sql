-- Rooms verify the identity tokens a site signs for its users with a secret of their own (shown
-- to the operator at creation and on rotation). Rooms that existed before get one here.
ALTER TABLE rooms ADD COLUMN identity_secret text;
UPDATE rooms SET identity_secret = replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '');
ALTER TABLE rooms ALTER COLUMN identity_secret SET NOT NULL;

-- Per-client token buckets of public entries (rooms) and browser claims (campaigns). Both NULL:
-- no per-client limit (the behaviour of rooms and campaigns created before this existed).
ALTER TABLE rooms ADD COLUMN client_rate_per_second integer CHECK (client_rate_per_second > 0),
                  ADD COLUMN client_burst integer CHECK (client_burst > 0),
                  ADD CHECK ((client_rate_per_second IS NULL) = (client_burst IS NULL));
ALTER TABLE campaigns ADD COLUMN client_rate_per_second integer CHECK (client_rate_per_second > 0),
                      ADD COLUMN client_burst integer CHECK (client_burst > 0),
                      ADD CHECK ((client_rate_per_second IS NULL) = (client_burst IS NULL));
