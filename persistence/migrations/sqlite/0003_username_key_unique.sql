-- username_key, filled by 0002, is now what makes a username unique, and the NOCASE index
-- goes. A writer must set username_key = persistence.UsernameKey(username) along with username.
--
-- SQLite cannot add NOT NULL to an existing column, so the table is rebuilt
-- (https://www.sqlite.org/lang_altertable.html#otheralter), keeping every id and the
-- AUTOINCREMENT high-water mark (ids are never reused, not even a deleted user's).
CREATE TABLE users_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT    NOT NULL CHECK (username <> ''),
    username_key  TEXT    NOT NULL CHECK (username_key <> ''),
    email         TEXT    NOT NULL DEFAULT '',
    password_hash TEXT    NOT NULL,
    is_online     INTEGER NOT NULL DEFAULT 0 CHECK (is_online IN (0, 1)),
    last_seen     INTEGER,
    date_joined   INTEGER NOT NULL,
    is_staff      INTEGER NOT NULL DEFAULT 0 CHECK (is_staff IN (0, 1))
);

INSERT INTO users_new (id, username, username_key, email, password_hash, is_online, last_seen, date_joined, is_staff)
    SELECT id, username, username_key, email, password_hash, is_online, last_seen, date_joined, is_staff FROM users;

-- DROP TABLE deletes the table's sqlite_sequence row and RENAME renames it: hand the old
-- row to the new table first.
DELETE FROM sqlite_sequence WHERE name = 'users_new';
UPDATE sqlite_sequence SET name = 'users_new' WHERE name = 'users';

DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

CREATE UNIQUE INDEX users_username_key_key ON users (username_key);

-- MarkAllOffline touches only the online rows.
CREATE INDEX users_online_idx ON users (id) WHERE is_online = 1;
