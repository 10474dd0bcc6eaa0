package persistence

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// SQLiteStore is the embedded default: one file, pure Go (modernc.org/sqlite).
//
// SQLite lets one connection write at a time. Rather than have pooled connections race
// for the lock and spin on SQLITE_BUSY, every write goes through writer, a pool of one
// connection, so writers queue in Go (honouring their contexts). Reads go to reader, a
// pool of query_only connections that WAL lets run alongside the writer. busy_timeout
// and BEGIN IMMEDIATE cover another process on the same file (presenced createsuperuser
// while the server runs).
type SQLiteStore struct {
	path   string
	writer *sql.DB
	reader *sql.DB
	logger *slog.Logger
}

var _ Store = (*SQLiteStore)(nil)

// sqliteBusyTimeout is how long a connection waits for another process's lock.
const sqliteBusyTimeout = 5 * time.Second

// OpenSQLite opens (creating if needed) the database file at path and migrates it. The
// folder is created with mode 0700 and a new file with 0600: it holds password hashes.
func OpenSQLite(ctx context.Context, path string, logger *slog.Logger) (*SQLiteStore, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open sqlite %s: create folder: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}

	s := &SQLiteStore{path: path, logger: logger}
	if s.writer, err = sql.Open("sqlite", sqliteDSN(path, true)); err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	s.writer.SetMaxOpenConns(1)
	s.writer.SetMaxIdleConns(1)
	s.writer.SetConnMaxIdleTime(0)
	s.writer.SetConnMaxLifetime(0)

	// Migrate before the readers connect: the writer's first connection turns WAL on.
	known, err := loadMigrations(migrationFiles, sqliteMigrations)
	if err != nil {
		_ = s.writer.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if err := s.migrate(ctx, known); err != nil {
		_ = s.writer.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}

	if s.reader, err = sql.Open("sqlite", sqliteDSN(path, false)); err != nil {
		_ = s.writer.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	readers := max(4, runtime.GOMAXPROCS(0))
	s.reader.SetMaxOpenConns(readers)
	s.reader.SetMaxIdleConns(readers)
	if err := s.Ping(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return s, nil
}

// sqliteDSN sets the pragmas in the DSN, so the driver applies them to every
// connection it opens, not only the first.
func sqliteDSN(path string, write bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", sqliteBusyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "synchronous(NORMAL)") // safe under WAL: a crash loses at most the last commits, never integrity
	if write {
		q.Add("_pragma", "journal_mode(WAL)") // persistent in the file; readers inherit it
		q.Set("_txlock", "immediate")         // take the write lock at BEGIN: no read-to-write upgrade to fail
	} else {
		q.Add("_pragma", "query_only(ON)")
	}
	return path + "?" + q.Encode()
}

// sqliteSteps are the Go parts of migrations, by version (see migrate.go).
var sqliteSteps = map[int]func(ctx context.Context, tx *sql.Tx) error{
	2: sqliteFillUsernameKeys,
}

// migrate applies the migrations of known that the database lacks, all in one transaction.
func (s *SQLiteStore) migrate(ctx context.Context, known []migration) error {
	tx, err := s.writer.BeginTx(ctx, nil) // BEGIN IMMEDIATE: a second process waits here
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer func() { _ = tx.Rollback() }()

	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	applied, err := sqliteVersions(ctx, tx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	todo, unknown := planMigrations(known, applied)
	if len(unknown) > 0 {
		s.logger.Warn("database has migrations this binary does not know; was it migrated by a newer presenced?",
			"backend", "sqlite", "versions", unknown)
	}
	now := storedTime(time.Now()).UnixMicro()
	for _, m := range todo {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("migrate %s: %w", m.name, err)
		}
		if step := sqliteSteps[m.version]; step != nil {
			if err := step(ctx, tx); err != nil {
				return fmt.Errorf("migrate %s: %w", m.name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
			m.version, now); err != nil {
			return fmt.Errorf("migrate %s: record version: %w", m.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	s.logger.Info("database ready", "backend", "sqlite", "path", s.path,
		"schema_version", known[len(known)-1].version, "migrations_applied", len(todo))
	return nil
}

// sqliteFillUsernameKeys is migration 2's Go step: it sets every user's username_key,
// or fails naming the users whose keys clash.
func sqliteFillUsernameKeys(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, username FROM users ORDER BY id`)
	if err != nil {
		return fmt.Errorf("read usernames: %w", err)
	}
	var users []keyedUser
	for rows.Next() {
		var u keyedUser
		if err := rows.Scan(&u.id, &u.username); err != nil {
			rows.Close()
			return fmt.Errorf("read usernames: %w", err)
		}
		users = append(users, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read usernames: %w", err)
	}
	if err := usernameKeys(users); err != nil {
		return err
	}
	stmt, err := tx.PrepareContext(ctx, `UPDATE users SET username_key = ? WHERE id = ?`)
	if err != nil {
		return fmt.Errorf("set username keys: %w", err)
	}
	defer stmt.Close()
	for _, u := range users {
		if _, err := stmt.ExecContext(ctx, u.key, u.id); err != nil {
			return fmt.Errorf("set username key of user %d: %w", u.id, err)
		}
	}
	return nil
}

func sqliteVersions(ctx context.Context, tx *sql.Tx) ([]int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	return vs, nil
}

// appliedMigrations maps version to applied_at; the conformance suite uses it to check
// that reopening applies nothing.
func (s *SQLiteStore) appliedMigrations(ctx context.Context) (map[int]time.Time, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT version, applied_at FROM schema_migrations`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int]time.Time{}
	for rows.Next() {
		var v int
		var at int64
		if err := rows.Scan(&v, &at); err != nil {
			return nil, err
		}
		out[v] = time.UnixMicro(at).UTC()
	}
	return out, rows.Err()
}

// Ping checks that a reader can query and that the writer connection is usable.
func (s *SQLiteStore) Ping(ctx context.Context) error {
	var one int
	if err := s.reader.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("ping sqlite %s: %w", s.path, err)
	}
	if err := s.writer.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite %s: %w", s.path, err)
	}
	return nil
}

// Close closes both pools; it is safe to call more than once.
func (s *SQLiteStore) Close() error {
	var errs []error
	if s.reader != nil {
		errs = append(errs, s.reader.Close())
	}
	errs = append(errs, s.writer.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close sqlite %s: %w", s.path, err)
	}
	return nil
}

// isSQLiteUnique reports a UNIQUE constraint violation.
func isSQLiteUnique(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}
