package actors

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/presenced/presenced/internal/closereason"
)

// placesHeld asks the places actor how many places user holds, and how many in all.
func (h *harness) placesHeld(user int64) (held, total int) {
	h.t.Helper()
	res, err := h.sys.root.RequestFuture(h.sys.places, &getPlacesRequest{user: user}, time.Second).Result()
	if err != nil {
		h.t.Fatal(err)
	}
	r := res.(*getPlacesResponse)
	return r.held, r.total
}

// token adds another token of user id (another login).
func (h *harness) token(id int64, expires time.Time) string {
	h.ver.mu.Lock()
	defer h.ver.mu.Unlock()
	tok := fmt.Sprintf("tok-%d-%d", id, len(h.ver.grants))
	h.ver.grants[tok] = Grant{UserID: id, JTI: "jti-" + tok, ExpiresAt: expires}
	return tok
}

// login sends ng-action login with an ack and waits for the ack.
func (p *probe) login(t *testing.T, tok string, ackID int64) string {
	t.Helper()
	p.send(map[string]any{"action": "login", "token": tok}, ackID)
	eventually(t, fmt.Sprintf("ack %d", ackID), 2*time.Second, func() bool { return p.ack(ackID) != "" })
	return p.ack(ackID)
}

const (
	ackOK      = `{"ok":true}`
	ackTooMany = `{"code":"too_many_connections","ok":false}`
)

func TestPlacesLimitIsExactUnderConcurrency(t *testing.T) {
	const limit, sockets = 5, 40
	h := newHarness(t, func(c *Config) { c.MaxConnsPerUser = limit; c.PingInterval = time.Hour })
	_, tok := h.user(1, "alice")
	probes := make([]*probe, sockets)
	for i := range probes {
		probes[i] = h.open("")
	}
	var wg sync.WaitGroup
	for _, p := range probes {
		wg.Go(func() { p.send(map[string]any{"action": "login", "token": tok}, 1) })
	}
	wg.Wait()
	var ok, refused []*probe
	for _, p := range probes {
		eventually(t, "every login answered", 2*time.Second, func() bool { return p.ack(1) != "" })
		switch p.ack(1) {
		case ackOK:
			ok = append(ok, p)
		case ackTooMany:
			refused = append(refused, p)
		default:
			t.Fatalf("ack %s", p.ack(1))
		}
	}
	if len(ok) != limit || len(refused) != sockets-limit {
		t.Fatalf("%d binds succeeded and %d were refused; want exactly %d", len(ok), len(refused), limit)
	}
	for _, p := range refused {
		errs := p.named(EventError)
		if len(errs) != 1 || errs[0]["code"] != CodeTooManyConnections {
			t.Fatalf("refused socket's error events: %v", errs)
		}
	}
	if n := h.sys.Stats().BindsTooMany.Load(); n != sockets-limit {
		t.Fatalf("BindsTooMany = %d", n)
	}
	eventually(t, "the bound sockets counted", time.Second, func() bool { return h.sys.Stats().ConnsBound.Load() == limit })
	if held, _ := h.placesHeld(1); held != limit {
		t.Fatalf("%d places held", held)
	}
	time.Sleep(50 * time.Millisecond)
	for _, p := range refused {
		if len(p.named(EventUpdateUserOnline)) != 0 {
			t.Fatal("a refused socket got an update: it was bound")
		}
	}
	// Closing one frees its place for one of the refused.
	ok[0].Close(closereason.ClientClosed)
	eventually(t, "the place given back", time.Second, func() bool { held, _ := h.placesHeld(1); return held == limit-1 })
	if got := refused[0].login(t, tok, 2); got != ackOK {
		t.Fatalf("after a close, a bind acked %s", got)
	}
	if got := refused[1].login(t, tok, 2); got != ackTooMany {
		t.Fatalf("beyond the limit again, a bind acked %s", got)
	}
}

func TestPlacesConnectAuth(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxConnsPerUser = 2 })
	_, tok := h.user(1, "alice")
	a, b := h.open(tok), h.open(tok)
	_, err := h.sys.OpenConn("third", &probe{t: t}, h.sys.Resolve(context.Background(), tok))
	if !errors.Is(err, ErrTooManyConnections) {
		t.Fatalf("third bound socket: err = %v", err)
	}
	if h.sys.Stats().BindsTooMany.Load() != 1 {
		t.Fatal("refusal not counted")
	}
	// Anonymous sockets take no place; another user is not affected.
	h.open("")
	_, tokB := h.user(2, "bob")
	h.open(tokB)
	b.Close(closereason.ClientClosed)
	eventually(t, "b's place given back", time.Second, func() bool { held, _ := h.placesHeld(1); return held == 1 })
	h.open(tok)
	if a.closedReason() != "" {
		t.Fatal("a socket was closed")
	}
}

func TestPlacesRebind(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxConnsPerUser = 1 })
	_, tokA := h.user(1, "alice")
	_, tokB := h.user(2, "bob")
	s := h.open(tokA)
	// A new token of the same user (another login) is the same socket: no second place.
	tokA2 := h.token(1, time.Now().Add(time.Hour))
	if got := s.login(t, tokA2, 1); got != ackOK {
		t.Fatalf("rebinding to the same user acked %s", got)
	}
	if held, total := h.placesHeld(1); held != 1 || total != 1 {
		t.Fatalf("after a same-user rebind: %d held, %d in all", held, total)
	}
	// Moving to another user takes one of bob's places and gives alice's back.
	if got := s.login(t, tokB, 2); got != ackOK {
		t.Fatalf("moving to bob acked %s", got)
	}
	eventually(t, "alice's place given back", time.Second, func() bool { held, _ := h.placesHeld(1); return held == 0 })
	if held, total := h.placesHeld(2); held != 1 || total != 1 {
		t.Fatalf("after moving: bob %d, in all %d", held, total)
	}
	// A refused move leaves the socket bound as before.
	other := h.open("")
	if got := other.login(t, tokB, 1); got != ackTooMany {
		t.Fatalf("bob's second socket acked %s", got)
	}
	o2 := h.open(tokA)
	if got := o2.login(t, tokB, 1); got != ackTooMany {
		t.Fatalf("moving alice's socket to a full bob acked %s", got)
	}
	eventually(t, "alice still online", time.Second, func() bool { return h.sys.Online().IsOnline(1) })
	if held, _ := h.placesHeld(1); held != 1 {
		t.Fatalf("the refused move changed alice's places: %d", held)
	}
}

// crashConn is a test message that makes a conn actor panic.
type crashConn struct{}

func TestPlacesFreedOnEveryWayOut(t *testing.T) {
	panicking := func(next actor.ReceiverFunc) actor.ReceiverFunc {
		return func(c actor.ReceiverContext, env *actor.MessageEnvelope) {
			if _, ok := env.Message.(*crashConn); ok {
				panic("boom")
			}
			next(c, env)
		}
	}
	tests := []struct {
		name string
		// bind returns the socket holding the one place and the token it used
		leave func(t *testing.T, h *harness, s *probe, tok string)
	}{
		{"ng-action logout", func(t *testing.T, h *harness, s *probe, _ string) {
			s.send(map[string]any{"action": "logout"}, -1)
		}},
		{"HTTP logout (the token revoked)", func(t *testing.T, h *harness, s *probe, tok string) {
			h.ver.revoke(tok)
			h.sys.TokenRevoked(1, "jti-"+tok, time.Now().Add(time.Hour))
			eventually(t, "logged_out", time.Second, func() bool { return len(s.named(EventLoggedOut)) == 1 })
		}},
		{"socket closed", func(t *testing.T, h *harness, s *probe, _ string) {
			s.Close(closereason.ClientClosed)
		}},
		{"conn actor failed", func(t *testing.T, h *harness, s *probe, _ string) {
			h.sys.root.Send(s.conn.pid, &crashConn{})
			eventually(t, "the failed conn's socket closed", time.Second, func() bool { return s.closedReason() == CloseActorFailed })
		}},
		{"moved to another user", func(t *testing.T, h *harness, s *probe, _ string) {
			_, tokB := h.user(2, "bob")
			if got := s.login(t, tokB, 50); got != ackOK {
				t.Fatalf("move acked %s", got)
			}
		}},
		{"closed while its bind waited", func(t *testing.T, h *harness, s *probe, _ string) {
			s.send(map[string]any{"action": "logout"}, -1)
			tok2 := h.token(1, time.Now().Add(time.Hour))
			s.send(map[string]any{"action": "login", "token": tok2}, -1)
			s.Close(closereason.ClientClosed)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(c *Config) {
				c.MaxConnsPerUser = 1
				c.connMiddleware = []actor.ReceiverMiddleware{panicking}
			})
			_, tok := h.user(1, "alice")
			s := h.open("")
			s.keepAlive(t, nil)
			if got := s.login(t, tok, 1); got != ackOK {
				t.Fatalf("first bind acked %s", got)
			}
			other := h.open("")
			if got := other.login(t, tok, 1); got != ackTooMany {
				t.Fatalf("second bind acked %s", got)
			}
			tc.leave(t, h, s, tok)
			eventually(t, "the place given back", 2*time.Second, func() bool { held, _ := h.placesHeld(1); return held == 0 })
			tokOther := h.token(1, time.Now().Add(time.Hour))
			if got := other.login(t, tokOther, 2); got != ackOK {
				t.Fatalf("after the first socket left, a bind acked %s", got)
			}
		})
	}
}

func TestPlacesFreedOnTokenExpiry(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxConnsPerUser = 1 })
	h.dir[1] = User{ID: 1, Username: "alice"}
	short := h.token(1, time.Now().Add(100*time.Millisecond))
	s := h.open(short)
	s.keepAlive(t, nil)
	eventually(t, "token_expired", 2*time.Second, func() bool { return len(s.named(EventLoggedOut)) == 1 })
	eventually(t, "the place given back", time.Second, func() bool { held, _ := h.placesHeld(1); return held == 0 })
	h.open(h.token(1, time.Now().Add(time.Hour)))
}

// TestPlacesNeverLeak binds and closes sockets of a few users in every order, some
// closing before their bind is answered, and checks that no place is left.
func TestPlacesNeverLeak(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxConnsPerUser = 3; c.PingInterval = time.Hour })
	toks := map[int64]string{}
	for id := int64(1); id <= 3; id++ {
		_, toks[id] = h.user(id, fmt.Sprint("u", id))
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 7))
			for i := range 50 {
				p := &probe{t: t}
				var creds *Credentials
				if r.IntN(2) == 0 {
					creds = h.sys.Resolve(context.Background(), toks[int64(r.IntN(3)+1)])
				}
				c, err := h.sys.OpenConn(fmt.Sprintf("leak-%d-%d", g, i), p, creds)
				if errors.Is(err, ErrTooManyConnections) {
					continue
				}
				p.mu.Lock()
				p.conn = c
				p.mu.Unlock()
				for range r.IntN(3) {
					p.send(map[string]any{"action": "login", "token": toks[int64(r.IntN(3)+1)]}, -1)
				}
				if r.IntN(3) == 0 {
					p.send(map[string]any{"action": "logout"}, -1)
				}
				if r.IntN(2) == 0 {
					time.Sleep(time.Millisecond)
				}
				p.Close(closereason.ClientClosed)
			}
		})
	}
	wg.Wait()
	eventually(t, "every conn gone", 3*time.Second, func() bool {
		return h.sys.Stats().ConnsBound.Load()+h.sys.Stats().ConnsAnonymous.Load() == 0
	})
	eventually(t, "no place left", time.Second, func() bool { _, total := h.placesHeld(1); return total == 0 })
}

func TestPlacesNoLimit(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxConnsPerUser = -1 })
	_, tok := h.user(1, "alice")
	for range 30 {
		h.open(tok)
	}
	if h.sys.places != nil {
		t.Fatal("a places actor without a limit")
	}
	eventually(t, "30 bound", time.Second, func() bool { return h.sys.Stats().ConnsBound.Load() == 30 })
}

// TestPlacesRefusedTokenInPongs: the original SPA repeats its token in every pong; a
// tab refused for the limit is told once, and its pongs ask for no place again.
func TestPlacesRefusedTokenInPongs(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxConnsPerUser = 1 })
	_, tok := h.user(1, "alice")
	h.open(tok).keepAlive(t, tok)
	spa := h.open("")
	spa.keepAlive(t, tok) // binds the original way, by its pongs
	eventually(t, "several sweeps answered", 2*time.Second, func() bool { return len(spa.named(EventPing)) >= 5 })
	if errs := spa.named(EventError); len(errs) != 1 || errs[0]["code"] != CodeTooManyConnections {
		t.Fatalf("error events %v, want one too_many_connections", errs)
	}
	if n := h.sys.Stats().BindsTooMany.Load(); n != 1 {
		t.Fatalf("%d refusals counted: the pongs asked for a place again", n)
	}
	// An explicit login asks at once, and acks the refusal.
	if got := spa.login(t, tok, 7); got != ackTooMany {
		t.Fatalf("login acked %s", got)
	}
	if spa.closedReason() != "" {
		t.Fatal("the refused tab was closed")
	}
}
