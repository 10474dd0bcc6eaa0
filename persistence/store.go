// Package persistence owns everything presenced keeps on disk: user accounts, their
// last-known presence columns (is_online, last_seen) and revoked tokens. It offers one
// Store interface with two implementations, SQLite (the embedded default, pure Go) and
// PostgreSQL, both migrated at start from versioned SQL files embedded in the binary.
//
// It imports nothing of presenced; every other package reaches the database through Store.
//
// Conventions shared by both backends, checked by one conformance suite:
//
//   - Times are stored in UTC at microsecond resolution (PostgreSQL's) and come back as
//     UTC time.Time values; a time with nanoseconds comes back truncated to the microsecond.
//   - Usernames are unique case-insensitively. SQLite's NOCASE folds ASCII letters only;
//     PostgreSQL's lower() lowercases what the database's LC_CTYPE knows (non-ASCII
//     letters too under a UTF-8 locale; simple lowercasing, so "STRASSE" is not
//     "straße"). The HTTP layer case-folds usernames before they reach the store, so the
//     store compares the values it is given and stores them as given.
//   - Every value reaches SQL as a bound parameter.
//   - Schema changes are numbered SQL files embedded in the binary (migrations/), applied
//     by Open in one transaction and recorded in schema_migrations. Opening an up-to-date
//     database applies nothing; concurrent opens apply each migration once (SQLite:
//     BEGIN IMMEDIATE; PostgreSQL: an advisory lock).
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
	// UsersByIDs returns the users that exist among ids, ordered by id, each once.
	// Unknown ids are skipped; no ids means no query.
	UsersByIDs(ctx context.Context, ids []int64) ([]User, error)
	// ListUsers returns one page ordered by id, and the total number of users.
	// A limit of 0 returns no users, only the total; a negative offset or limit is an error.
	ListUsers(ctx context.Context, offset, limit int) ([]User, int, error)

	// ApplyPresence writes a batch of transitions in one transaction, with the effect of
	// applying them in order. Going offline sets is_online=false and last_seen=At; going
	// online sets is_online=true and keeps last_seen. Unknown user ids are ignored.
	ApplyPresence(ctx context.Context, changes []PresenceChange) error
	// MarkAllOffline clears is_online for every user (at start and at shutdown of a
	// single node) and sets last_seen=at for those that were online. Returns how many changed.
	MarkAllOffline(ctx context.Context, at time.Time) (int64, error)

	// RevokeToken stores a revoked token id; revoking twice is not an error (the later
	// expiry is kept).
	RevokeToken(ctx context.Context, t RevokedToken) error
	// RevokedTokens lists revocations that have not expired at now (ExpiresAt after now),
	// by expiry, to fill a cache at start.
	RevokedTokens(ctx context.Context, now time.Time) ([]RevokedToken, error)
	// PurgeRevokedTokens deletes revocations that have expired at now (ExpiresAt not after
	// now: a JWT is refused from its exp on), the complement of RevokedTokens. Returns how many.
	PurgeRevokedTokens(ctx context.Context, now time.Time) (int64, error)

	// Ping checks that the database answers (for /readyz).
	Ping(ctx context.Context) error
	// Close releases the connections. Calling it again is harmless.
	Close() error
}

// storedTime is t as the database keeps it: UTC, at microsecond resolution
// (PostgreSQL's; the SQLite backend truncates the same way so both behave alike).
func storedTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}
