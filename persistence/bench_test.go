package persistence

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
)

func benchSQLite(b *testing.B) *SQLiteStore {
	b.Helper()
	s, err := OpenSQLite(b.Context(), filepath.Join(b.TempDir(), "bench.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

func BenchmarkSQLiteCreateUser(b *testing.B) {
	s := benchSQLite(b)
	i := 0
	for b.Loop() {
		if _, err := s.CreateUser(b.Context(), NewUser{Username: fmt.Sprintf("user%d", i), PasswordHash: "x"}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkSQLiteUserByUsername(b *testing.B) {
	s := benchSQLite(b)
	const n = 1000
	for i := range n {
		if _, err := s.CreateUser(b.Context(), NewUser{Username: fmt.Sprintf("User%d", i), PasswordHash: "x"}); err != nil {
			b.Fatal(err)
		}
	}
	i := 0
	for b.Loop() {
		if _, err := s.UserByUsername(b.Context(), fmt.Sprintf("user%d", i%n)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkSQLiteUserByUsernameParallel(b *testing.B) {
	s := benchSQLite(b)
	const n = 1000
	for i := range n {
		if _, err := s.CreateUser(b.Context(), NewUser{Username: fmt.Sprintf("User%d", i), PasswordHash: "x"}); err != nil {
			b.Fatal(err)
		}
	}
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := s.UserByUsername(b.Context(), fmt.Sprintf("user%d", i%n)); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}
