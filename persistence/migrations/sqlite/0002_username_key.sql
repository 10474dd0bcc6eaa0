-- Usernames become unique without regard to case by a key computed in Go
-- (persistence.UsernameKey: Unicode case folding after NFKC; SQL cannot fold Unicode).
-- This file adds the column; the migration's Go step (sqliteSteps) then fills it for every
-- user, and refuses, changing nothing, when two users' keys are equal. 0003 constrains it.
ALTER TABLE users ADD COLUMN username_key TEXT;
