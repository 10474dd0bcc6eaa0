package persistence

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PostgresStore keeps the data in PostgreSQL through a pgx pool. Several presenced
// nodes may share one database.
type PostgresStore struct {
	pool   *pgxpool.Pool
	target string // user@host:port/database, for errors and logs; never the password
	logger *slog.Logger
}

var _ Store = (*PostgresStore)(nil)

// migrationLockKey names the advisory lock that serialises migrations across processes
// sharing a database. Any fixed number works; this one is "presence" in ASCII.
const migrationLockKey int64 = 0x70726573656e6365

// OpenPostgres connects with a postgres:// or postgresql:// URL (pgx syntax: sslmode,
// pool_max_conns, search_path… as query parameters) and migrates the database.
func OpenPostgres(ctx context.Context, dsn string, logger *slog.Logger) (*PostgresStore, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg, err := pgxpool.ParseConfig(dsn) // its errors redact the password
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "presenced"
	}
	cc := cfg.ConnConfig
	s := &PostgresStore{
		target: fmt.Sprintf("%s@%s:%d/%s", cc.User, cc.Host, cc.Port, cc.Database),
		logger: logger,
	}
	if s.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, fmt.Errorf("open postgres %s: %w", s.target, err)
	}
	if err := s.pool.Ping(ctx); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("open postgres %s: %w", s.target, err)
	}
	known, err := loadMigrations(migrationFiles, postgresMigrations)
	if err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("open postgres %s: %w", s.target, err)
	}
	if err := s.migrate(ctx, known); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("open postgres %s: %w", s.target, err)
	}
	return s, nil
}

// postgresSteps are the Go parts of migrations, by version (see migrate.go).
var postgresSteps = map[int]func(ctx context.Context, tx pgx.Tx) error{
	2: postgresFillUsernameKeys,
}

// migrate applies the migrations of known that the database lacks, all in one transaction.
func (s *PostgresStore) migrate(ctx context.Context, known []migration) error {
	applied := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Held until the transaction ends: a second process blocks here, then finds
		// everything applied. Taken before CREATE TABLE IF NOT EXISTS, which is not safe
		// against itself run concurrently.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLockKey); err != nil {
			return fmt.Errorf("migrate: lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
		)`); err != nil {
			return fmt.Errorf("migrate: create schema_migrations: %w", err)
		}
		rows, _ := tx.Query(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
		versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
		if err != nil {
			return fmt.Errorf("migrate: read schema_migrations: %w", err)
		}
		todo, unknown := planMigrations(known, versions)
		if len(unknown) > 0 {
			s.logger.Warn("database has migrations this binary does not know; was it migrated by a newer presenced?",
				"backend", "postgres", "versions", unknown)
		}
		for _, m := range todo {
			// No arguments: pgx uses the simple protocol, which runs a multi-statement file.
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("migrate %s: %w", m.name, err)
			}
			if step := postgresSteps[m.version]; step != nil {
				if err := step(ctx, tx); err != nil {
					return fmt.Errorf("migrate %s: %w", m.name, err)
				}
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, m.version); err != nil {
				return fmt.Errorf("migrate %s: record version: %w", m.name, err)
			}
		}
		applied = len(todo)
		return nil
	})
	if err != nil {
		return err
	}
	s.logger.Info("database ready", "backend", "postgres", "target", s.target,
		"schema_version", known[len(known)-1].version, "migrations_applied", applied)
	return nil
}

// postgresFillUsernameKeys is migration 2's Go step: it sets every user's username_key,
// or fails naming the users whose keys clash.
func postgresFillUsernameKeys(ctx context.Context, tx pgx.Tx) error {
	rows, _ := tx.Query(ctx, `SELECT id, username FROM users ORDER BY id`)
	users, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (keyedUser, error) {
		var u keyedUser
		err := r.Scan(&u.id, &u.username)
		return u, err
	})
	if err != nil {
		return fmt.Errorf("read usernames: %w", err)
	}
	if err := usernameKeys(users); err != nil {
		return err
	}
	ids := make([]int64, len(users))
	keys := make([]string, len(users))
	for i, u := range users {
		ids[i], keys[i] = u.id, u.key
	}
	// One statement for every user.
	if _, err := tx.Exec(ctx, `UPDATE users SET username_key = k.key
		FROM unnest($1::bigint[], $2::text[]) AS k(id, key) WHERE users.id = k.id`, ids, keys); err != nil {
		return fmt.Errorf("set username keys: %w", err)
	}
	return nil
}

// appliedMigrations maps version to applied_at; the conformance suite uses it to check
// that reopening applies nothing.
func (s *PostgresStore) appliedMigrations(ctx context.Context) (map[int]time.Time, error) {
	rows, err := s.pool.Query(ctx, `SELECT version, applied_at FROM schema_migrations`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int]time.Time{}
	for rows.Next() {
		var (
			v  int
			at time.Time
		)
		if err := rows.Scan(&v, &at); err != nil {
			return nil, err
		}
		out[v] = at.UTC()
	}
	return out, rows.Err()
}

// Ping implements Store.
func (s *PostgresStore) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres %s: %w", s.target, err)
	}
	return nil
}

// Close implements Store; it waits for acquired connections to be released.
func (s *PostgresStore) Close() error {
	s.pool.Close()
	return nil
}

// isPGUnique reports a unique_violation.
func isPGUnique(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505"
}
