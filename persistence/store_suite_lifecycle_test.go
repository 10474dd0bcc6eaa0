package persistence

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"
)

var lifecycleCases = []suiteCase{
	{"ConcurrentCreateSameName", testConcurrentCreateSameName},
	{"ConcurrentWrites", testConcurrentWrites},
	{"ReopenKeepsDataAppliesNothing", testReopen},
	{"ConcurrentOpenMigratesOnce", testConcurrentOpen},
	{"ContextCancelled", testContextCancelled},
	{"EmptyIDsNoQuery", testEmptyIDsNoQuery},
	{"PingAndClose", testPingAndClose},
}

type migrationLister interface {
	appliedMigrations(ctx context.Context) (map[int]time.Time, error)
}

func applied(t *testing.T, s Store) map[int]time.Time {
	t.Helper()
	m, err := s.(migrationLister).appliedMigrations(t.Context())
	if err != nil {
		t.Fatalf("appliedMigrations: %v", err)
	}
	return m
}

func testConcurrentCreateSameName(t *testing.T, b backend) {
	s := newStore(t, b)
	// One username in many cases and Unicode forms: one key.
	forms := []string{"Émile", "émile", "ÉMILE", "E\u0301mile", "e\u0301MILE", "Ｅ\u0301ｍｉｌｅ", "éMiLe"}
	const n = 21
	var (
		start = make(chan struct{})
		wg    sync.WaitGroup
		errs  = make([]error, n)
	)
	for i := range n {
		name := forms[i%len(forms)]
		wg.Go(func() {
			<-start
			_, errs[i] = s.CreateUser(t.Context(), NewUser{Username: name, PasswordHash: "x"})
		})
	}
	close(start)
	wg.Wait()
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, ErrUsernameTaken):
			t.Errorf("goroutine %d: %v, want nil or ErrUsernameTaken", i, err)
		}
	}
	if wins != 1 {
		t.Errorf("%d CreateUser calls won, want exactly 1", wins)
	}
	if _, total, err := s.ListUsers(t.Context(), 0, 100); err != nil || total != 1 {
		t.Errorf("ListUsers total = %d, %v; want 1", total, err)
	}
}

// testConcurrentWrites is what a busy server does: registrations, the presence
// writer, logouts and reads all at once. Any error (SQLITE_BUSY above all) fails.
func testConcurrentWrites(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := t.Context()
	const registrars, perRegistrar = 8, 20
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created []int64
		done    = make(chan struct{})
	)
	fail := func(format string, args ...any) { t.Errorf(format, args...) }
	for r := range registrars {
		wg.Go(func() {
			for i := range perRegistrar {
				u, err := s.CreateUser(ctx, NewUser{Username: fmt.Sprintf("r%d-u%d", r, i), PasswordHash: "x"})
				if err != nil {
					fail("CreateUser: %v", err)
					return
				}
				mu.Lock()
				created = append(created, u.ID)
				mu.Unlock()
				if err := s.ApplyPresence(ctx, []PresenceChange{{UserID: u.ID, Online: true, At: time.Now()}}); err != nil {
					fail("ApplyPresence: %v", err)
				}
				if err := s.RevokeToken(ctx, RevokedToken{JTI: fmt.Sprintf("r%d-t%d", r, i), ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
					fail("RevokeToken: %v", err)
				}
			}
		})
	}
	var bg sync.WaitGroup
	bg.Go(func() { // the background presence writer, flushing every few milliseconds
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for online := false; ; online = !online {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			mu.Lock()
			var batch []PresenceChange
			for _, id := range created[max(0, len(created)-10):] { // the latest few users flap
				batch = append(batch, PresenceChange{UserID: id, Online: online, At: time.Now()})
			}
			mu.Unlock()
			if err := s.ApplyPresence(ctx, batch); err != nil {
				fail("background ApplyPresence: %v", err)
				return
			}
		}
	})
	for range 4 { // readers
		bg.Go(func() {
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-done:
					return
				case <-tick.C:
				}
				users, _, err := s.ListUsers(ctx, 0, 20)
				if err == nil {
					_, err = s.UsersByIDs(ctx, ids(users))
				}
				if err == nil {
					_, err = s.RevokedTokens(ctx, time.Now().Add(50*time.Minute))
				}
				if err != nil {
					fail("reader: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(done)
	bg.Wait()
	if _, total, err := s.ListUsers(ctx, 0, 1); err != nil || total != registrars*perRegistrar {
		t.Errorf("ListUsers total = %d, %v; want %d", total, err, registrars*perRegistrar)
	}
}

func testReopen(t *testing.T, b backend) {
	dsn := b.newDSN(t)
	s := openStore(t, dsn)
	ctx := t.Context()
	u := mustCreate(t, s, "Keeper")
	if err := s.ApplyPresence(ctx, []PresenceChange{{UserID: u.ID, Online: false, At: t1}}); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeToken(ctx, RevokedToken{JTI: "kept", ExpiresAt: t2}); err != nil {
		t.Fatal(err)
	}
	u = mustUser(t, s, u.ID)
	before := applied(t, s)
	known, err := loadMigrations(migrationFiles, b.migrationsDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(before) != len(known) {
		t.Fatalf("schema_migrations has %d rows, want %d", len(before), len(known))
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	for range 2 {
		s = openStore(t, dsn)
		sameUser(t, mustUser(t, s, u.ID), u)
		if got, err := s.UserByUsername(ctx, "KEEPER"); err != nil || got.ID != u.ID {
			t.Errorf("UserByUsername after reopen = %v, %v", got.ID, err)
		}
		if toks, err := s.RevokedTokens(ctx, t1); err != nil || len(toks) != 1 || toks[0].JTI != "kept" {
			t.Errorf("RevokedTokens after reopen = %v, %v", toks, err)
		}
		after := applied(t, s)
		if fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("reopen changed schema_migrations:\n before %v\n after  %v", before, after)
		}
		if _, err := s.CreateUser(ctx, NewUser{Username: "keeper", PasswordHash: "x"}); !errors.Is(err, ErrUsernameTaken) {
			t.Errorf("unique index lost on reopen: CreateUser(keeper) err = %v", err)
		}
		_ = s.Close()
	}
}

func testConcurrentOpen(t *testing.T, b backend) {
	dsn := b.newDSN(t)
	const n = 6
	var (
		wg     sync.WaitGroup
		start  = make(chan struct{})
		stores = make([]Store, n)
		errs   = make([]error, n)
	)
	for i := range n {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = Open(t.Context(), dsn, slog.New(slog.DiscardHandler))
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("Open #%d: %v", i, errs[i])
			continue
		}
		t.Cleanup(func() { _ = stores[i].Close() })
	}
	if t.Failed() {
		return
	}
	known, _ := loadMigrations(migrationFiles, b.migrationsDir)
	if got := applied(t, stores[0]); len(got) != len(known) {
		t.Errorf("schema_migrations = %v, want %d versions", got, len(known))
	}
	mustCreate(t, stores[n-1], "after-concurrent-open")
}

func testContextCancelled(t *testing.T, b backend) {
	s := newStore(t, b)
	u := mustCreate(t, s, "ctx")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	calls := map[string]func() error{
		"CreateUser":     func() error { _, err := s.CreateUser(ctx, NewUser{Username: "ctx2", PasswordHash: "x"}); return err },
		"UserByID":       func() error { _, err := s.UserByID(ctx, u.ID); return err },
		"UserByUsername": func() error { _, err := s.UserByUsername(ctx, "ctx"); return err },
		"UsersByIDs":     func() error { _, err := s.UsersByIDs(ctx, []int64{u.ID}); return err },
		"ListUsers":      func() error { _, _, err := s.ListUsers(ctx, 0, 10); return err },
		"ApplyPresence": func() error {
			return s.ApplyPresence(ctx, []PresenceChange{{UserID: u.ID, Online: true, At: t1}})
		},
		"MarkAllOffline":     func() error { _, err := s.MarkAllOffline(ctx, t1); return err },
		"RevokeToken":        func() error { return s.RevokeToken(ctx, RevokedToken{JTI: "j", ExpiresAt: t2}) },
		"RevokedTokens":      func() error { _, err := s.RevokedTokens(ctx, t1); return err },
		"PurgeRevokedTokens": func() error { _, err := s.PurgeRevokedTokens(ctx, t1); return err },
		"Ping":               func() error { return s.Ping(ctx) },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: err = %v, want context.Canceled", name, err)
		}
	}
	// Nothing was written.
	if got := mustUser(t, s, u.ID); got.IsOnline {
		t.Error("ApplyPresence with a cancelled context wrote")
	}
	if _, err := s.UserByUsername(t.Context(), "ctx2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("CreateUser with a cancelled context wrote: %v", err)
	}
	if _, err := Open(ctx, b.newDSN(t), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Open with a cancelled context: err = %v, want context.Canceled", err)
	}
}

func testEmptyIDsNoQuery(t *testing.T, b backend) {
	s := newStore(t, b)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// A closed store fails any query, so success proves none was made.
	for _, in := range [][]int64{nil, {}} {
		got, err := s.UsersByIDs(t.Context(), in)
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("UsersByIDs(%v) on a closed store = %v, %v; want empty, no error", in, got, err)
		}
	}
	if err := s.ApplyPresence(t.Context(), nil); err != nil {
		t.Errorf("ApplyPresence(nil) on a closed store: %v; want no query", err)
	}
	if _, err := s.UserByID(t.Context(), 1); err == nil {
		t.Error("UserByID on a closed store succeeded; the check above proves nothing")
	}
}

func testPingAndClose(t *testing.T, b backend) {
	s := newStore(t, b)
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.Ping(t.Context()); err == nil {
		t.Error("Ping after Close succeeded")
	}
}
