package auth

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// roomClaims is a room token as an application's backend writes one.
type roomClaims struct {
	Room any `json:"room,omitempty"`
	jwt.RegisteredClaims
}

func TestRoomTokens(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tk := newTestTokens(t, func() time.Time { return now }, nil)
	issued, c, err := tk.IssueRoom(7, "team:42", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if c != (RoomClaims{UserID: 7, Room: "team:42", ExpiresAt: now.Add(time.Minute)}) {
		t.Fatalf("issued claims %+v", c)
	}
	exp := jwt.NewNumericDate(now.Add(time.Hour))
	backend := func(room any, sub string, exp *jwt.NumericDate) jwt.Claims {
		return roomClaims{Room: room, RegisteredClaims: jwt.RegisteredClaims{Subject: sub, ExpiresAt: exp}}
	}
	access, _, err := tk.Issue(7)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		token string
		want  RoomClaims
		err   error
	}{
		{"issued here", issued, c, nil},
		{"a backend's (sub, room, exp)", sign(t, jwt.SigningMethodHS256, testSecret, backend("doc.1", "9", exp)),
			RoomClaims{UserID: 9, Room: "doc.1", ExpiresAt: exp.Time.UTC()}, nil},
		{"with extra claims", sign(t, jwt.SigningMethodHS256, testSecret, roomClaims{Room: "r", RegisteredClaims: jwt.RegisteredClaims{
			Subject: "9", ExpiresAt: exp, Issuer: "backend", ID: "x"}}), RoomClaims{UserID: 9, Room: "r", ExpiresAt: exp.Time.UTC()}, nil},
		{"expired", sign(t, jwt.SigningMethodHS256, testSecret, backend("r", "9", jwt.NewNumericDate(now.Add(-time.Second)))), RoomClaims{}, ErrRoomTokenExpired},
		{"no exp", sign(t, jwt.SigningMethodHS256, testSecret, backend("r", "9", nil)), RoomClaims{}, ErrInvalidRoomToken},
		{"no room", sign(t, jwt.SigningMethodHS256, testSecret, backend(nil, "9", exp)), RoomClaims{}, ErrInvalidRoomToken},
		{"room not a string", sign(t, jwt.SigningMethodHS256, testSecret, backend(5, "9", exp)), RoomClaims{}, ErrInvalidRoomToken},
		{"empty room", sign(t, jwt.SigningMethodHS256, testSecret, backend("", "9", exp)), RoomClaims{}, ErrInvalidRoomToken},
		{"sub not a user id", sign(t, jwt.SigningMethodHS256, testSecret, backend("r", "alice", exp)), RoomClaims{}, ErrInvalidRoomToken},
		{"sub zero", sign(t, jwt.SigningMethodHS256, testSecret, backend("r", "0", exp)), RoomClaims{}, ErrInvalidRoomToken},
		{"another secret", sign(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-!!"), backend("r", "9", exp)), RoomClaims{}, ErrInvalidRoomToken},
		{"HS512", sign(t, jwt.SigningMethodHS512, testSecret, backend("r", "9", exp)), RoomClaims{}, ErrInvalidRoomToken},
		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, backend("r", "9", exp)), RoomClaims{}, ErrInvalidRoomToken},
		{"an access token", access, RoomClaims{}, ErrInvalidRoomToken},
		{"garbage", "not.a.token", RoomClaims{}, ErrInvalidRoomToken},
		{"huge", strings.Repeat("a", maxRoomTokenBytes+1), RoomClaims{}, ErrInvalidRoomToken},
	}
	for _, tc := range tests {
		got, err := tk.VerifyRoom(tc.token)
		if tc.err == nil && err != nil || tc.err != nil && !errors.Is(err, tc.err) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.err)
			continue
		}
		if got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// A room token never passes as an access token, even one carrying every claim an
// access token has.
func TestRoomTokenIsNoAccessToken(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tk := newTestTokens(t, func() time.Time { return now }, nil)
	issued, _, err := tk.IssueRoom(7, "r", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	full := sign(t, jwt.SigningMethodHS256, testSecret, roomClaims{Room: "r", RegisteredClaims: jwt.RegisteredClaims{
		Issuer: DefaultIssuer, Subject: "7", ID: "j", IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)),
	}})
	for name, tok := range map[string]string{"issued": issued, "with access claims": full} {
		if _, err := tk.Verify(tok); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s: a room token verified as an access token (err %v)", name, err)
		}
	}
}
