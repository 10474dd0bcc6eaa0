package persistence

import (
	"cmp"
	"slices"
	"time"
)

// presenceUpdate is the net effect of a batch on one user.
type presenceUpdate struct {
	userID   int64
	online   bool
	lastSeen *time.Time // the last offline change's At, nil when the batch has none
}

// coalescePresence folds a batch into one update per user, ordered by user id. The
// result equals applying the changes in order, and a fixed row order keeps two
// concurrent batches (two nodes on one PostgreSQL) from deadlocking on each other.
func coalescePresence(changes []PresenceChange) []presenceUpdate {
	byUser := make(map[int64]*presenceUpdate, len(changes))
	for _, c := range changes {
		u := byUser[c.UserID]
		if u == nil {
			u = &presenceUpdate{userID: c.UserID}
			byUser[c.UserID] = u
		}
		u.online = c.Online
		if !c.Online {
			at := storedTime(c.At)
			u.lastSeen = &at
		}
	}
	out := make([]presenceUpdate, 0, len(byUser))
	for _, u := range byUser {
		out = append(out, *u)
	}
	slices.SortFunc(out, func(a, b presenceUpdate) int { return cmp.Compare(a.userID, b.userID) })
	return out
}
