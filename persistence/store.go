// Package persistence owns everything presenced keeps on disk: user accounts, their
// last-known presence columns (is_online, last_seen) and revoked tokens. It offers one
// Store interface with two implementations, SQLite (the embedded default, pure Go) and
// PostgreSQL, both migrated at start from versioned SQL files embedded in the binary.
//
// It imports nothing of presenced; every other package reaches the database through Store.
package persistence

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors; implementations wrap them so callers can use errors.Is.
var (
	// ErrNotFound: no row matched (unknown user id or username).
	ErrNotFound = errors.New("persistence: not found")
	// ErrUsernameTaken: a user with that username exists (compared case-insensitively).
	ErrUsernameTaken = errors.New("persistence: username taken")
)

// User is one account as stored.
type User struct {
	ID           int64
	Username     string
	Email        string
	PasswordHash string
	IsOnline     bool
	LastSeen     *time.Time // nil until the user has been seen offline once
	DateJoined   time.Time
	IsStaff      bool
}

// NewUser is what CreateUser needs. PasswordHash is already hashed by the caller.
type NewUser struct {
	Username     string
	Email        string
	PasswordHash string
	IsStaff      bool
}

// PresenceChange is one user's presence transition, written in batches by the
// background store writer (what Celery did in the original design).
type PresenceChange struct {
	UserID int64
	Online bool
	At     time.Time // when going offline this becomes last_seen
}

// RevokedToken is a token id (JWT jti) that must be refused until it would have expired anyway.
type RevokedToken struct {
	JTI       string
	ExpiresAt time.Time
}

// Store is the whole persistence surface. All methods are safe for concurrent use.
type Store interface {
	// CreateUser inserts a user; ErrUsernameTaken when the username exists in any case.
	CreateUser(ctx context.Context, u NewUser) (User, error)
	// UserByID returns ErrNotFound for an unknown id.
	UserByID(ctx context.Context, id int64) (User, error)
	// UserByUsername matches case-insensitively; ErrNotFound when absent.
	UserByUsername(ctx context.Context, username string) (User, error)
	// UsersByIDs returns the users that exist among ids, ordered by id.
	UsersByIDs(ctx context.Context, ids []int64) ([]User, error)
	// ListUsers returns one page ordered by id, and the total number of users.
	ListUsers(ctx context.Context, offset, limit int) ([]User, int, error)

	// ApplyPresence writes a batch of transitions in one transaction, in order.
	// Going offline sets is_online=false and last_seen=At; going online sets is_online=true.
	ApplyPresence(ctx context.Context, changes []PresenceChange) error
	// MarkAllOffline clears is_online for every user (at start and at shutdown of a
	// single node) and sets last_seen=at for those that were online. Returns how many changed.
	MarkAllOffline(ctx context.Context, at time.Time) (int64, error)

	// RevokeToken stores a revoked token id; revoking twice is not an error.
	RevokeToken(ctx context.Context, t RevokedToken) error
	// RevokedTokens lists revocations that have not expired at now (to fill a cache at start).
	RevokedTokens(ctx context.Context, now time.Time) ([]RevokedToken, error)
	// PurgeRevokedTokens deletes revocations that expired before now. Returns how many.
	PurgeRevokedTokens(ctx context.Context, now time.Time) (int64, error)

	// Ping checks that the database answers (for /readyz).
	Ping(ctx context.Context) error
	// Close releases the connections.
	Close() error
}
