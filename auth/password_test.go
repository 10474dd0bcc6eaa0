package auth

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHasher(t *testing.T) {
	h, err := NewHasher(4) // bcrypt.MinCost keeps the test fast
	if err != nil {
		t.Fatal(err)
	}
	hash, err := h.Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, password string
		want           error
	}{
		{"match", "correct horse", nil},
		{"mismatch", "wrong horse", ErrPasswordMismatch},
		{"empty", "", ErrPasswordMismatch},
		{"too long", strings.Repeat("a", 100), ErrPasswordMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := h.Check(hash, tc.password); !errors.Is(err, tc.want) {
				t.Fatalf("Check = %v, want %v", err, tc.want)
			}
		})
	}
	if err := h.CheckUnknown("x"); !errors.Is(err, ErrPasswordMismatch) {
		t.Fatal(err)
	}
	if _, err := h.Hash(strings.Repeat("a", 73)); err == nil {
		t.Fatal("73-byte password hashed")
	}
	if err := h.Check("not-a-hash", "x"); err == nil || errors.Is(err, ErrPasswordMismatch) {
		t.Fatalf("broken hash: %v", err)
	}
	if _, err := NewHasher(99); err == nil {
		t.Fatal("cost 99 accepted")
	}
}

func TestLoadOrCreateSecret(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "jwt.secret")
	a, err := LoadOrCreateSecret(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != MinSecretBytes {
		t.Fatalf("len %d", len(a))
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode().Perm())
	}
	b, err := LoadOrCreateSecret(path)
	if err != nil || string(a) != string(b) {
		t.Fatalf("second load differs: %v", err)
	}
	if err := os.WriteFile(path, []byte("abcd\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateSecret(path); err == nil {
		t.Fatal("short secret file accepted")
	}
}

// BenchmarkLogin measures one password check at the default cost: the CPU price of a
// login, and so the logins/s one core can serve (1e9 / ns/op).
func BenchmarkLogin(b *testing.B) {
	h, err := NewHasher(DefaultBcryptCost)
	if err != nil {
		b.Fatal(err)
	}
	hash, _ := h.Hash("correct horse battery staple")
	b.ResetTimer()
	for b.Loop() {
		if err := h.Check(hash, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
}
