-- Seat holds for shows (src/seats/). Venues and shows are the record of their definitions; live
-- seat state (free, held, sold) is in Redis; bookings are here, and this table's unique index is
-- the last line of defence against a seat sold twice, whatever happens upstream.

CREATE TABLE venues (
  id          text COLLATE "C" PRIMARY KEY CHECK (id ~ '{{ID_PATTERN}}'),
  name        text NOT NULL,
  sections    jsonb NOT NULL,                  -- sections -> rows -> seats, as given
  capacity    integer NOT NULL CHECK (capacity BETWEEN 1 AND 100000),
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE shows (
  id                   text COLLATE "C" PRIMARY KEY CHECK (id ~ '{{ID_PATTERN}}'),
  venue_id             text COLLATE "C" NOT NULL REFERENCES venues (id),
  starts_at            timestamptz NOT NULL,
  room_id              text REFERENCES rooms (id),
  sales_open_at        timestamptz,
  sales_close_at       timestamptz NOT NULL,
  hold_seconds         integer NOT NULL CHECK (hold_seconds >= 5),
  max_hold_extensions  integer NOT NULL CHECK (max_hold_extensions >= 0),
  max_seats_per_user   integer NOT NULL CHECK (max_seats_per_user >= 1),
  webhook_url          text,
  created_at           timestamptz NOT NULL DEFAULT now(),
  CHECK (sales_open_at IS NULL OR sales_close_at > sales_open_at)
);

-- One row per confirmed hold. A hold is booked at most once.
CREATE TABLE bookings (
  booking_id       text COLLATE "C" PRIMARY KEY,
  show_id          text COLLATE "C" NOT NULL REFERENCES shows (id),
  hold_id          text COLLATE "C" NOT NULL,
  user_id          text COLLATE "C" NOT NULL CHECK (user_id ~ '{{USER_ID_PATTERN}}'),
  partner_id       text,                       -- the partner that booked it, null for a room token's user or an operator
  confirmed_by     text NOT NULL,              -- the Idempotency-Key's scope: "u:<userId>", "p:<partnerId>" or "a:"
  idempotency_key  text NOT NULL,
  seats            text[] NOT NULL CHECK (cardinality(seats) >= 1),
  late             boolean NOT NULL DEFAULT false,   -- confirmed after its hold expired (its seats were still free)
  status           text NOT NULL DEFAULT 'confirmed' CHECK (status IN ('confirmed', 'cancelled')),
  confirmed_at     timestamptz NOT NULL,
  persisted_at     timestamptz NOT NULL DEFAULT now(),
  cancelled_at     timestamptz,
  UNIQUE (show_id, hold_id),
  CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL))
);

-- The seats of bookings. A seat is in at most one live booking of a show: the partial unique
-- index refuses a second one (the durable pipeline then parks that entry, never confirming it).
-- No foreign key to bookings: both are written by the same statement (a key would cost a lookup
-- per seat on the hot path).
CREATE TABLE booking_seats (
  show_id      text COLLATE "C" NOT NULL,
  seat_id      text COLLATE "C" NOT NULL,
  booking_id   text COLLATE "C" NOT NULL,
  released_at  timestamptz
);
CREATE UNIQUE INDEX booking_seats_live ON booking_seats (show_id, seat_id) WHERE released_at IS NULL;
CREATE INDEX booking_seats_booking ON booking_seats (booking_id);
