-- First-come claims of limited stock.

CREATE TABLE partners (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  key_hash    bytea NOT NULL UNIQUE,          -- SHA-256 of the API key; the key itself is never stored
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);

CREATE TABLE campaigns (
  id                text COLLATE "C" PRIMARY KEY CHECK (id ~ '{{ID_PATTERN}}'),
  stock             integer NOT NULL CHECK (stock >= 0),
  per_user_limit    integer NOT NULL DEFAULT 1 CHECK (per_user_limit >= 1),
  opens_at          timestamptz,
  closes_at         timestamptz,
  daily_opens_at    text CHECK (daily_opens_at ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
  daily_closes_at   text CHECK (daily_closes_at ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
  daily_time_zone   text,
  daily_quota       integer NOT NULL DEFAULT 0 CHECK (daily_quota >= 0),   -- 0: no daily quota
  room_id           text REFERENCES rooms (id),
  webhook_url       text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  CHECK (closes_at IS NULL OR opens_at IS NULL OR closes_at > opens_at),
  CHECK ((daily_opens_at IS NULL) = (daily_quota = 0) AND (daily_opens_at IS NULL) = (daily_time_zone IS NULL))
);

-- One row per successful claim. The constraints are the last line of defence against oversell,
-- whatever happens upstream. Each row carries its campaign's limits, a statement-level trigger
-- proves they are the campaign's real ones (one join per INSERT, not one lookup per row as a
-- foreign key would: bulk inserts stay fast), and plain CHECKs enforce them row by row: seq is
-- unique per campaign and within 1..stock, a user holds at most per_user_limit claims, and a daily
-- campaign grants at most daily_quota per day. Campaigns are never deleted.
CREATE TABLE claims (
  -- COLLATE "C": ids compare byte-wise, which keeps the indexes cheap to maintain
  campaign_id     text COLLATE "C" NOT NULL,
  seq             integer NOT NULL CHECK (seq >= 1),
  user_id         text COLLATE "C" NOT NULL,
  user_claim_no   integer NOT NULL CHECK (user_claim_no >= 1),
  claim_id        text NOT NULL,                -- public id, derived from (campaign, seq); looked up by seq
  day             date,
  day_seq         integer,
  stock           integer NOT NULL,
  per_user_limit  integer NOT NULL,
  daily_quota     integer NOT NULL,
  status          text NOT NULL DEFAULT 'confirmed' CHECK (status IN ('confirmed')),
  claimed_at      timestamptz NOT NULL,
  persisted_at    timestamptz NOT NULL DEFAULT now(),
  redeemed_at     timestamptz,
  PRIMARY KEY (campaign_id, seq),
  UNIQUE (campaign_id, user_id, user_claim_no),
  CHECK (seq <= stock),
  CHECK (user_claim_no <= per_user_limit),
  CHECK (daily_quota = 0 OR (day IS NOT NULL AND day_seq BETWEEN 1 AND daily_quota))
);
-- (campaign_id, user_id, ...) lookups use the UNIQUE index above. Only daily campaigns pay for
-- this one.
CREATE UNIQUE INDEX claims_day_seq ON claims (campaign_id, day, day_seq) WHERE day IS NOT NULL;

CREATE FUNCTION claims_carry_their_campaign_limits() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (
    SELECT 1 FROM new_claims n LEFT JOIN campaigns c ON c.id = n.campaign_id
     WHERE c.id IS NULL OR (n.stock, n.per_user_limit, n.daily_quota) <> (c.stock, c.per_user_limit, c.daily_quota)
  ) THEN
    RAISE EXCEPTION 'claims must carry their campaign''s limits' USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER claims_carry_their_campaign_limits AFTER INSERT ON claims
  REFERENCING NEW TABLE AS new_claims FOR EACH STATEMENT EXECUTE FUNCTION claims_carry_their_campaign_limits();

-- Side effects of confirmed claims, written in the same transaction as the claims themselves and
-- delivered by a background loop (at least once, with an idempotency key).
CREATE TABLE outbox (
  id               bigserial PRIMARY KEY,
  topic            text NOT NULL,
  url              text NOT NULL,
  idempotency_key  text NOT NULL UNIQUE,
  payload          jsonb NOT NULL,
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  delivered_at     timestamptz,
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE delivered_at IS NULL;
