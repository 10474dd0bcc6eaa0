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
//   - Usernames are unique without regard to case: two usernames are one user when their
//     UsernameKey (Unicode full case folding of the NFKC form) is equal, so "Émile",
//     "ÉMILE" and "E\u0301mile" are one user, and "Straße" and "STRASSE" too. The store
//     computes the key itself, in Go, from the username it is given, keeps it in the
//     username_key column under a UNIQUE index (the same on both backends, whatever
//     the database's locale), and stores the username as given, for display.
//     CreateUser refuses a username whose key is taken (ErrUsernameTaken), concurrent
//     calls included; UserByUsername looks the key up, so logging in is
//     case-insensitive too. Callers need not fold anything. A username changed
//     outside presenced (in SQL) must have username_key set to its UsernameKey with it.
//   - Every value reaches SQL as a bound parameter.
//   - Schema changes are numbered SQL files embedded in the binary (migrations/), some
//     with a Go step (migrate.go), applied by Open in one transaction and recorded in
//     schema_migrations. Opening an up-to-date database applies nothing; concurrent
//     opens apply each migration once (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory
//     lock). A migration that fails applies nothing: Open returns its error and the
//     database stays as it was. Migration 2 fills username_key; when existing users'
//     usernames have the same key, it fails with ErrUsernameClash naming them (username
//     and id), for an operator to rename all but one of each group before starting again.
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
	// ErrUsernameTaken: a user with that username exists (compared by UsernameKey).
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
	// CreateUser inserts a user, its username stored as given; ErrUsernameTaken when a
	// user's username has the same UsernameKey (any case, any Unicode form).
	CreateUser(ctx context.Context, u NewUser) (User, error)
	// UserByID returns ErrNotFound for an unknown id.
	UserByID(ctx context.Context, id int64) (User, error)
	// UserByUsername returns the user whose username has the UsernameKey of username
	// (any case, any Unicode form); ErrNotFound when there is none.
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
