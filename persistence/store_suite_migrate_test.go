package persistence

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var migrateCases = []suiteCase{
	{"UsernameKeyMigrationRefusesClash", testUsernameKeyMigrationRefusesClash},
	{"UsernameKeyMigrationFillsKeys", testUsernameKeyMigrationFillsKeys},
	{"UsernameKeyRequired", testUsernameKeyRequired},
}

// migrationsUpTo is the embedded migrations of dir whose version is at most version.
func migrationsUpTo(t *testing.T, dir string, version int) []migration {
	t.Helper()
	known, err := loadMigrations(migrationFiles, dir)
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(known, func(m migration) bool { return m.version > version })
}

func joinValues(vals []any) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		if b, ok := v.([]byte); ok {
			v = string(b)
		}
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, "|")
}

// legacyDB is storage at schema version 1, as a binary from before username keys left it.
type legacyDB struct {
	b   backend
	dsn string
	raw rawDB
}

func newLegacyDB(t *testing.T, b backend) legacyDB {
	t.Helper()
	dsn := b.newLegacyDSN(t)
	b.migrateTo(t, dsn, 1)
	return legacyDB{b: b, dsn: dsn, raw: b.raw(t, dsn)}
}

// insert adds a user the way version 1 did and returns its id.
func (l legacyDB) insert(t *testing.T, username string) int64 {
	t.Helper()
	got := l.raw.lines(t, l.b.insertV1User, username)
	if len(got) != 1 {
		t.Fatalf("insert %q: %v", username, got)
	}
	id, err := strconv.ParseInt(got[0], 10, 64)
	if err != nil {
		t.Fatalf("insert %q: id %q: %v", username, got[0], err)
	}
	return id
}

// snapshot is everything a failed migration must leave as it was: the schema, the users
// and the versions recorded.
func (l legacyDB) snapshot(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, q := range append(slices.Clone(l.b.schemaQueries),
		`SELECT * FROM users ORDER BY id`, `SELECT version FROM schema_migrations ORDER BY version`) {
		fmt.Fprintf(&b, "%s\n", q)
		for _, line := range l.raw.lines(t, q) {
			fmt.Fprintf(&b, "\t%s\n", line)
		}
	}
	return b.String()
}

// checkKeys fails unless every user's username_key is UsernameKey(username).
func (l legacyDB) checkKeys(t *testing.T) {
	t.Helper()
	for _, line := range l.raw.lines(t, `SELECT id, username, username_key FROM users ORDER BY id`) {
		f := strings.Split(line, "|")
		if len(f) != 3 || f[2] != UsernameKey(f[1]) {
			t.Errorf("user row %q: username_key is not UsernameKey(username) = %q", line, UsernameKey(f[1]))
		}
	}
}

func testUsernameKeyMigrationRefusesClash(t *testing.T, b backend) {
	l := newLegacyDB(t, b)
	ids := map[string]int64{}
	for _, name := range []string{"alice", "Émile", "bob", "émile", "STRASSE", "straße", "E\u0301MILE", "ｍａｘ", "Max"} {
		ids[name] = l.insert(t, name)
	}
	before := l.snapshot(t)

	s, err := Open(t.Context(), l.dsn, nil)
	if err == nil {
		_ = s.Close()
		t.Fatal("Open migrated a database whose usernames clash")
	}
	if !errors.Is(err, ErrUsernameClash) {
		t.Errorf("err = %v, want ErrUsernameClash", err)
	}
	msg := err.Error()
	t.Logf("Open: %v", err)
	// Every group, by its lowest id, each user by id: what an operator needs to rename.
	wantGroups := []string{
		fmt.Sprintf("%q (id %d) = %q (id %d) = %q (id %d)", "Émile", ids["Émile"], "émile", ids["émile"], "E\u0301MILE", ids["E\u0301MILE"]),
		fmt.Sprintf("%q (id %d) = %q (id %d)", "STRASSE", ids["STRASSE"], "straße", ids["straße"]),
		fmt.Sprintf("%q (id %d) = %q (id %d)", "ｍａｘ", ids["ｍａｘ"], "Max", ids["Max"]),
	}
	if want := strings.Join(wantGroups, "; "); !strings.Contains(msg, want) {
		t.Errorf("error %q does not list the clashes as %q", msg, want)
	}
	for _, name := range []string{`"alice"`, `"bob"`} {
		if strings.Contains(msg, name) {
			t.Errorf("error %q names %s, which clashes with nobody", msg, name)
		}
	}
	if !strings.Contains(msg, "0002_username_key.sql") || !strings.Contains(msg, "rename") {
		t.Errorf("error %q does not say which migration failed and what to do", msg)
	}
	if after := l.snapshot(t); after != before {
		t.Errorf("the failed migration changed the database:\n--- before\n%s--- after\n%s", before, after)
	}

	// The operator renames all but one of each group; then the migration runs.
	for name, to := range map[string]string{"émile": "emile2", "E\u0301MILE": "emile3", "straße": "strasse2", "Max": "max2"} {
		if err := l.raw.exec(t, `UPDATE users SET username = $1 WHERE id = $2`, to, ids[name]); err != nil {
			t.Fatal(err)
		}
	}
	s = openStore(t, l.dsn)
	l.checkKeys(t)
	for _, tc := range []struct {
		lookup string
		id     int64
		name   string
	}{
		{"ÉMILE", ids["Émile"], "Émile"},
		{"e\u0301mile", ids["Émile"], "Émile"},
		{"Emile2", ids["émile"], "emile2"},
		{"strasse", ids["STRASSE"], "STRASSE"},
		{"MAX", ids["ｍａｘ"], "ｍａｘ"},
	} {
		if got, err := s.UserByUsername(t.Context(), tc.lookup); err != nil || got.ID != tc.id || got.Username != tc.name {
			t.Errorf("UserByUsername(%q) = %d %q, %v; want %d %q", tc.lookup, got.ID, got.Username, err, tc.id, tc.name)
		}
	}
}

func testUsernameKeyMigrationFillsKeys(t *testing.T, b backend) {
	l := newLegacyDB(t, b)
	names := []string{"alice", "Émile", "Straße", "ǅemal", "Ωμέγα", "日本語", "ﬁlm", "K-9"} // K: KELVIN SIGN
	ids := map[string]int64{}
	for _, name := range names {
		ids[name] = l.insert(t, name)
	}
	// A user deleted before the upgrade: AUTOINCREMENT must not hand its id out again.
	gone := l.insert(t, "gone")
	if err := l.raw.exec(t, `DELETE FROM users WHERE id = $1`, gone); err != nil {
		t.Fatal(err)
	}
	rowsBefore := l.raw.lines(t, `SELECT id, username, email, password_hash, is_online, last_seen, date_joined, is_staff FROM users ORDER BY id`)

	s := openStore(t, l.dsn)
	known, err := loadMigrations(migrationFiles, b.migrationsDir)
	if err != nil {
		t.Fatal(err)
	}
	if got := applied(t, s); len(got) != len(known) {
		t.Errorf("schema_migrations = %v, want %d versions", got, len(known))
	}
	l.checkKeys(t)
	rowsAfter := l.raw.lines(t, `SELECT id, username, email, password_hash, is_online, last_seen, date_joined, is_staff FROM users ORDER BY id`)
	if fmt.Sprint(rowsAfter) != fmt.Sprint(rowsBefore) {
		t.Errorf("the migration changed the users:\n before %q\n after  %q", rowsBefore, rowsAfter)
	}
	for lookup, owner := range map[string]string{"ALICE": "alice", "émile": "Émile", "STRASSE": "Straße", "DŽEMAL": "ǅemal", "ΩΜΈΓΑ": "Ωμέγα", "FILM": "ﬁlm", "k-9": "K-9"} {
		if got, err := s.UserByUsername(t.Context(), lookup); err != nil || got.ID != ids[owner] || got.Username != owner {
			t.Errorf("UserByUsername(%q) = %d %q, %v; want %d %q", lookup, got.ID, got.Username, err, ids[owner], owner)
		}
		if _, err := s.CreateUser(t.Context(), NewUser{Username: lookup, PasswordHash: "x"}); !errors.Is(err, ErrUsernameTaken) {
			t.Errorf("CreateUser(%q) after the migration: err = %v, want ErrUsernameTaken", lookup, err)
		}
	}
	if u := mustCreate(t, s, "newcomer"); u.ID <= gone {
		t.Errorf("new user's id %d is not above %d, the last id handed out before the migration", u.ID, gone)
	}
	l.checkKeys(t)
}

// testUsernameKeyRequired: a row without its key (an older binary's insert, a hand-written
// one) is refused rather than stored unreachable and unconstrained.
func testUsernameKeyRequired(t *testing.T, b backend) {
	dsn := b.newDSN(t)
	s := openStore(t, dsn)
	emile := mustCreate(t, s, "Émile")
	bob := mustCreate(t, s, "bob")
	l := legacyDB{b: b, dsn: dsn, raw: b.raw(t, dsn)}
	if err := l.raw.exec(t, b.insertV1User, "older-binary"); err == nil {
		t.Error("an insert without username_key (as version 1 wrote) succeeded")
	}
	for _, key := range []any{nil, "", UsernameKey(emile.Username)} {
		if err := l.raw.exec(t, `UPDATE users SET username_key = $1 WHERE id = $2`, key, bob.ID); err == nil {
			t.Errorf("setting username_key to %#v succeeded", key)
		}
	}
	l.checkKeys(t)
}
