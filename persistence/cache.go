package persistence

import (
	"context"
	"sync"
	"time"
)

// userCache is a Store that keeps recently read users by id for a short time, since
// every authenticated request and socket bind reads its user. Writes through this
// store drop the users they change; changes made by another process (another node
// sharing PostgreSQL) show within ttl.
type userCache struct {
	Store
	ttl time.Duration
	max int
	now func() time.Time

	mu    sync.RWMutex
	users map[int64]cachedUser
}

type cachedUser struct {
	u  User
	at time.Time
}

var _ Store = (*userCache)(nil)

// CacheUsers wraps s with a cache of UserByID results, at most max users for ttl each.
func CacheUsers(s Store, ttl time.Duration, max int) Store {
	return &userCache{Store: s, ttl: ttl, max: max, now: time.Now, users: map[int64]cachedUser{}}
}

func (c *userCache) UserByID(ctx context.Context, id int64) (User, error) {
	now := c.now()
	c.mu.RLock()
	e, ok := c.users[id]
	c.mu.RUnlock()
	if ok && now.Sub(e.at) < c.ttl {
		return e.u, nil
	}
	u, err := c.Store.UserByID(ctx, id)
	if err == nil {
		c.put(u, now)
	}
	return u, err
}

func (c *userCache) put(u User, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.users) >= c.max { // full: forget an arbitrary half (Go's map order)
		for id := range c.users {
			delete(c.users, id)
			if len(c.users) < c.max/2 {
				break
			}
		}
	}
	c.users[u.ID] = cachedUser{u: u, at: now}
}

func (c *userCache) forget(ids ...int64) {
	c.mu.Lock()
	for _, id := range ids {
		delete(c.users, id)
	}
	c.mu.Unlock()
}

func (c *userCache) ApplyPresence(ctx context.Context, changes []PresenceChange) error {
	err := c.Store.ApplyPresence(ctx, changes)
	ids := make([]int64, len(changes))
	for i, ch := range changes {
		ids[i] = ch.UserID
	}
	c.forget(ids...)
	return err
}

func (c *userCache) MarkAllOffline(ctx context.Context, at time.Time) (int64, error) {
	n, err := c.Store.MarkAllOffline(ctx, at)
	c.mu.Lock()
	clear(c.users)
	c.mu.Unlock()
	return n, err
}
