package persistence

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/presenced/presenced/internal/boundedmap"
)

// userCache is a Store that keeps recently read users by id for a short time, since
// every authenticated request and socket bind reads its user. Writes through this
// store drop the users they change; changes made by another process (another node
// sharing PostgreSQL) show within ttl.
type userCache struct {
	Store
	ttl   time.Duration
	now   func() time.Time
	users *boundedmap.Map[int64, cachedUser]
}

type cachedUser struct {
	u  User
	at time.Time
}

var _ Store = (*userCache)(nil)

// CacheUsers wraps s with a cache of UserByID results, at most max users for ttl each.
func CacheUsers(s Store, ttl time.Duration, max int) Store {
	return &userCache{Store: s, ttl: ttl, now: time.Now, users: boundedmap.New[int64, cachedUser](max)}
}

func (c *userCache) UserByID(ctx context.Context, id int64) (User, error) {
	now := c.now()
	if e, ok := c.users.Get(id); ok && now.Sub(e.at) < c.ttl {
		return e.u, nil
	}
	u, err := c.Store.UserByID(ctx, id)
	if err == nil {
		c.put(u, now)
	}
	return u, err
}

// UsersByIDs answers the ids cached (and fresh) from the cache and reads the others in
// one query, which it caches: a watchlist asks for the same users again and again.
func (c *userCache) UsersByIDs(ctx context.Context, ids []int64) ([]User, error) {
	now := c.now()
	out := make([]User, 0, len(ids))
	var miss []int64
	for _, id := range ids {
		if e, ok := c.users.Get(id); ok && now.Sub(e.at) < c.ttl {
			out = append(out, e.u)
		} else {
			miss = append(miss, id)
		}
	}
	if len(miss) > 0 {
		read, err := c.Store.UsersByIDs(ctx, miss)
		if err != nil {
			return nil, err
		}
		for _, u := range read {
			c.put(u, now)
		}
		out = append(out, read...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return slices.CompactFunc(out, func(a, b User) bool { return a.ID == b.ID }), nil
}

func (c *userCache) put(u User, now time.Time) { c.users.Put(u.ID, cachedUser{u: u, at: now}) }

func (c *userCache) ApplyPresence(ctx context.Context, changes []PresenceChange) error {
	err := c.Store.ApplyPresence(ctx, changes)
	ids := make([]int64, len(changes))
	for i, ch := range changes {
		ids[i] = ch.UserID
	}
	c.users.Delete(ids...)
	return err
}

func (c *userCache) MarkAllOffline(ctx context.Context, at time.Time) (int64, error) {
	n, err := c.Store.MarkAllOffline(ctx, at)
	c.users.Clear()
	return n, err
}
