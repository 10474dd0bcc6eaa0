package persistence

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func TestLoadMigrations(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name      string
		fs        fstest.MapFS
		want      []int
		wantInErr string
	}{
		{"sorted by version", fstest.MapFS{
			"m/0010_later.sql":   file("B"),
			"m/0002_second.sql":  file("A"),
			"m/0001_init.sql":    file("I"),
			"m/sub/0003_sub.sql": file("ignored: folders are skipped"),
		}, []int{1, 2, 10}, ""},
		{"bad name", fstest.MapFS{"m/0001_init.sql": file(""), "m/init.sql": file("")}, nil, "not NNNN_name.sql"},
		{"uppercase name", fstest.MapFS{"m/0001_Init.sql": file("")}, nil, "not NNNN_name.sql"},
		{"version zero", fstest.MapFS{"m/0000_zero.sql": file("")}, nil, "positive"},
		{"duplicate version", fstest.MapFS{"m/0001_a.sql": file(""), "m/00001_b.sql": file("")}, nil, "share version 1"},
		{"empty", fstest.MapFS{"m/README": file("")}, nil, "not NNNN_name.sql"},
		{"none", fstest.MapFS{"m/sub/0001_x.sql": file("")}, nil, "none found"},
		{"missing folder", fstest.MapFS{}, nil, "read migrations"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ms, err := loadMigrations(tc.fs, "m")
			if tc.wantInErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantInErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantInErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, m := range ms {
				got = append(got, m.version)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("versions = %v, want %v", got, tc.want)
			}
			if ms[0].sql != "I" || ms[0].name != "0001_init.sql" {
				t.Errorf("first migration = %+v", ms[0])
			}
		})
	}
}

// Both backends must offer the same schema versions, so a change is never made to one only.
func TestEmbeddedMigrationsInStep(t *testing.T) {
	versions := func(dir string) string {
		ms, err := loadMigrations(migrationFiles, dir)
		if err != nil {
			t.Fatal(err)
		}
		var vs []int
		for _, m := range ms {
			vs = append(vs, m.version)
		}
		return fmt.Sprint(vs)
	}
	if s, p := versions(sqliteMigrations), versions(postgresMigrations); s != p {
		t.Errorf("sqlite migrations %s, postgres migrations %s: keep them in step", s, p)
	}
}

func TestPlanMigrations(t *testing.T) {
	known := []migration{{version: 1}, {version: 2}, {version: 3}}
	tests := []struct {
		applied     []int
		todo        string
		unknownWant string
	}{
		{nil, "[1 2 3]", "[]"},
		{[]int{1}, "[2 3]", "[]"},
		{[]int{1, 2, 3}, "[]", "[]"},
		{[]int{1, 2, 3, 5, 4}, "[]", "[4 5]"},
		{[]int{2}, "[1 3]", "[]"}, // a hole is filled, not skipped
	}
	for _, tc := range tests {
		todo, unknown := planMigrations(known, tc.applied)
		var got []int
		for _, m := range todo {
			got = append(got, m.version)
		}
		if fmt.Sprint(got) != tc.todo || fmt.Sprint(unknown) != tc.unknownWant {
			t.Errorf("planMigrations(applied %v) = %v, %v; want %s, %s", tc.applied, got, unknown, tc.todo, tc.unknownWant)
		}
	}
}

func TestCoalescePresence(t *testing.T) {
	at := func(s int) time.Time { return time.Unix(int64(s), 999) } // nanoseconds are dropped
	tests := []struct {
		name string
		in   []PresenceChange
		want string
	}{
		{"empty", nil, "[]"},
		{"one", []PresenceChange{{UserID: 7, Online: true, At: at(1)}}, "[7:on:-]"},
		{"online then offline", []PresenceChange{{UserID: 7, Online: true, At: at(1)}, {UserID: 7, At: at(2)}}, "[7:off:2]"},
		{"offline then online", []PresenceChange{{UserID: 7, At: at(1)}, {UserID: 7, Online: true, At: at(2)}}, "[7:on:1]"},
		{"last offline in order wins", []PresenceChange{{UserID: 7, At: at(5)}, {UserID: 7, At: at(3)}}, "[7:off:3]"},
		{"sorted by user", []PresenceChange{
			{UserID: 9, Online: true, At: at(1)}, {UserID: 2, At: at(1)}, {UserID: 5, Online: true, At: at(1)}, {UserID: 2, Online: true, At: at(2)},
		}, "[2:on:1 5:on:- 9:on:-]"},
	}
	for _, tc := range tests {
		var parts []string
		for _, u := range coalescePresence(tc.in) {
			state, seen := "off", "-"
			if u.online {
				state = "on"
			}
			if u.lastSeen != nil {
				if u.lastSeen.Nanosecond() != 0 || u.lastSeen.Location() != time.UTC {
					t.Errorf("%s: lastSeen %v not stored form", tc.name, u.lastSeen)
				}
				seen = fmt.Sprint(u.lastSeen.Unix())
			}
			parts = append(parts, fmt.Sprintf("%d:%s:%s", u.userID, state, seen))
		}
		if got := "[" + strings.Join(parts, " ") + "]"; got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}
