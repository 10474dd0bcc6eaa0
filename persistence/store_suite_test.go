package persistence

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"
)

// backend describes one Store implementation to the conformance suite.
type backend struct {
	// newDSN returns the DSN of fresh, empty storage (a new file, a new schema).
	// Opening the same DSN again reaches the same data.
	newDSN func(t *testing.T) string
	// migrationsDir holds the backend's embedded migrations.
	migrationsDir string

	// For the migration tests (store_suite_migrate_test.go):

	// newLegacyDSN is newDSN where the first schema's case-insensitive index let
	// "Émile" and "émile" be two users (PostgreSQL: a database whose LC_CTYPE is C).
	newLegacyDSN func(t *testing.T) string
	// migrateTo migrates the storage at dsn up to version only, as an older binary did.
	migrateTo func(t *testing.T, dsn string, version int)
	// raw reaches the storage at dsn in plain SQL, around the Store.
	raw func(t *testing.T, dsn string) rawDB
	// insertV1User inserts a user ($1 the username) as schema version 1 allows, returning its id.
	insertV1User string
	// schemaQueries describe the schema (tables, columns, indexes, constraints), one row a line.
	schemaQueries []string
}

// rawDB is plain SQL on a backend; statements write placeholders as $1, $2… (SQLite
// takes them too).
type rawDB interface {
	exec(t *testing.T, query string, args ...any) error
	// lines returns each row of query as its values joined by "|".
	lines(t *testing.T, query string, args ...any) []string
}

// suiteCase is one conformance test; each runs on its own fresh storage.
type suiteCase struct {
	name string
	run  func(t *testing.T, b backend)
}

// runStoreSuite runs every conformance test against b, in parallel.
func runStoreSuite(t *testing.T, b backend) {
	var cases []suiteCase
	cases = append(cases, userCases...)
	cases = append(cases, presenceCases...)
	cases = append(cases, lifecycleCases...)
	cases = append(cases, migrateCases...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, b)
		})
	}
}

// openStore opens dsn and closes the store when the test ends.
func openStore(t *testing.T, dsn string) Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	s, err := Open(ctx, dsn, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func newStore(t *testing.T, b backend) Store {
	t.Helper()
	return openStore(t, b.newDSN(t))
}

func mustCreate(t *testing.T, s Store, username string) User {
	t.Helper()
	u, err := s.CreateUser(t.Context(), NewUser{Username: username, Email: username + "@example.org", PasswordHash: "hash:" + username})
	if err != nil {
		t.Fatalf("CreateUser(%q): %v", username, err)
	}
	return u
}

func mustUser(t *testing.T, s Store, id int64) User {
	t.Helper()
	u, err := s.UserByID(t.Context(), id)
	if err != nil {
		t.Fatalf("UserByID(%d): %v", id, err)
	}
	return u
}

// checkUTC fails unless tm is in UTC, as the store promises.
func checkUTC(t *testing.T, what string, tm time.Time) {
	t.Helper()
	if tm.Location() != time.UTC {
		t.Errorf("%s location = %v, want UTC", what, tm.Location())
	}
}

// sameUser compares every field, times with Equal, and checks times are UTC.
func sameUser(t *testing.T, got, want User) {
	t.Helper()
	gotSeen, wantSeen := fmtTime(got.LastSeen), fmtTime(want.LastSeen)
	if got.ID != want.ID || got.Username != want.Username || got.Email != want.Email ||
		got.PasswordHash != want.PasswordHash || got.IsOnline != want.IsOnline || got.IsStaff != want.IsStaff ||
		gotSeen != wantSeen || !got.DateJoined.Equal(want.DateJoined) {
		t.Errorf("user mismatch:\n got  %+v (last_seen %s)\n want %+v (last_seen %s)", got, gotSeen, want, wantSeen)
	}
	checkUTC(t, "DateJoined", got.DateJoined)
	if got.LastSeen != nil {
		checkUTC(t, "LastSeen", *got.LastSeen)
	}
}

func fmtTime(tm *time.Time) string {
	if tm == nil {
		return "<nil>"
	}
	return tm.UTC().Format(time.RFC3339Nano)
}

func ids(users []User) []int64 {
	out := make([]int64, len(users))
	for i, u := range users {
		out[i] = u.ID
	}
	return out
}

var userCases = []suiteCase{
	{"CreateAndRead", testCreateAndRead},
	{"NotFound", testNotFound},
	{"DuplicateUsernameAnyCase", testDuplicateUsername},
	{"UnicodeUsernames", testUnicodeUsernames},
	{"SQLLookingUsernamesAreData", testSQLLookingUsernames},
	{"UsersByIDs", testUsersByIDs},
	{"ListUsersPagination", testListUsers},
}

func testCreateAndRead(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := t.Context()
	before := time.Now().UTC().Truncate(time.Microsecond)
	tests := []NewUser{
		{Username: "alice", Email: "alice@example.org", PasswordHash: "argon2id$alice"},
		{Username: "Bob", Email: "", PasswordHash: "argon2id$bob", IsStaff: true},
	}
	var prev int64
	for _, nu := range tests {
		got, err := s.CreateUser(ctx, nu)
		if err != nil {
			t.Fatalf("CreateUser(%q): %v", nu.Username, err)
		}
		if got.ID <= prev {
			t.Errorf("id %d not above previous %d", got.ID, prev)
		}
		prev = got.ID
		want := User{ID: got.ID, Username: nu.Username, Email: nu.Email, PasswordHash: nu.PasswordHash,
			IsStaff: nu.IsStaff, DateJoined: got.DateJoined}
		sameUser(t, got, want)
		if got.DateJoined.Before(before) || got.DateJoined.After(time.Now()) {
			t.Errorf("DateJoined %v not within the call", got.DateJoined)
		}
		if got.DateJoined.Nanosecond()%1000 != 0 {
			t.Errorf("DateJoined %v has sub-microsecond digits the database cannot keep", got.DateJoined)
		}
		sameUser(t, mustUser(t, s, got.ID), got) // read back exactly what CreateUser returned
		byName, err := s.UserByUsername(ctx, nu.Username)
		if err != nil {
			t.Fatalf("UserByUsername(%q): %v", nu.Username, err)
		}
		sameUser(t, byName, got)
	}
}

func testNotFound(t *testing.T, b backend) {
	s := newStore(t, b)
	mustCreate(t, s, "present")
	if _, err := s.UserByID(t.Context(), 987654); !errors.Is(err, ErrNotFound) {
		t.Errorf("UserByID(unknown) err = %v, want ErrNotFound", err)
	}
	for _, name := range []string{"absent", "", "present ", "presen"} {
		if _, err := s.UserByUsername(t.Context(), name); !errors.Is(err, ErrNotFound) {
			t.Errorf("UserByUsername(%q) err = %v, want ErrNotFound", name, err)
		}
	}
}

func testDuplicateUsername(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := t.Context()
	alice := mustCreate(t, s, "Alice")
	for _, name := range []string{"Alice", "alice", "ALICE", "aLiCe"} {
		_, err := s.CreateUser(ctx, NewUser{Username: name, PasswordHash: "x"})
		if !errors.Is(err, ErrUsernameTaken) {
			t.Errorf("CreateUser(%q) err = %v, want ErrUsernameTaken", name, err)
		}
		got, err := s.UserByUsername(ctx, name)
		if err != nil {
			t.Fatalf("UserByUsername(%q): %v", name, err)
		}
		if got.ID != alice.ID || got.Username != "Alice" {
			t.Errorf("UserByUsername(%q) = %d %q, want %d %q (as stored)", name, got.ID, got.Username, alice.ID, "Alice")
		}
	}
	// Near misses are other users.
	for _, name := range []string{"Alice2", "alice ", "al ice"} {
		mustCreate(t, s, name)
	}
	if _, total, err := s.ListUsers(ctx, 0, 10); err != nil || total != 4 {
		t.Errorf("ListUsers total = %d, %v; want 4", total, err)
	}
}

func testUnicodeUsernames(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := t.Context()
	names := []string{"élodie", "Ünïcødé", "日本語ユーザー", "smile 🙂", "straße", "e\u0301cole", "Ωμέγα", "Δ"}
	for _, name := range names {
		u := mustCreate(t, s, name)
		got, err := s.UserByUsername(ctx, name)
		if err != nil {
			t.Fatalf("UserByUsername(%q): %v", name, err)
		}
		if got.ID != u.ID || got.Username != name {
			t.Errorf("UserByUsername(%q) = %d %q, want %d, the same bytes", name, got.ID, got.Username, u.ID)
		}
		if byID := mustUser(t, s, u.ID); byID.Username != name {
			t.Errorf("UserByID(%d).Username = %q, want %q", u.ID, byID.Username, name)
		}
	}

	// Case and Unicode form do not matter, on every backend alike (UsernameKey).
	byName := map[string]int64{}
	for _, name := range names {
		u, err := s.UserByUsername(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		byName[name] = u.ID
	}
	same := []struct{ lookup, owner string }{
		{"ÉLODIE", "élodie"},
		{"E\u0301LODIE", "élodie"}, // decomposed
		{"ÜNÏCØDÉ", "Ünïcødé"},
		{"STRASSE", "straße"}, // full case folding: ß is ss
		{"Strasse", "straße"},
		{"STRAẞE", "straße"}, // capital sharp s
		{"école", "e\u0301cole"},
		{"ÉCOLE", "e\u0301cole"},
		{"ΩΜΈΓΑ", "Ωμέγα"},
		{"δ", "Δ"},
		{"SMILE 🙂", "smile 🙂"},
		{"日本語ﾕｰｻﾞｰ", "日本語ユーザー"}, // halfwidth katakana: NFKC
	}
	for _, tc := range same {
		got, err := s.UserByUsername(ctx, tc.lookup)
		if err != nil || got.ID != byName[tc.owner] || got.Username != tc.owner {
			t.Errorf("UserByUsername(%q) = %d %q, %v; want %d %q", tc.lookup, got.ID, got.Username, err, byName[tc.owner], tc.owner)
		}
		if _, err := s.CreateUser(ctx, NewUser{Username: tc.lookup, PasswordHash: "x"}); !errors.Is(err, ErrUsernameTaken) {
			t.Errorf("CreateUser(%q) err = %v, want ErrUsernameTaken (%q has it)", tc.lookup, err, tc.owner)
		}
	}
	// No accent, a dotless ı, no sharp s, no tonos: other names, free.
	for _, name := range []string{"ｅｌｏｄｉｅ", "ecole", "strase", "ΩΜΕΓΑ", "ı"} {
		if got, err := s.UserByUsername(ctx, name); !errors.Is(err, ErrNotFound) {
			t.Errorf("UserByUsername(%q) = %q, %v; want ErrNotFound", name, got.Username, err)
		}
		mustCreate(t, s, name)
	}
}

func testSQLLookingUsernames(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := t.Context()
	names := []string{
		"'; DROP TABLE users; --",
		"Robert'); DROP TABLE students;--",
		`" OR "1"="1`,
		"' OR 1=1 --",
		"%", "_", `\`, "$1", "?",
	}
	for _, name := range names {
		u := mustCreate(t, s, name)
		got, err := s.UserByUsername(ctx, name)
		if err != nil || got.ID != u.ID || got.Username != name {
			t.Errorf("UserByUsername(%q) = %d %q, %v; want %d", name, got.ID, got.Username, err, u.ID)
		}
	}
	if _, err := s.UserByUsername(ctx, "' OR '1'='1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("injection-shaped lookup err = %v, want ErrNotFound", err)
	}
	if _, total, err := s.ListUsers(ctx, 0, 100); err != nil || total != len(names) {
		t.Errorf("ListUsers total = %d, %v; want %d (the table is still there)", total, err, len(names))
	}
}

func testUsersByIDs(t *testing.T, b backend) {
	s := newStore(t, b)
	var us []User
	for i := range 5 {
		us = append(us, mustCreate(t, s, fmt.Sprintf("u%d", i)))
	}
	many := make([]int64, 33000) // more than SQLite's bound-parameter limit (32766)
	for i := range many {
		many[i] = int64(i + 1)
	}
	tests := []struct {
		name string
		in   []int64
		want []int64
	}{
		{"nil", nil, []int64{}},
		{"empty", []int64{}, []int64{}},
		{"unordered, duplicates, unknown", []int64{us[4].ID, us[0].ID, 999999, us[2].ID, us[0].ID}, []int64{us[0].ID, us[2].ID, us[4].ID}},
		{"unknown only", []int64{-1, 0, 999999}, []int64{}},
		{"many", many, ids(us)},
	}
	for _, tc := range tests {
		got, err := s.UsersByIDs(t.Context(), tc.in)
		if err != nil {
			t.Fatalf("%s: UsersByIDs: %v", tc.name, err)
		}
		if got == nil {
			t.Errorf("%s: got nil slice, want empty", tc.name)
		}
		if fmt.Sprint(ids(got)) != fmt.Sprint(tc.want) {
			t.Errorf("%s: ids = %v, want %v", tc.name, ids(got), tc.want)
		}
	}
	if got, _ := s.UsersByIDs(t.Context(), []int64{us[1].ID}); len(got) == 1 {
		sameUser(t, got[0], us[1])
	}
}

func testListUsers(t *testing.T, b backend) {
	s := newStore(t, b)
	var all []int64
	for i := range 25 {
		all = append(all, mustCreate(t, s, fmt.Sprintf("user%02d", i)).ID)
	}
	tests := []struct {
		offset, limit int
		want          []int64
	}{
		{0, 10, all[0:10]},
		{10, 10, all[10:20]},
		{20, 10, all[20:25]},
		{25, 10, []int64{}},
		{1000, 10, []int64{}},
		{3, 0, []int64{}},
		{0, 100, all},
	}
	for _, tc := range tests {
		got, total, err := s.ListUsers(t.Context(), tc.offset, tc.limit)
		if err != nil {
			t.Fatalf("ListUsers(%d, %d): %v", tc.offset, tc.limit, err)
		}
		if total != 25 {
			t.Errorf("ListUsers(%d, %d) total = %d, want 25", tc.offset, tc.limit, total)
		}
		if got == nil || fmt.Sprint(ids(got)) != fmt.Sprint(tc.want) {
			t.Errorf("ListUsers(%d, %d) ids = %v, want %v", tc.offset, tc.limit, ids(got), tc.want)
		}
	}
	for _, bad := range [][2]int{{-1, 10}, {0, -1}} {
		if _, _, err := s.ListUsers(t.Context(), bad[0], bad[1]); err == nil {
			t.Errorf("ListUsers(%d, %d) succeeded, want an error", bad[0], bad[1])
		}
	}
}
