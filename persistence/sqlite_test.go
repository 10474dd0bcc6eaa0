package persistence

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func sqliteBackend() backend {
	newDSN := func(t *testing.T) string {
		// A folder that does not exist yet: Open creates it.
		return "sqlite://" + filepath.Join(t.TempDir(), "data", "presenced.db")
	}
	return backend{
		newDSN:        newDSN,
		migrationsDir: sqliteMigrations,
		newLegacyDSN:  newDSN, // NOCASE folds ASCII only
		migrateTo:     sqliteMigrateTo,
		raw:           sqliteRaw,
		insertV1User:  `INSERT INTO users (username, password_hash, date_joined) VALUES ($1, 'x', 0) RETURNING id`,
		schemaQueries: []string{
			`SELECT type, name, coalesce(sql, '') FROM sqlite_schema ORDER BY type, name`,
			`SELECT name, seq FROM sqlite_sequence ORDER BY name`,
		},
	}
}

func sqlitePathOf(t *testing.T, dsn string) string {
	t.Helper()
	path, err := parseSQLiteDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// sqliteMigrateTo is OpenSQLite with the migrations up to version only.
func sqliteMigrateTo(t *testing.T, dsn string, version int) {
	t.Helper()
	path := sqlitePathOf(t, dsn)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	w, err := sql.Open("sqlite", sqliteDSN(path, true))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.SetMaxOpenConns(1)
	s := &SQLiteStore{path: path, writer: w, logger: slog.New(slog.DiscardHandler)}
	if err := s.migrate(t.Context(), migrationsUpTo(t, sqliteMigrations, version)); err != nil {
		t.Fatalf("migrate to version %d: %v", version, err)
	}
}

type sqliteRawDB struct{ db *sql.DB }

func sqliteRaw(t *testing.T, dsn string) rawDB {
	t.Helper()
	db, err := sql.Open("sqlite", sqliteDSN(sqlitePathOf(t, dsn), true))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	return sqliteRawDB{db}
}

func (r sqliteRawDB) exec(t *testing.T, query string, args ...any) error {
	_, err := r.db.ExecContext(t.Context(), query, args...)
	return err
}

func (r sqliteRawDB) lines(t *testing.T, query string, args ...any) []string {
	t.Helper()
	rows, err := r.db.QueryContext(t.Context(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		out = append(out, joinValues(vals))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return out
}

func TestSQLite(t *testing.T) {
	runStoreSuite(t, sqliteBackend())
}

func openSQLiteStore(t *testing.T, path string) *SQLiteStore {
	t.Helper()
	s, err := OpenSQLite(t.Context(), path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestSQLiteFilesArePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "presenced.db")
	s := openSQLiteStore(t, path)
	mustCreate(t, s, "someone") // so the WAL has content
	for p, want := range map[string]os.FileMode{dir: 0o700, path: 0o600, path + "-wal": 0o600, path + "-shm": 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got&^want != 0 {
			t.Errorf("%s mode = %v, want at most %v", p, got, want)
		}
	}
}

func TestSQLitePragmas(t *testing.T) {
	s := openSQLiteStore(t, filepath.Join(t.TempDir(), "p.db"))
	ctx := t.Context()
	want := map[string]string{
		"journal_mode": "wal",
		"busy_timeout": "5000",
		"foreign_keys": "1",
		"synchronous":  "1", // NORMAL
	}
	// Hold several reader connections at once: the pragmas must be on every pooled
	// connection, not only the first.
	conns := map[string]*sql.Conn{}
	for name, db := range map[string]*sql.DB{"writer": s.writer, "reader-0": s.reader, "reader-1": s.reader, "reader-2": s.reader} {
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[name] = c
	}
	for name, c := range conns {
		for pragma, w := range want {
			var got string
			if err := c.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatalf("%s PRAGMA %s: %v", name, pragma, err)
			}
			if !strings.EqualFold(got, w) {
				t.Errorf("%s PRAGMA %s = %s, want %s", name, pragma, got, w)
			}
		}
		var qo string
		if err := c.QueryRowContext(ctx, "PRAGMA query_only").Scan(&qo); err != nil {
			t.Fatal(err)
		}
		if wantQO := map[bool]string{true: "0", false: "1"}[name == "writer"]; qo != wantQO {
			t.Errorf("%s query_only = %s, want %s", name, qo, wantQO)
		}
	}
	if _, err := conns["reader-0"].ExecContext(ctx, `DELETE FROM users`); err == nil {
		t.Error("a reader connection could write")
	}
}

// TestSQLiteTwoStoresOneFile is two processes on one file (the server and
// `presenced createsuperuser`): busy_timeout and BEGIN IMMEDIATE must keep
// SQLITE_BUSY from reaching the caller.
func TestSQLiteTwoStoresOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	stores := []*SQLiteStore{openSQLiteStore(t, path), openSQLiteStore(t, path)}
	var wg sync.WaitGroup
	for i, s := range stores {
		for g := range 4 {
			wg.Go(func() {
				for k := range 25 {
					u, err := s.CreateUser(t.Context(), NewUser{Username: fmt.Sprintf("s%d-g%d-%d", i, g, k), PasswordHash: "x"})
					if err != nil {
						t.Errorf("CreateUser: %v", err)
						return
					}
					if err := s.ApplyPresence(t.Context(), []PresenceChange{
						{UserID: u.ID, Online: true, At: time.Now()}, {UserID: u.ID - 1, Online: false, At: time.Now()},
					}); err != nil {
						t.Errorf("ApplyPresence: %v", err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	for _, s := range stores {
		if _, total, err := s.ListUsers(t.Context(), 0, 1); err != nil || total != 200 {
			t.Errorf("ListUsers total = %d, %v; want 200", total, err)
		}
	}
}

func TestSQLiteOpenErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "plain-file")
	if err := os.WriteFile(file, []byte("this is not a database, but it is long enough to have a header......................................................................"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, wantInErr string
	}{
		{"parent is a file", filepath.Join(file, "x.db"), "open sqlite"},
		{"path is a folder", dir, "open sqlite"},
		{"not a database", file, "open sqlite"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(t.Context(), "sqlite://"+tc.path, nil)
			if err == nil {
				_ = s.Close()
				t.Fatal("Open succeeded")
			}
			if s != nil {
				t.Errorf("Open returned a non-nil Store with its error")
			}
			if !strings.Contains(err.Error(), tc.wantInErr) || !strings.Contains(err.Error(), tc.path) {
				t.Errorf("error %q does not say %q and the path", err, tc.wantInErr)
			}
		})
	}
}

// TestSQLiteWriterQueueHonoursContext: writes queue for the one writer connection in
// Go, so a caller whose context ends stops waiting at once.
func TestSQLiteWriterQueueHonoursContext(t *testing.T) {
	s := openSQLiteStore(t, filepath.Join(t.TempDir(), "q.db"))
	held, err := s.writer.Conn(t.Context()) // the writer is busy elsewhere
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = s.CreateUser(ctx, NewUser{Username: "waiter", PasswordHash: "x"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("CreateUser behind a busy writer: err = %v, want context.DeadlineExceeded", err)
	}
	if waited := time.Since(start); waited > 2*time.Second {
		t.Errorf("CreateUser waited %v after its deadline", waited)
	}
	// Reads do not queue behind the writer.
	if _, _, err := s.ListUsers(t.Context(), 0, 10); err != nil {
		t.Errorf("ListUsers while the writer is held: %v", err)
	}
	_ = held.Close()
	mustCreate(t, s, "after")
}
