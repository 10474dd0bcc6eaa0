package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

func TestCreateSuperuserNamesTheClash(t *testing.T) {
	db := "sqlite://" + filepath.Join(t.TempDir(), "p.db")
	env := func(k string) string {
		if k == "PRESENCED_PASSWORD" {
			return "correct horse battery"
		}
		return ""
	}
	create := func(username string) (int, string) {
		var stdout, stderr bytes.Buffer
		code := createSuperuser([]string{"-db", db, "-username", username, "-email", "admin@example.org"}, env,
			strings.NewReader(""), &stdout, &stderr)
		return code, stdout.String() + stderr.String()
	}
	if code, out := create("Émile"); code != 0 || !strings.Contains(out, `Superuser "Émile" created (id 1)`) {
		t.Fatalf("first createsuperuser: exit %d\n%s", code, out)
	}
	tests := []struct{ username, want string }{
		{"Émile", `createsuperuser: a user named "Émile" already exists` + "\n"},
		{"ÉMILE", `createsuperuser: a user named "Émile" (id 1) already exists; usernames are compared without regard to case, so "ÉMILE" is taken` + "\n"},
	}
	for _, tc := range tests {
		if code, out := create(tc.username); code != 2 || out != tc.want {
			t.Errorf("createsuperuser -username %s: exit %d, output %q; want 2, %q", tc.username, code, out, tc.want)
		}
	}
}
