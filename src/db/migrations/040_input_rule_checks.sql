-- The input rules' CHECKs again, in the form PostgreSQL evaluates cheaply (src/input-rules.ts,
-- SQL_CHECKS): the anchored patterns with a bounded repeat that 001-030 wrote cost ~11 µs per row
-- for a user id and ~4 µs for an id, paid by every claim, booking and student inserted (claims:
-- PostgreSQL's CPU per claim 27 µs, 19 without it). Same rules: an id is 1-64 of [A-Za-z0-9_-]; a
-- user id 1-128 characters, none a control character.
ALTER TABLE rooms DROP CONSTRAINT rooms_id_check, ADD CONSTRAINT rooms_id_check CHECK ({{ID_CHECK:id}});
ALTER TABLE campaigns DROP CONSTRAINT campaigns_id_check, ADD CONSTRAINT campaigns_id_check CHECK ({{ID_CHECK:id}});
ALTER TABLE venues DROP CONSTRAINT venues_id_check, ADD CONSTRAINT venues_id_check CHECK ({{ID_CHECK:id}});
ALTER TABLE shows DROP CONSTRAINT shows_id_check, ADD CONSTRAINT shows_id_check CHECK ({{ID_CHECK:id}});
ALTER TABLE terms DROP CONSTRAINT terms_id_check, ADD CONSTRAINT terms_id_check CHECK ({{ID_CHECK:id}});
ALTER TABLE courses DROP CONSTRAINT courses_id_check, ADD CONSTRAINT courses_id_check CHECK ({{ID_CHECK:id}});
ALTER TABLE claims DROP CONSTRAINT claims_user_id_form, ADD CONSTRAINT claims_user_id_form CHECK ({{USER_ID_CHECK:user_id}});
ALTER TABLE bookings DROP CONSTRAINT bookings_user_id_check, ADD CONSTRAINT bookings_user_id_check CHECK ({{USER_ID_CHECK:user_id}});
ALTER TABLE students DROP CONSTRAINT students_id_check, ADD CONSTRAINT students_id_check CHECK ({{USER_ID_CHECK:id}});
ALTER TABLE wallet_accounts DROP CONSTRAINT wallet_accounts_user_id_check, ADD CONSTRAINT wallet_accounts_user_id_check CHECK ({{USER_ID_CHECK:user_id}});
