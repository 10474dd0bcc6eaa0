package auth

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Room token errors. VerifyRoom returns exactly one of them (wrapped) for a refused token.
var (
	ErrInvalidRoomToken = errors.New("invalid room token")
	ErrRoomTokenExpired = errors.New("room token expired")
)

// maxRoomTokenBytes bounds the room token VerifyRoom parses (a client sends it with
// every join; the claims of a real one take about 150 bytes).
const maxRoomTokenBytes = 4096

// RoomClaims is what a verified room token says: the user may join the room until
// ExpiresAt.
type RoomClaims struct {
	UserID    int64
	Room      string
	ExpiresAt time.Time
}

// roomJWT is a room token's claims as the application's backend writes them:
// {"sub": "<user id>", "room": "<name>", "exp": …}. Other registered claims are
// allowed and ignored.
type roomJWT struct {
	Room *string `json:"room"`
	jwt.RegisteredClaims
}

// IssueRoom signs a room token for userID and room, valid for ttl (zero: the access
// token's lifetime). It carries only sub, room and exp, the claims the contract
// names, so that any backend holding the secret issues the same tokens.
func (t *Tokens) IssueRoom(userID int64, room string, ttl time.Duration) (string, RoomClaims, error) {
	if ttl <= 0 {
		ttl = t.ttl
	}
	c := RoomClaims{UserID: userID, Room: room, ExpiresAt: t.now().UTC().Truncate(time.Second).Add(ttl)}
	r := room
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, roomJWT{Room: &r, RegisteredClaims: jwt.RegisteredClaims{
		Subject:   strconv.FormatInt(userID, 10),
		ExpiresAt: jwt.NewNumericDate(c.ExpiresAt),
	}})
	s, err := tok.SignedString(t.secret)
	if err != nil {
		return "", RoomClaims{}, fmt.Errorf("sign room token: %w", err)
	}
	return s, c, nil
}

// VerifyRoom checks a room token: HS256 with the server's secret (none and every other
// algorithm refused), exp present and not passed, sub a user id, room present. It does
// not compare the room or the user with anything: callers do (a token for another room
// or another user is refused there). Room tokens are not revocable: they are meant to
// be short-lived.
func (t *Tokens) VerifyRoom(token string) (RoomClaims, error) {
	if len(token) > maxRoomTokenBytes {
		return RoomClaims{}, fmt.Errorf("%w: longer than %d bytes", ErrInvalidRoomToken, maxRoomTokenBytes)
	}
	var rc roomJWT
	_, err := t.roomParser.ParseWithClaims(token, &rc, t.key)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return RoomClaims{}, ErrRoomTokenExpired
	case err != nil:
		return RoomClaims{}, fmt.Errorf("%w: %v", ErrInvalidRoomToken, err)
	}
	uid, perr := strconv.ParseInt(rc.Subject, 10, 64)
	if perr != nil || uid <= 0 || rc.Room == nil || *rc.Room == "" {
		return RoomClaims{}, fmt.Errorf("%w: missing or malformed sub/room", ErrInvalidRoomToken)
	}
	return RoomClaims{UserID: uid, Room: *rc.Room, ExpiresAt: rc.ExpiresAt.Time.UTC()}, nil
}
