package persistence

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

const defaultTestPostgres = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

func randomSuffix(t testing.TB) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// postgresTestDB creates a database of its own on the server named by
// PRESENCED_TEST_POSTGRES and drops it when the test ends. It returns the
// database's URL. A server that does not answer fails the test: CI must not
// pass without PostgreSQL.
//
// options follow CREATE DATABASE name (e.g. "TEMPLATE template0 LC_CTYPE 'C'").
func postgresTestDB(t *testing.T, options string) *url.URL {
	t.Helper()
	base := os.Getenv("PRESENCED_TEST_POSTGRES")
	if base == "" {
		base = defaultTestPostgres
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("PRESENCED_TEST_POSTGRES must be a postgres:// URL, e.g. %s", defaultTestPostgres)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("PostgreSQL at %s does not answer: %v\n\n"+
			"The persistence tests run against a real PostgreSQL (they never skip). Either start one:\n"+
			"  docker run -d --name presenced-pg -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:16\n"+
			"  (or: sudo service postgresql start)\n"+
			"or point PRESENCED_TEST_POSTGRES at a server whose user may CREATE DATABASE, e.g.\n"+
			"  PRESENCED_TEST_POSTGRES='%s' go test -race ./persistence/...",
			u.Redacted(), err, defaultTestPostgres)
	}
	defer admin.Close(context.Background())

	name := "presenced_test_" + randomSuffix(t)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" "+options); err != nil {
		t.Fatalf("create test database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	db := *u
	db.Path = "/" + name
	return &db
}

func TestPostgres(t *testing.T) {
	db := postgresTestDB(t, "")

	conn, err := pgxpool.New(t.Context(), db.String()) // a pool: subtests create schemas in parallel
	if err != nil {
		t.Fatalf("connect to the test database: %v", err)
	}
	t.Cleanup(conn.Close)
	var ctype string
	if err := conn.QueryRow(t.Context(), `SELECT current_setting('lc_ctype')`).Scan(&ctype); err != nil {
		t.Fatal(err)
	}
	// Usernames compare by a key computed in Go: the locale must not matter.
	t.Logf("test database %s, lc_ctype %s", strings.TrimPrefix(db.Path, "/"), ctype)

	runStoreSuite(t, backend{
		// A schema per test, reached through search_path: cheaper than a database each.
		newDSN: func(t *testing.T) string {
			schema := "s_" + randomSuffix(t)
			if _, err := conn.Exec(t.Context(), "CREATE SCHEMA "+schema); err != nil {
				t.Fatalf("create schema: %v", err)
			}
			u := *db
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		},
		migrationsDir: postgresMigrations,
		// Under LC_CTYPE C, lower() folds ASCII only: version 1 let "Émile" and "émile" be two users.
		newLegacyDSN: func(t *testing.T) string {
			return postgresTestDB(t, "TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'").String()
		},
		migrateTo:    postgresMigrateTo,
		raw:          postgresRaw,
		insertV1User: `INSERT INTO users (username, password_hash) VALUES ($1, 'x') RETURNING id`,
		schemaQueries: []string{
			`SELECT table_name, column_name, data_type, is_nullable, coalesce(column_default, '')
			 FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`,
			`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname`,
			`SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
			 WHERE connamespace = current_schema()::regnamespace ORDER BY conname`,
		},
	})
}

// postgresMigrateTo is OpenPostgres with the migrations up to version only.
func postgresMigrateTo(t *testing.T, dsn string, version int) {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	s := &PostgresStore{pool: pool, target: "test", logger: slog.New(slog.DiscardHandler)}
	if err := s.migrate(t.Context(), migrationsUpTo(t, postgresMigrations, version)); err != nil {
		t.Fatalf("migrate to version %d: %v", version, err)
	}
}

type postgresRawDB struct{ pool *pgxpool.Pool }

func postgresRaw(t *testing.T, dsn string) rawDB {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return postgresRawDB{pool}
}

func (r postgresRawDB) exec(t *testing.T, query string, args ...any) error {
	_, err := r.pool.Exec(t.Context(), query, args...)
	return err
}

func (r postgresRawDB) lines(t *testing.T, query string, args ...any) []string {
	t.Helper()
	rows, err := r.pool.Query(t.Context(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (string, error) {
		vals, err := row.Values()
		return joinValues(vals), err
	})
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return out
}

func TestPostgresOpenErrors(t *testing.T) {
	tests := []struct{ name, dsn string }{
		{"nothing listens", "postgres://presenced:s3cret-pw@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"},
		{"bad port", "postgres://presenced:s3cret-pw@127.0.0.1:notaport/x"},
		{"bad parameter", "postgresql://presenced:s3cret-pw@127.0.0.1/x?pool_max_conns=many"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			s, err := Open(ctx, tc.dsn, slog.New(slog.DiscardHandler))
			if err == nil {
				_ = s.Close()
				t.Fatal("Open succeeded")
			}
			if s != nil {
				t.Error("Open returned a non-nil Store with its error")
			}
			if strings.Contains(err.Error(), "s3cret-pw") {
				t.Errorf("error leaks the password: %v", err)
			}
			if !strings.Contains(err.Error(), "open postgres") {
				t.Errorf("error %q lacks context", err)
			}
		})
	}
}
