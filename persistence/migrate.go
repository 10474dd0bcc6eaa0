package persistence

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
)

// Each backend has its own folder of NNNN_name.sql files. A file, once released, is
// never edited: a change to the schema is a new file with the next number, in both
// folders (a test checks that the two folders list the same versions).
//
// A migration may also have a Go step, for what SQL cannot do (Unicode case folding):
// a function registered under its version in the backend's table (sqliteSteps,
// postgresSteps) that runs right after the version's SQL, in the same transaction, so a
// failing step applies nothing. Steps follow the same rules as files: never edited once
// released, present for the same versions on both backends (tested).
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

const (
	sqliteMigrations   = "migrations/sqlite"
	postgresMigrations = "migrations/postgres"
)

type migration struct {
	version int
	name    string // the file name, for logs and errors
	sql     string
}

var migrationName = regexp.MustCompile(`^([0-9]{4,})_[a-z0-9_]+\.sql$`)

// loadMigrations reads dir of fsys and returns its migrations by ascending version.
func loadMigrations(fsys fs.FS, dir string) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations %s: %w", dir, err)
	}
	var ms []migration
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration %s/%s: name is not NNNN_name.sql", dir, e.Name())
		}
		v, err := strconv.Atoi(m[1])
		if err != nil || v == 0 {
			return nil, fmt.Errorf("migration %s/%s: version must be a positive number", dir, e.Name())
		}
		body, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %s/%s: %w", dir, e.Name(), err)
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(body)})
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("migrations %s: none found", dir)
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("migrations %s: %s and %s share version %d", dir, ms[i-1].name, ms[i].name, ms[i].version)
		}
	}
	return ms, nil
}

// planMigrations returns the known migrations not yet applied, in order, and the
// applied versions this binary does not know (a newer binary migrated the database:
// the caller warns, since additive migrations leave an older binary working).
func planMigrations(known []migration, applied []int) (todo []migration, unknown []int) {
	done := make(map[int]bool, len(applied))
	for _, v := range applied {
		done[v] = true
	}
	for _, m := range known {
		if !done[m.version] {
			todo = append(todo, m)
		}
		delete(done, m.version)
	}
	for v := range done {
		unknown = append(unknown, v)
	}
	slices.Sort(unknown)
	return todo, unknown
}
