-- Course registration (src/courses/): terms with their courses and students, the requests of each
-- term in arrival order (seq), and what one decider per term made of them. See docs/courses.md.

CREATE TABLE terms (
  id               text COLLATE "C" PRIMARY KEY CHECK (id ~ '{{ID_PATTERN}}'),
  name             text NOT NULL,
  min_credits      integer NOT NULL DEFAULT 0 CHECK (min_credits >= 0),
  max_credits      integer NOT NULL CHECK (max_credits >= 1),
  room_id          text REFERENCES rooms (id),
  -- priority windows (time tickets): [{"group": "...", "opensAt": "<ISO date-time>"}]
  windows          jsonb NOT NULL DEFAULT '[]',
  closes_at        timestamptz,
  webhook_url      text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  -- bumped by every change of courses or students outside the decisions (bulk definitions)
  catalog_version  bigint NOT NULL DEFAULT 0,
  -- The decider: requests up to decided_seq are decided. Only the holder of the current fence may
  -- move it, in the transaction that writes the decisions (see src/courses/decider.ts); taking the
  -- lease increments the fence, which refuses every write of the previous holder.
  decided_seq      bigint NOT NULL DEFAULT 0 CHECK (decided_seq >= 0),
  fence            bigint NOT NULL DEFAULT 0,
  decider          text,
  lease_until      timestamptz,
  CHECK (min_credits <= max_credits)
);

CREATE TABLE courses (
  term_id        text COLLATE "C" NOT NULL REFERENCES terms (id),
  id             text COLLATE "C" NOT NULL CHECK (id ~ '{{ID_PATTERN}}'),
  title          text NOT NULL,
  credits        integer NOT NULL CHECK (credits BETWEEN 0 AND 100),
  capacity       integer NOT NULL CHECK (capacity >= 0),
  waitlist_size  integer NOT NULL DEFAULT 0 CHECK (waitlist_size >= 0),
  -- the limits the course was created with (capacity changes are decided in order: an audit
  -- replays them from here)
  created_capacity       integer NOT NULL,
  created_waitlist_size  integer NOT NULL,
  meetings       jsonb NOT NULL,
  requires       text[] NOT NULL DEFAULT '{}',
  linked         text[] NOT NULL DEFAULT '{}',
  -- Kept by the triggers below from the rows of enrollments and waitlist_entries: the CHECKs on
  -- them are the last line against over-enrollment, whatever happens upstream.
  enrolled       integer NOT NULL DEFAULT 0,
  waitlisted     integer NOT NULL DEFAULT 0,
  version        bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (term_id, id),
  CONSTRAINT courses_enrolled_within_capacity CHECK (enrolled BETWEEN 0 AND capacity),
  CONSTRAINT courses_waitlisted_within_size CHECK (waitlisted BETWEEN 0 AND waitlist_size)
);

CREATE TABLE students (
  term_id    text COLLATE "C" NOT NULL REFERENCES terms (id),
  id         text COLLATE "C" NOT NULL CHECK (id ~ '{{USER_ID_PATTERN}}'),
  grp        text NOT NULL,
  completed  text[] NOT NULL DEFAULT '{}',
  holds      text[] NOT NULL DEFAULT '{}',
  version    bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (term_id, id)
);
CREATE INDEX students_changed ON students (term_id, version);
CREATE INDEX courses_changed ON courses (term_id, version);

-- Every accepted request (and operator change) of a term, by its place in arrival order. A seq
-- the decider gave up waiting for is written here as 'void' by the decider: the primary key then
-- refuses the late request it stood for, so no seq is ever decided after a later one.
CREATE TABLE course_requests (
  term_id       text COLLATE "C" NOT NULL,
  seq           bigint NOT NULL CHECK (seq >= 1),
  kind          text NOT NULL CHECK (kind IN ('request', 'change', 'refresh', 'void')),
  student_id    text COLLATE "C",
  body          jsonb,
  accepted_at   timestamptz,
  persisted_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (term_id, seq),
  CHECK ((kind = 'request') = (student_id IS NOT NULL)),
  CHECK ((kind = 'void') = (body IS NULL))
);

-- What each request came to; one row per seq: a request is never decided twice.
CREATE TABLE course_decisions (
  term_id     text COLLATE "C" NOT NULL,
  seq         bigint NOT NULL,
  results     jsonb NOT NULL,
  fence       bigint NOT NULL,
  decided_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (term_id, seq)
);

-- One enrollment per (student, course).
CREATE TABLE enrollments (
  term_id      text COLLATE "C" NOT NULL,
  course_id    text COLLATE "C" NOT NULL,
  student_id   text COLLATE "C" NOT NULL,
  seq          bigint NOT NULL,                 -- the decision step that enrolled the student
  promoted     boolean NOT NULL DEFAULT false,  -- from the waitlist
  enrolled_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (term_id, course_id, student_id)
);
CREATE INDEX enrollments_of_student ON enrollments (term_id, student_id);

CREATE TABLE waitlist_entries (
  term_id          text COLLATE "C" NOT NULL,
  course_id        text COLLATE "C" NOT NULL,
  student_id       text COLLATE "C" NOT NULL,
  seq              bigint NOT NULL,             -- the request that put the student here: the order
  skipped_because  text,                        -- why a freed seat last went to someone behind
  PRIMARY KEY (term_id, course_id, student_id),
  UNIQUE (term_id, course_id, seq)
);
CREATE INDEX waitlist_entries_of_student ON waitlist_entries (term_id, student_id);

-- The counters of courses follow the rows, one statement at a time (one UPDATE per statement and
-- course, not per row), and every row must name a course of its term (a foreign key, checked
-- once per statement).
CREATE FUNCTION courses_count_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  sign integer := CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
  expected integer;
  touched integer;
BEGIN
  SELECT count(*) INTO expected FROM (SELECT DISTINCT term_id, course_id FROM changed) d;
  IF TG_TABLE_NAME = 'enrollments' THEN
    UPDATE courses c SET enrolled = c.enrolled + sign * d.n
      FROM (SELECT term_id, course_id, count(*)::int AS n FROM changed GROUP BY 1, 2) d
     WHERE c.term_id = d.term_id AND c.id = d.course_id;
  ELSE
    UPDATE courses c SET waitlisted = c.waitlisted + sign * d.n
      FROM (SELECT term_id, course_id, count(*)::int AS n FROM changed GROUP BY 1, 2) d
     WHERE c.term_id = d.term_id AND c.id = d.course_id;
  END IF;
  GET DIAGNOSTICS touched = ROW_COUNT;
  IF touched <> expected THEN
    RAISE EXCEPTION '% rows must name courses of their term', TG_TABLE_NAME USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER enrollments_counted_in AFTER INSERT ON enrollments
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION courses_count_rows();
CREATE TRIGGER enrollments_counted_out AFTER DELETE ON enrollments
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION courses_count_rows();
CREATE TRIGGER waitlist_entries_counted_in AFTER INSERT ON waitlist_entries
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION courses_count_rows();
CREATE TRIGGER waitlist_entries_counted_out AFTER DELETE ON waitlist_entries
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION courses_count_rows();
