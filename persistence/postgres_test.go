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
func postgresTestDB(t *testing.T) *url.URL {
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
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
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
	db := postgresTestDB(t)

	conn, err := pgxpool.New(t.Context(), db.String()) // a pool: subtests create schemas in parallel
	if err != nil {
		t.Fatalf("connect to the test database: %v", err)
	}
	t.Cleanup(conn.Close)
	// lower() folds beyond ASCII when the database's LC_CTYPE is a UTF-8 locale.
	var fold bool
	var ctype string
	if err := conn.QueryRow(t.Context(), `SELECT lower('ÉΩ') = 'éω', current_setting('lc_ctype')`).Scan(&fold, &ctype); err != nil {
		t.Fatal(err)
	}
	t.Logf("test database %s, lc_ctype %s, unicode case folding %v", strings.TrimPrefix(db.Path, "/"), ctype, fold)

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
		unicodeFold:   fold,
	})
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
