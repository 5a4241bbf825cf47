-- Signing keys for access tokens: every instance signs with the newest active key; retired keys stay
-- published in the JWKS until every token they signed has expired.
CREATE TABLE signing_keys (
  kid          text PRIMARY KEY,
  algorithm    text NOT NULL,
  private_jwk  jsonb NOT NULL,
  public_jwk   jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  retired_at   timestamptz
);

-- Shared secrets (HMAC key of ticket ids), created once so every instance agrees on them.
CREATE TABLE secrets (
  name        text PRIMARY KEY,
  value       bytea NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Waiting rooms: the record of their configuration. Live queue state lives in Redis.
CREATE TABLE rooms (
  id                     text PRIMARY KEY CHECK (id ~ '{{ID_PATTERN}}'),
  admit_per_second       double precision NOT NULL CHECK (admit_per_second > 0),
  max_active             integer NOT NULL CHECK (max_active > 0),
  session_seconds        integer NOT NULL CHECK (session_seconds > 0),
  max_extensions         integer NOT NULL DEFAULT 0 CHECK (max_extensions >= 0),
  arrival_seconds        integer NOT NULL CHECK (arrival_seconds > 0),
  abandon_after_seconds  integer CHECK (abandon_after_seconds > 0),
  opens_at               timestamptz,
  prequeue               text NOT NULL DEFAULT 'fifo' CHECK (prequeue IN ('fifo', 'shuffle')),
  shuffle_seed           text NOT NULL,
  target_url             text,
  paused                 boolean NOT NULL DEFAULT false,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now()
);
