package persistence

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

const sqliteScheme = "sqlite://"

// Open connects to the database named by dsn, applies pending migrations and returns
// a ready Store. The scheme picks the backend:
//
//	sqlite://PATH                  SQLite file at PATH: sqlite://./data/presenced.db is
//	                               ./data/presenced.db, sqlite:///var/lib/p.db is /var/lib/p.db
//	postgres://… or postgresql://… PostgreSQL, in pgx's URL form (query parameters such as
//	                               sslmode, pool_max_conns or search_path pass through)
//
// The SQLite path is taken literally: no percent-decoding, no "~" expansion, no query
// parameters, no ":memory:" (the store keeps separate reader and writer connections,
// which would each see their own empty in-memory database).
//
// A nil logger discards. Errors never contain a PostgreSQL password.
func Open(ctx context.Context, dsn string, logger *slog.Logger) (Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	scheme, _, found := strings.Cut(dsn, "://")
	if !found {
		// Do not echo dsn: a key=value PostgreSQL DSN may hold a password.
		return nil, errors.New("open database: DSN has no scheme; want sqlite://PATH or postgres://…")
	}
	switch strings.ToLower(scheme) {
	case "sqlite":
		path, err := parseSQLiteDSN(dsn)
		if err != nil {
			return nil, err
		}
		s, err := OpenSQLite(ctx, path, logger)
		if err != nil {
			return nil, err // not s: a typed nil would make a non-nil Store
		}
		return s, nil
	case "postgres", "postgresql":
		s, err := OpenPostgres(ctx, dsn, logger)
		if err != nil {
			return nil, err
		}
		return s, nil
	default:
		return nil, fmt.Errorf("open database: unsupported DSN scheme %q; want sqlite://PATH or postgres://…", scheme)
	}
}

// SQLitePath reports the file a sqlite:// DSN points at, as Open would use it, so the
// caller can keep other files beside the database. ok is false for any other scheme or
// an invalid SQLite DSN.
func SQLitePath(dsn string) (path string, ok bool) {
	p, err := parseSQLiteDSN(dsn)
	if err != nil {
		return "", false
	}
	return p, true
}

func parseSQLiteDSN(dsn string) (string, error) {
	if len(dsn) < len(sqliteScheme) || !strings.EqualFold(dsn[:len(sqliteScheme)], sqliteScheme) {
		return "", errors.New("open sqlite: DSN does not start with sqlite://")
	}
	path := dsn[len(sqliteScheme):]
	switch {
	case path == "":
		return "", errors.New("open sqlite: empty path; want sqlite://PATH, e.g. sqlite://./data/presenced.db")
	case strings.ContainsRune(path, '?'):
		return "", fmt.Errorf("open sqlite %s: query parameters are not supported (the store sets its own pragmas)", path)
	case path == ":memory:" || strings.HasPrefix(path, "file:"):
		return "", fmt.Errorf("open sqlite %s: want a file path (in-memory and URI databases are not supported)", path)
	}
	return path, nil
}
