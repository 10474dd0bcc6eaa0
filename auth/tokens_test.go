package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/golang-jwt/jwt/v5"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

type memRevocations map[string]time.Time

func (m memRevocations) RevokeToken(_ context.Context, jti string, exp time.Time) error {
	m[jti] = exp
	return nil
}

func (m memRevocations) RevokedTokens(_ context.Context, now time.Time) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	for k, v := range m {
		if v.After(now) {
			out[k] = v
		}
	}
	return out, nil
}

func newTestTokens(t *testing.T, now func() time.Time, store RevocationStore) *Tokens {
	t.Helper()
	tk, err := NewTokens(context.Background(), TokenConfig{Secret: testSecret, TTL: time.Hour, Now: now}, store)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func sign(t *testing.T, method jwt.SigningMethod, key any, claims jwt.Claims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerify(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	tk := newTestTokens(t, clock, nil)
	good, issued, err := tk.Issue(42)
	if err != nil {
		t.Fatal(err)
	}
	valid := jwt.RegisteredClaims{
		Issuer: DefaultIssuer, Subject: "7", ID: "abc",
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute)),
	}
	with := func(f func(*jwt.RegisteredClaims)) jwt.RegisteredClaims { c := valid; f(&c); return c }
	noneTok := sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, valid)
	parts := strings.Split(good, ".")

	tests := []struct {
		name    string
		token   string
		wantErr error
		wantUID int64
	}{
		{"issued token", good, nil, 42},
		{"hand-signed HS256", sign(t, jwt.SigningMethodHS256, testSecret, valid), nil, 7},
		{"alg none", noneTok, ErrInvalidToken, 0},
		{"HS512", sign(t, jwt.SigningMethodHS512, testSecret, valid), ErrInvalidToken, 0},
		{"HS384", sign(t, jwt.SigningMethodHS384, testSecret, valid), ErrInvalidToken, 0},
		{"wrong secret", sign(t, jwt.SigningMethodHS256, []byte(strings.Repeat("x", 32)), valid), ErrInvalidToken, 0},
		{"expired", sign(t, jwt.SigningMethodHS256, testSecret, with(func(c *jwt.RegisteredClaims) {
			c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Second))
		})), ErrTokenExpired, 0},
		{"no exp", sign(t, jwt.SigningMethodHS256, testSecret, with(func(c *jwt.RegisteredClaims) { c.ExpiresAt = nil })), ErrInvalidToken, 0},
		{"no iat", sign(t, jwt.SigningMethodHS256, testSecret, with(func(c *jwt.RegisteredClaims) { c.IssuedAt = nil })), ErrInvalidToken, 0},
		{"iat in future", sign(t, jwt.SigningMethodHS256, testSecret, with(func(c *jwt.RegisteredClaims) {
			c.IssuedAt = jwt.NewNumericDate(now.Add(time.Hour))
		})), ErrInvalidToken, 0},
		{"other issuer", sign(t, jwt.SigningMethodHS256, testSecret, with(func(c *jwt.RegisteredClaims) { c.Issuer = "django" })), ErrInvalidToken, 0},
		{"non-numeric sub", sign(t, jwt.SigningMethodHS256, testSecret, with(func(c *jwt.RegisteredClaims) { c.Subject = "alice" })), ErrInvalidToken, 0},
		{"zero sub", sign(t, jwt.SigningMethodHS256, testSecret, with(func(c *jwt.RegisteredClaims) { c.Subject = "0" })), ErrInvalidToken, 0},
		{"no jti", sign(t, jwt.SigningMethodHS256, testSecret, with(func(c *jwt.RegisteredClaims) { c.ID = "" })), ErrInvalidToken, 0},
		{"tampered payload", parts[0] + "." + parts[1] + "x." + parts[2], ErrInvalidToken, 0},
		{"empty", "", ErrInvalidToken, 0},
		{"garbage", "not.a.jwt", ErrInvalidToken, 0},
		{"two parts", parts[0] + "." + parts[1], ErrInvalidToken, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tk.Verify(tc.token)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Verify err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if c.UserID != tc.wantUID {
				t.Fatalf("uid = %d, want %d", c.UserID, tc.wantUID)
			}
		})
	}
	if issued.ExpiresAt.Sub(issued.IssuedAt) != time.Hour {
		t.Fatalf("ttl = %v", issued.ExpiresAt.Sub(issued.IssuedAt))
	}
}

func TestExpiryFollowsClock(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tk := newTestTokens(t, func() time.Time { return now }, nil)
	tok, _, _ := tk.Issue(1)
	if _, err := tk.Verify(tok); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour + time.Second)
	if _, err := tk.Verify(tok); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("after ttl: %v", err)
	}
}

func TestRevokeSurvivesRestart(t *testing.T) {
	store := memRevocations{}
	tk := newTestTokens(t, time.Now, store)
	tok, c, _ := tk.Issue(5)
	if err := tk.Revoke(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if _, err := tk.Verify(tok); !errors.Is(err, ErrTokenRevoked) {
		t.Fatalf("after revoke: %v", err)
	}
	other, _, _ := tk.Issue(5)
	if _, err := tk.Verify(other); err != nil {
		t.Fatalf("other token of the same user: %v", err)
	}
	restarted := newTestTokens(t, time.Now, store)
	if _, err := restarted.Verify(tok); !errors.Is(err, ErrTokenRevoked) {
		t.Fatalf("after restart: %v", err)
	}
}

func TestPurgeRevoked(t *testing.T) {
	now := time.Now()
	tk := newTestTokens(t, func() time.Time { return now }, nil)
	tk.MarkRevoked("old", now.Add(-time.Minute))
	tk.MarkRevoked("new", now.Add(time.Minute))
	if n := tk.PurgeRevoked(); n != 1 {
		t.Fatalf("purged %d", n)
	}
	if !tk.IsRevoked("new") || tk.IsRevoked("old") {
		t.Fatal("wrong entries purged")
	}
}

func TestNewTokensRefusesShortSecret(t *testing.T) {
	_, err := NewTokens(context.Background(), TokenConfig{Secret: []byte("short")}, nil)
	if err == nil || !strings.Contains(err.Error(), "at least 32") {
		t.Fatalf("err = %v", err)
	}
}

func BenchmarkVerify(b *testing.B) {
	tk, _ := NewTokens(context.Background(), TokenConfig{Secret: testSecret}, nil)
	tok, _, _ := tk.Issue(1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tk.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

func TestVerifyCacheStillChecksExpiryAndRevocation(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tk := newTestTokens(t, func() time.Time { return now }, memRevocations{})
	tok, c, _ := tk.Issue(3)
	for i := 0; i < 3; i++ { // verified, then served from the cache
		if _, err := tk.Verify(tok); err != nil {
			t.Fatal(err)
		}
	}
	if err := tk.Revoke(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if _, err := tk.Verify(tok); !errors.Is(err, ErrTokenRevoked) {
		t.Fatalf("cached token after revoke: %v", err)
	}
	tok2, _, _ := tk.Issue(3)
	if _, err := tk.Verify(tok2); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Hour)
	if _, err := tk.Verify(tok2); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("cached token after expiry: %v", err)
	}
	// A forged variant of a cached token is not a cache hit.
	if _, err := tk.Verify(tok2 + "x"); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("forged: %v", err)
	}
}

func TestVerifiedCacheIsBounded(t *testing.T) {
	c := newVerifiedCache(10)
	for i := 0; i < 100; i++ {
		c.Put(strings.Repeat("t", i+1), Claims{UserID: int64(i)})
	}
	if c.Len() > 10 {
		t.Fatalf("cache holds %d", c.Len())
	}
}

// The verified-token cache must not key on the caller's memory: fasthttp hands out
// strings that view its request buffer, rewritten by the next request. Here the
// caller's buffer is rewritten with a forged token of the same length after a
// successful Verify; the forged token must still be refused, and the real one must
// still verify (as its own user).
func TestVerifyCacheOwnsItsKeys(t *testing.T) {
	tk := newTestTokens(t, nil, nil)
	real, _, err := tk.Issue(42)
	if err != nil {
		t.Fatal(err)
	}
	buf := []byte(real)
	view := unsafe.String(&buf[0], len(buf)) // what a zero-copy header accessor returns
	if c, err := tk.Verify(view); err != nil || c.UserID != 42 {
		t.Fatalf("Verify(real) = %v, %v", c, err)
	}
	forged := []byte(real)
	for i := len(forged) - 8; i < len(forged); i++ {
		forged[i] = 'A' + (forged[i]+1)%26
	}
	copy(buf, forged) // the next request reuses the buffer
	if _, err := tk.Verify(string(forged)); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("a forged token of the same length after a cached one: %v, want ErrInvalidToken", err)
	}
	if c, err := tk.Verify(real); err != nil || c.UserID != 42 {
		t.Fatalf("Verify(real) after the buffer changed = %v, %v", c, err)
	}
}
