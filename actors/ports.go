package actors

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/presenced/presenced/internal/closereason"
)

// The small interfaces actors needs of the outside world. The ws package implements
// Socket; cmd/presenced adapts auth and persistence to Verifier, RoomVerifier,
// Directory and Writer.

// Socket is the transport side of one connection. Every method returns at once.
type Socket interface {
	// Emit queues a server event. false: the socket is closed or too slow (the transport
	// then closes it).
	Emit(ev *Event) bool
	// Ack answers the client's event ackID with one JSON value.
	Ack(ackID int64, data []byte) bool
	// Close ends the transport; the client will reconnect.
	Close(reason closereason.Reason)
}

// HeartbeatSocket is a Socket that can carry its transport's own heartbeat with the
// sweep's ping: EmitHeartbeat is Emit for that ping, and the transport may send its
// heartbeat in the same write (one write and one wake-up per socket and sweep instead
// of two). Sockets without it get Emit.
type HeartbeatSocket interface {
	Socket
	EmitHeartbeat(ev *Event) bool
}

// Event is a server → client Socket.IO event. It is built once and may be emitted to
// thousands of sockets; the transport encodes it once (Frame) and shares the bytes.
type Event struct {
	Name string
	Data []byte // one JSON value

	once  sync.Once
	frame []byte
}

// NewEvent returns an event with a JSON payload.
func NewEvent(name string, data []byte) *Event { return &Event{Name: name, Data: data} }

// Frame returns the event encoded by encode, computing it only once.
func (e *Event) Frame(encode func(name string, data []byte) []byte) []byte {
	e.once.Do(func() { e.frame = encode(e.Name, e.Data) })
	return e.frame
}

// Token errors a Verifier returns (wrapped or not).
var (
	ErrTokenInvalid = errors.New("invalid token")
	ErrTokenExpired = errors.New("token expired")
)

// Grant is what a valid token proves.
type Grant struct {
	UserID    int64
	JTI       string
	ExpiresAt time.Time
}

// Verifier checks access tokens (signature, expiry, revocation) without I/O.
type Verifier interface {
	Verify(token string) (Grant, error)
	// Revoked reports whether a token verified earlier has been revoked since.
	Revoked(jti string) bool
}

// Credentials are a token resolved to its grant and user, or the reason it was refused.
// Immutable once made.
type Credentials struct {
	Token string
	Grant Grant
	User  User
	Err   error // ErrTokenInvalid or ErrTokenExpired (possibly wrapped)
}

// Directory finds user profiles; it may cache, and may do I/O on a miss.
type Directory interface {
	User(ctx context.Context, id int64) (User, error)
	// Users returns the users that exist among ids (any order; unknown ids skipped).
	Users(ctx context.Context, ids []int64) ([]User, error)
}

// RoomGrant is what a valid room token proves: the user may join the room.
type RoomGrant struct {
	UserID    int64
	Room      string
	ExpiresAt time.Time
}

// RoomVerifier checks room tokens (HS256 {sub, room, exp}) without I/O; a refused one
// gives ErrTokenInvalid or ErrTokenExpired (possibly wrapped).
type RoomVerifier interface {
	VerifyRoom(token string) (RoomGrant, error)
}

// PresenceChange is one presence transition for the database (the old Celery task).
type PresenceChange struct {
	UserID int64
	Online bool
	At     time.Time
}

// Writer persists presence transitions in batches.
type Writer interface {
	ApplyPresence(ctx context.Context, changes []PresenceChange) error
}
