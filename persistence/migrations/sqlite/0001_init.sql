-- Times are INTEGER microseconds since the Unix epoch, UTC (PostgreSQL's resolution,
-- so both backends round-trip the same values exactly).
-- Booleans are INTEGER 0/1.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT, -- AUTOINCREMENT: ids are never reused
    username      TEXT    NOT NULL CHECK (username <> ''),
    email         TEXT    NOT NULL DEFAULT '',
    password_hash TEXT    NOT NULL,
    is_online     INTEGER NOT NULL DEFAULT 0 CHECK (is_online IN (0, 1)),
    last_seen     INTEGER,
    date_joined   INTEGER NOT NULL,
    is_staff      INTEGER NOT NULL DEFAULT 0 CHECK (is_staff IN (0, 1))
);

-- NOCASE folds ASCII letters only; the HTTP layer case-folds usernames (Unicode)
-- before they reach the store, so this index is the last line, not the first.
CREATE UNIQUE INDEX users_username_nocase_key ON users (username COLLATE NOCASE);

-- MarkAllOffline touches only the online rows.
CREATE INDEX users_online_idx ON users (id) WHERE is_online = 1;

CREATE TABLE revoked_tokens (
    jti        TEXT    NOT NULL PRIMARY KEY,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX revoked_tokens_expires_at_idx ON revoked_tokens (expires_at);
