package persistence

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestSQLitePath(t *testing.T) {
	tests := []struct {
		dsn, want string
		ok        bool
	}{
		{"sqlite://./data/presenced.db", "./data/presenced.db", true},
		{"sqlite:///var/lib/presenced/p.db", "/var/lib/presenced/p.db", true},
		{"sqlite://presenced.db", "presenced.db", true},
		{"SQLite://./x.db", "./x.db", true},
		{"sqlite://../up/x.db", "../up/x.db", true},
		{"sqlite://./my data/x.db", "./my data/x.db", true},
		{"sqlite://", "", false},
		{"sqlite://./x.db?_pragma=foo", "", false},
		{"sqlite://:memory:", "", false},
		{"sqlite://file:x.db", "", false},
		{"sqlite:./x.db", "", false},
		{"postgres://postgres@localhost/presenced", "", false},
		{"", "", false},
	}
	for _, tc := range tests {
		got, ok := SQLitePath(tc.dsn)
		if got != tc.want || ok != tc.ok {
			t.Errorf("SQLitePath(%q) = %q, %v; want %q, %v", tc.dsn, got, ok, tc.want, tc.ok)
		}
	}
}

func TestOpenRejects(t *testing.T) {
	tests := []struct {
		name, dsn, wantInErr string
	}{
		{"unknown scheme", "mysql://root@localhost/presenced", `unsupported DSN scheme "mysql"`},
		{"no scheme", "host=db password=hunter2", "DSN has no scheme"},
		{"sqlite without path", "sqlite://", "empty path"},
		{"sqlite with parameters", "sqlite://./x.db?mode=ro", "query parameters are not supported"},
		{"sqlite in memory", "sqlite://:memory:", "in-memory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(t.Context(), tc.dsn, nil)
			if err == nil {
				_ = s.Close()
				t.Fatal("Open succeeded")
			}
			if s != nil {
				t.Error("Open returned a non-nil Store with its error")
			}
			if !strings.Contains(err.Error(), tc.wantInErr) {
				t.Errorf("error %q does not contain %q", err, tc.wantInErr)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error echoes a password: %q", err)
			}
		})
	}
}

func TestOpenDispatches(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "deeper", "p.db")
	s := openStore(t, "sqlite://"+path)
	ss, ok := s.(*SQLiteStore)
	if !ok {
		t.Fatalf("Open(sqlite://…) = %T, want *SQLiteStore", s)
	}
	if ss.path != path {
		t.Errorf("store path = %q, want %q", ss.path, path)
	}
	if p, ok := SQLitePath("sqlite://" + path); !ok || p != ss.path {
		t.Errorf("SQLitePath = %q, %v; want the store's file %q", p, ok, ss.path)
	}
}
