package persistence

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

func TestCacheUsers(t *testing.T) {
	ctx := context.Background()
	base, err := Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "c.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer base.Close()
	s := CacheUsers(base, time.Minute, 4).(*userCache)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }

	u, err := s.CreateUser(ctx, NewUser{Username: "alice", Email: "a@x.org", PasswordHash: "h"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserByID(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	// A write through the cache is seen at once.
	if err := s.ApplyPresence(ctx, []PresenceChange{{UserID: u.ID, Online: true, At: now}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.UserByID(ctx, u.ID); !got.IsOnline {
		t.Fatal("cached user did not see a presence write made through the cache")
	}
	// A write behind its back (another node) shows after the ttl.
	if _, err := base.MarkAllOffline(ctx, now); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.UserByID(ctx, u.ID); !got.IsOnline {
		t.Fatal("expected the cached (stale) copy within the ttl")
	}
	now = now.Add(time.Minute)
	if got, _ := s.UserByID(ctx, u.ID); got.IsOnline {
		t.Fatal("stale copy served past the ttl")
	}
	// UsersByIDs: cached ones from the cache (stale within the ttl), the rest read
	// once; unknown ids skipped; ordered by id, each once.
	v, err := s.CreateUser(ctx, NewUser{Username: "bob", Email: "b@x.org", PasswordHash: "h"})
	if err != nil {
		t.Fatal(err)
	}
	if err := base.ApplyPresence(ctx, []PresenceChange{{UserID: u.ID, Online: true, At: now}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.UsersByIDs(ctx, []int64{999, v.ID, u.ID, v.ID})
	if err != nil || len(got) != 2 || got[0].ID != u.ID || got[1].ID != v.ID {
		t.Fatalf("UsersByIDs = %+v, %v", got, err)
	}
	if got[0].IsOnline {
		t.Fatal("UsersByIDs read a cached user again")
	}
	if err := base.ApplyPresence(ctx, []PresenceChange{{UserID: v.ID, Online: true, At: now}}); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.UsersByIDs(ctx, []int64{v.ID}); again[0].IsOnline {
		t.Fatal("UsersByIDs did not cache what it read")
	}
	// Unknown users are not cached and keep their error.
	if _, err := s.UserByID(ctx, 999); err == nil {
		t.Fatal("unknown user found")
	}
	// Bounded.
	for i := 0; i < 20; i++ {
		s.put(User{ID: int64(100 + i)}, now)
	}
	if s.users.Len() > 4 {
		t.Fatalf("cache holds %d users", s.users.Len())
	}
}
