-- username_key, filled by 0002, is now what makes a username unique. The lower() index
-- goes: it would refuse pairs the key tells apart (lower('İ') = 'i' under most locales,
-- while Unicode case folding keeps them distinct), so both backends refuse the same names.
-- A writer must set username_key = persistence.UsernameKey(username) along with username.
ALTER TABLE users
    ALTER COLUMN username_key SET NOT NULL,
    ADD CONSTRAINT users_username_key_check CHECK (username_key <> '');
CREATE UNIQUE INDEX users_username_key_key ON users (username_key);
DROP INDEX users_username_lower_key;
