package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/presenced/presenced/actors"
	"github.com/presenced/presenced/auth"
	"github.com/presenced/presenced/persistence"
)

// The composition root adapts auth and persistence to the small interfaces that
// actors and auth declare, so that those packages import nothing of each other.

// verifier is auth.Tokens seen as an actors.Verifier.
type verifier struct{ tokens *auth.Tokens }

func (v verifier) Verify(token string) (actors.Grant, error) {
	c, err := v.tokens.Verify(token)
	switch {
	case errors.Is(err, auth.ErrTokenExpired):
		return actors.Grant{}, actors.ErrTokenExpired
	case err != nil:
		return actors.Grant{}, fmt.Errorf("%w: %v", actors.ErrTokenInvalid, err)
	}
	return actors.Grant{UserID: c.UserID, JTI: c.JTI, ExpiresAt: c.ExpiresAt}, nil
}

func (v verifier) Revoked(jti string) bool { return v.tokens.IsRevoked(jti) }

// directory finds users in the store for socket binds.
type directory struct{ store persistence.Store }

func (d directory) User(ctx context.Context, id int64) (actors.User, error) {
	u, err := d.store.UserByID(ctx, id)
	if err != nil {
		return actors.User{}, err
	}
	return userView(u), nil
}

func (d directory) Users(ctx context.Context, ids []int64) ([]actors.User, error) {
	us, err := d.store.UsersByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]actors.User, len(us))
	for i, u := range us {
		out[i] = userView(u)
	}
	return out, nil
}

// roomVerifier is auth.Tokens' room tokens seen as an actors.RoomVerifier.
type roomVerifier struct{ tokens *auth.Tokens }

func (v roomVerifier) VerifyRoom(token string) (actors.RoomGrant, error) {
	c, err := v.tokens.VerifyRoom(token)
	switch {
	case errors.Is(err, auth.ErrRoomTokenExpired):
		return actors.RoomGrant{}, actors.ErrTokenExpired
	case err != nil:
		return actors.RoomGrant{}, fmt.Errorf("%w: %v", actors.ErrTokenInvalid, err)
	}
	return actors.RoomGrant{UserID: c.UserID, Room: c.Room, ExpiresAt: c.ExpiresAt}, nil
}

func userView(u persistence.User) actors.User {
	return actors.User{
		ID: u.ID, Username: u.Username, Email: u.Email, IsOnline: u.IsOnline,
		LastSeen: u.LastSeen, DateJoined: u.DateJoined, IsStaff: u.IsStaff,
	}
}

// presenceWriter writes the store writer actor's batches.
type presenceWriter struct{ store persistence.Store }

func (w presenceWriter) ApplyPresence(ctx context.Context, changes []actors.PresenceChange) error {
	out := make([]persistence.PresenceChange, len(changes))
	for i, c := range changes {
		out[i] = persistence.PresenceChange{UserID: c.UserID, Online: c.Online, At: c.At}
	}
	return w.store.ApplyPresence(ctx, out)
}

// revocationStore keeps auth's revocations in the store.
type revocationStore struct{ store persistence.Store }

func (r revocationStore) RevokeToken(ctx context.Context, jti string, exp time.Time) error {
	return r.store.RevokeToken(ctx, persistence.RevokedToken{JTI: jti, ExpiresAt: exp})
}

func (r revocationStore) RevokedTokens(ctx context.Context, now time.Time) (map[string]time.Time, error) {
	list, err := r.store.RevokedTokens(ctx, now)
	if err != nil {
		return nil, err
	}
	out := make(map[string]time.Time, len(list))
	for _, t := range list {
		out[t.JTI] = t.ExpiresAt
	}
	return out, nil
}
