package actors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/presenced/presenced/internal/closereason"
)

// ---- fakes of the ports (unit test of the actor package alone) ----

type fakeVerifier struct {
	mu      sync.Mutex
	grants  map[string]Grant
	revoked map[string]bool // jti
}

// revoke refuses tok from now on, as auth.Tokens.Revoke does before presence hears of it.
func (v *fakeVerifier) revoke(tok string) {
	v.mu.Lock()
	if v.revoked == nil {
		v.revoked = map[string]bool{}
	}
	v.revoked[v.grants[tok].JTI] = true
	delete(v.grants, tok)
	v.mu.Unlock()
}

func (v *fakeVerifier) Revoked(jti string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.revoked[jti]
}

func (v *fakeVerifier) Verify(tok string) (Grant, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	g, ok := v.grants[tok]
	if !ok {
		return Grant{}, ErrTokenInvalid
	}
	if !g.ExpiresAt.IsZero() && time.Now().After(g.ExpiresAt) {
		return Grant{}, ErrTokenExpired
	}
	return g, nil
}

type fakeDirectory map[int64]User

func (d fakeDirectory) User(_ context.Context, id int64) (User, error) {
	u, ok := d[id]
	if !ok {
		return User{}, errors.New("no such user")
	}
	return u, nil
}

func (d fakeDirectory) Users(_ context.Context, ids []int64) ([]User, error) {
	var out []User
	for _, id := range ids {
		if u, ok := d[id]; ok {
			out = append(out, u)
		}
	}
	return out, nil
}

type fakeWriter struct {
	mu      sync.Mutex
	changes []PresenceChange
}

func (w *fakeWriter) ApplyPresence(_ context.Context, c []PresenceChange) error {
	w.mu.Lock()
	w.changes = append(w.changes, c...)
	w.mu.Unlock()
	return nil
}

func (w *fakeWriter) all() []PresenceChange {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.changes)
}

// probe is a Socket that records what the conn actor sends, and behaves like the
// transport on Close: it reports the closure back.
type probe struct {
	t      *testing.T
	mu     sync.Mutex
	events []recorded
	acks   map[int64]string
	closed closereason.Reason
	conn   *Conn
}

type recorded struct {
	name string
	data map[string]any
}

func (p *probe) Emit(ev *Event) bool {
	var m map[string]any
	if err := json.Unmarshal(ev.Data, &m); err != nil {
		p.t.Errorf("event %s: bad JSON %s", ev.Name, ev.Data)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed != "" {
		return false
	}
	p.events = append(p.events, recorded{ev.Name, m})
	return true
}

func (p *probe) Ack(id int64, data []byte) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.acks == nil {
		p.acks = map[int64]string{}
	}
	p.acks[id] = string(data)
	return true
}

func (p *probe) Close(reason closereason.Reason) {
	p.mu.Lock()
	first := p.closed == ""
	if first {
		p.closed = reason
	}
	c := p.conn
	p.mu.Unlock()
	if first && c != nil {
		go c.Closed(reason)
	}
}

func (p *probe) named(name string) []map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []map[string]any
	for _, e := range p.events {
		if e.name == name {
			out = append(out, e.data)
		}
	}
	return out
}

func (p *probe) closedReason() closereason.Reason {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

func (p *probe) ack(id int64) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.acks[id]
}

// ---- harness ----

type harness struct {
	t      *testing.T
	sys    *System
	ver    *fakeVerifier
	dir    fakeDirectory
	writer *fakeWriter
	n      int
}

func newHarness(t *testing.T, tweak func(*Config)) *harness {
	t.Helper()
	h := &harness{t: t, ver: &fakeVerifier{grants: map[string]Grant{}}, dir: fakeDirectory{}, writer: &fakeWriter{}}
	cfg := Config{
		PingInterval: 40 * time.Millisecond, PongTimeout: 200 * time.Millisecond,
		OfflineGrace: 150 * time.Millisecond, Coalesce: 10 * time.Millisecond,
		Verifier: h.ver, Directory: h.dir, Writer: h.writer,
	}
	if tweak != nil {
		tweak(&cfg)
	}
	sys, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.sys = sys
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := sys.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return h
}

func (h *harness) user(id int64, name string) (User, string) {
	u := User{ID: id, Username: name, Email: name + "@example.org"}
	h.dir[id] = u
	tok := fmt.Sprintf("tok-%s-%d", name, len(h.ver.grants))
	h.ver.mu.Lock()
	h.ver.grants[tok] = Grant{UserID: id, JTI: "jti-" + tok, ExpiresAt: time.Now().Add(time.Hour)}
	h.ver.mu.Unlock()
	return u, tok
}

// open connects a socket, bound at CONNECT when tok is not empty.
func (h *harness) open(tok string) *probe {
	h.t.Helper()
	h.n++
	p := &probe{t: h.t}
	var creds *Credentials
	if tok != "" {
		creds = h.sys.Resolve(context.Background(), tok)
		if creds.Err != nil {
			h.t.Fatal(creds.Err)
		}
	}
	c, err := h.sys.OpenConn(fmt.Sprintf("sock-%d", h.n), p, creds)
	if err != nil {
		h.t.Fatal(err)
	}
	p.mu.Lock()
	p.conn = c
	p.mu.Unlock()
	return p
}

func (p *probe) send(action map[string]any, ackID int64) {
	b, _ := json.Marshal(action)
	p.conn.Event(EventNgAction, []json.RawMessage{b}, ackID)
}

func (p *probe) pong(tok any) {
	p.send(map[string]any{"action": "pong", "socket_id": "x", "token": tok}, -1)
}

// keepAlive answers every ping until the test ends.
func (p *probe) keepAlive(t *testing.T, tok any) {
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	go func() {
		seen := 0
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			if n := len(p.named(EventPing)); n > seen {
				seen = n
				p.pong(tok)
			}
		}
	}()
}

func eventually(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("timed out after %v waiting for %s", within, what)
}

func lastUpdate(p *probe) map[string]any {
	u := p.named(EventUpdateUserOnline)
	if len(u) == 0 {
		return nil
	}
	return u[len(u)-1]
}

func onlineIDs(m map[string]any) []int64 {
	var out []int64
	for _, u := range m["users"].([]any) {
		out = append(out, int64(u.(map[string]any)["id"].(float64)))
	}
	return out
}

func num(v any) int64 { return int64(v.(float64)) }

// ---- tests ----

func TestTwoUsersSeeEachOther(t *testing.T) {
	h := newHarness(t, nil)
	_, ta := h.user(1, "alice")
	_, tb := h.user(2, "bob")
	a := h.open(ta)
	a.keepAlive(t, ta)
	eventually(t, "alice's snapshot", time.Second, func() bool { return lastUpdate(a) != nil })
	first := lastUpdate(a)
	if got := onlineIDs(first); !slices.Equal(got, []int64{1}) || num(first["version"]) != 1 {
		t.Fatalf("alice's first update: %v", first)
	}

	// bob binds the original way: an anonymous socket answers a ping with its token.
	b := h.open("")
	eventually(t, "a ping to bob", time.Second, func() bool { return len(b.named(EventPing)) > 0 })
	if len(b.named(EventUpdateUserOnline)) != 0 {
		t.Fatal("anonymous socket got an update")
	}
	b.keepAlive(t, tb)
	eventually(t, "bob's snapshot", time.Second, func() bool { return lastUpdate(b) != nil })
	bs := lastUpdate(b)
	if got := onlineIDs(bs); !slices.Equal(got, []int64{1, 2}) || num(bs["version"]) != 2 || num(bs["count"]) != 2 {
		t.Fatalf("bob's first update: %v", bs)
	}
	eventually(t, "alice sees bob join", time.Second, func() bool { return num(lastUpdate(a)["version"]) == 2 })
	diff := lastUpdate(a)
	if _, hasUsers := diff["users"]; hasUsers {
		t.Fatalf("a diff carried the full list: %v", diff)
	}
	joined := diff["joined"].([]any)
	if len(joined) != 1 || joined[0].(map[string]any)["username"] != "bob" || joined[0].(map[string]any)["is_online"] != true {
		t.Fatalf("joined = %v", joined)
	}
	if snap := h.sys.Online(); snap.Version != 2 || len(snap.Users) != 2 {
		t.Fatalf("HTTP snapshot = %+v", snap)
	}

	// A second tab for bob: alice sees nothing; the tab gets the full list.
	b2 := h.open(tb)
	b2.keepAlive(t, tb)
	eventually(t, "bob's second tab snapshot", time.Second, func() bool { return lastUpdate(b2) != nil })
	if v := num(lastUpdate(b2)["version"]); v != 2 {
		t.Fatalf("snapshot for a new tab changed the version to %d", v)
	}
	// Closing one of bob's two tabs changes nothing.
	b.Close(closereason.ClientClosed)
	time.Sleep(h.sys.cfg.OfflineGrace + 100*time.Millisecond)
	if v := num(lastUpdate(a)["version"]); v != 2 {
		t.Fatalf("closing one of two tabs published version %d", v)
	}
	// Closing the last one: alice sees bob leave after the grace.
	closed := time.Now()
	b2.Close(closereason.ClientClosed)
	eventually(t, "alice sees bob leave", time.Second, func() bool { return num(lastUpdate(a)["version"]) == 3 })
	if took := time.Since(closed); took < h.sys.cfg.OfflineGrace {
		t.Fatalf("left after %v, before the grace of %v", took, h.sys.cfg.OfflineGrace)
	}
	left := lastUpdate(a)["left"].([]any)
	if len(left) != 1 || num(left[0]) != 2 || num(lastUpdate(a)["count"]) != 1 {
		t.Fatalf("leave update: %v", lastUpdate(a))
	}
	eventually(t, "store writer to record bob offline", time.Second, func() bool {
		ch := h.writer.all()
		return len(ch) >= 3 && ch[len(ch)-1] == PresenceChange{UserID: 2, Online: false, At: ch[len(ch)-1].At}
	})
}

func TestReloadInsideGraceIsInvisible(t *testing.T) {
	h := newHarness(t, nil)
	_, ta := h.user(1, "alice")
	_, tb := h.user(2, "bob")
	a := h.open(ta)
	a.keepAlive(t, ta)
	b := h.open(tb)
	b.keepAlive(t, tb)
	eventually(t, "both online", time.Second, func() bool { return h.sys.Online().IsOnline(1) && h.sys.Online().IsOnline(2) })
	version := h.sys.Online().Version
	b.Close("transport close")
	b2 := h.open(tb) // the reloaded page
	b2.keepAlive(t, tb)
	time.Sleep(h.sys.cfg.OfflineGrace + 150*time.Millisecond)
	for _, u := range a.named(EventUpdateUserOnline) {
		if l := u["left"].([]any); len(l) > 0 {
			t.Fatalf("a reload inside the grace produced a leave: %v", u)
		}
	}
	if h.sys.Online().Version != version {
		t.Fatalf("version moved from %d to %d", version, h.sys.Online().Version)
	}
}

func TestSilentSocketIsDroppedAfterPongTimeout(t *testing.T) {
	h := newHarness(t, nil)
	_, ta := h.user(1, "alice")
	_, tb := h.user(2, "bob")
	a := h.open(ta)
	a.keepAlive(t, ta)
	silent := h.open(tb) // never answers a ping
	eventually(t, "bob online", time.Second, func() bool { return h.sys.Online().IsOnline(2) })
	eventually(t, "the silent socket to be closed", 2*time.Second, func() bool { return silent.closedReason() == CloseNoPong })
	eventually(t, "bob offline", 2*time.Second, func() bool { return !h.sys.Online().IsOnline(2) })
	if a.closedReason() != "" {
		t.Fatalf("the answering socket was closed: %s", a.closedReason())
	}
}

func TestLogoutRevokesSocketsOfThatToken(t *testing.T) {
	h := newHarness(t, nil)
	ua, ta := h.user(1, "alice")
	_, other := h.user(1, "alice") // a second login of alice, in another browser
	s1 := h.open(ta)
	s1.keepAlive(t, ta)
	s2 := h.open(other)
	s2.keepAlive(t, other)
	eventually(t, "alice online", time.Second, func() bool { return h.sys.Online().IsOnline(1) })

	h.ver.revoke(ta)
	h.sys.TokenRevoked(ua.ID, "jti-"+ta, time.Now().Add(time.Hour))
	eventually(t, "logged_out on the revoked token's socket", time.Second, func() bool { return len(s1.named(EventLoggedOut)) == 1 })
	if r := s1.named(EventLoggedOut)[0]["reason"]; r != ReasonLogout {
		t.Fatalf("reason = %v", r)
	}
	if len(s2.named(EventLoggedOut)) != 0 {
		t.Fatal("the other login's socket was logged out")
	}
	if !h.sys.Online().IsOnline(1) {
		t.Fatal("alice went offline while another login is bound")
	}
	// The logged-out socket is anonymous: no more updates reach it.
	before := len(s1.named(EventUpdateUserOnline))
	_, tb := h.user(2, "bob")
	b := h.open(tb)
	b.keepAlive(t, tb)
	eventually(t, "bob online", time.Second, func() bool { return h.sys.Online().IsOnline(2) })
	time.Sleep(50 * time.Millisecond)
	if after := len(s1.named(EventUpdateUserOnline)); after != before {
		t.Fatal("an anonymous socket received an update")
	}
	// The last login logs out: offline at once, no grace.
	h.ver.revoke(other)
	h.sys.TokenRevoked(ua.ID, "jti-"+other, time.Now().Add(time.Hour))
	eventually(t, "alice offline", h.sys.cfg.OfflineGrace, func() bool { return !h.sys.Online().IsOnline(1) })
}

func TestHTTPLoginCountsForTwoSweeps(t *testing.T) {
	h := newHarness(t, nil)
	u, _ := h.user(1, "alice")
	start := time.Now()
	h.sys.LoggedIn(u, "jti-http", time.Now().Add(time.Hour))
	eventually(t, "alice online from the login", time.Second, func() bool { return h.sys.Online().IsOnline(1) })
	eventually(t, "alice offline after two sweeps", time.Second, func() bool { return !h.sys.Online().IsOnline(1) })
	if took := time.Since(start); took < 2*h.sys.cfg.PingInterval {
		t.Fatalf("credit lasted %v, less than two sweeps", took)
	}
}

// TestLoginCreditEndsWhenItsTokenBinds: a tab closed right after logging in goes
// offline after the grace, not after the credit of two sweeps; the original SPA, which
// binds only with the pong of the next sweep, is online from the login on.
func TestLoginCreditEndsWhenItsTokenBinds(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.PingInterval, c.PongTimeout = time.Second, 5*time.Second })
	u, tok := h.user(1, "alice")
	h.sys.LoggedIn(u, "jti-"+tok, time.Now().Add(time.Hour))
	eventually(t, "alice online from the login", time.Second, func() bool { return h.sys.Online().IsOnline(1) })
	s := h.open(tok) // CONNECT auth with the login's token
	eventually(t, "alice's socket bound", time.Second, func() bool { return lastUpdate(s) != nil })
	closed := time.Now()
	s.Close(closereason.ClientClosed)
	within := h.sys.cfg.OfflineGrace + 500*time.Millisecond // well inside the credit's two sweeps
	eventually(t, "alice offline after the grace", within, func() bool { return !h.sys.Online().IsOnline(1) })
	if took := time.Since(closed); took < h.sys.cfg.OfflineGrace {
		t.Fatalf("offline %v after the close, before the grace of %v", took, h.sys.cfg.OfflineGrace)
	}

	// The SPA: an anonymous socket, then the HTTP login, then the bind by the next pong.
	v, tokB := h.user(2, "bob")
	spa := h.open("")
	h.sys.LoggedIn(v, "jti-"+tokB, time.Now().Add(time.Hour))
	eventually(t, "bob online at once", time.Second, func() bool { return h.sys.Online().IsOnline(2) })
	spa.keepAlive(t, tokB)
	eventually(t, "bob's socket bound by its pong", 2*h.sys.cfg.PingInterval, func() bool { return lastUpdate(spa) != nil })
	for _, up := range spa.named(EventUpdateUserOnline) {
		if l := up["left"].([]any); len(l) > 0 {
			t.Fatalf("bob left between the login and the bind: %v", up)
		}
	}
	closed = time.Now()
	spa.Close(closereason.ClientClosed)
	eventually(t, "bob offline after the grace", within, func() bool { return !h.sys.Online().IsOnline(2) })
}

func TestTokenExpiryLogsOut(t *testing.T) {
	h := newHarness(t, nil)
	h.dir[1] = User{ID: 1, Username: "alice"}
	h.ver.grants["short"] = Grant{UserID: 1, JTI: "j-short", ExpiresAt: time.Now().Add(100 * time.Millisecond)}
	s := h.open("short")
	s.keepAlive(t, nil)
	eventually(t, "token_expired", 2*time.Second, func() bool { return len(s.named(EventLoggedOut)) == 1 })
	if r := s.named(EventLoggedOut)[0]["reason"]; r != ReasonTokenExpired {
		t.Fatalf("reason = %v", r)
	}
	eventually(t, "alice offline", time.Second, func() bool { return !h.sys.Online().IsOnline(1) })
}

func TestBadInputOnTheSocket(t *testing.T) {
	h := newHarness(t, nil)
	_, ta := h.user(1, "alice")
	s := h.open(ta)
	eventually(t, "bound", time.Second, func() bool { return h.sys.Online().IsOnline(1) })
	cases := []struct {
		name string
		args []json.RawMessage
		code string
	}{
		{"unknown action", []json.RawMessage{json.RawMessage(`{"action":"dance"}`)}, CodeBadRequest},
		{"action not a string", []json.RawMessage{json.RawMessage(`{"action":7}`)}, CodeBadRequest},
		{"payload not an object", []json.RawMessage{json.RawMessage(`"pong"`)}, CodeBadRequest},
		{"no payload", nil, CodeBadRequest},
		{"token a number", []json.RawMessage{json.RawMessage(`{"action":"pong","token":5}`)}, CodeBadRequest},
		{"forged token", []json.RawMessage{json.RawMessage(`{"action":"pong","token":"forged"}`)}, CodeInvalidToken},
		{"login without token", []json.RawMessage{json.RawMessage(`{"action":"login"}`)}, CodeBadRequest},
	}
	for i, tc := range cases {
		id := int64(100 + i)
		s.conn.Event(EventNgAction, tc.args, id)
		eventually(t, tc.name+" ack", time.Second, func() bool { return s.ack(id) != "" })
		if want := fmt.Sprintf(`{"code":%q,"ok":false}`, tc.code); s.ack(id) != want {
			t.Fatalf("%s: ack %s, want %s", tc.name, s.ack(id), want)
		}
	}
	s.conn.Event("not-ng-action", []json.RawMessage{json.RawMessage(`{}`)}, 200)
	eventually(t, "unknown event ack", time.Second, func() bool { return s.ack(200) != "" })
	errs := s.named(EventError)
	if len(errs) != len(cases)+1 {
		t.Fatalf("%d error events, want %d", len(errs), len(cases)+1)
	}
	// A forged token in a pong leaves the socket as it was: still bound.
	if !h.sys.Online().IsOnline(1) || s.closedReason() != "" {
		t.Fatal("bad input unbound or closed the socket")
	}
	s.send(map[string]any{"action": "pong", "token": ta}, 300)
	eventually(t, "good pong ack", time.Second, func() bool { return s.ack(300) == `{"ok":true}` })
}

func TestActionFloodIsRateLimited(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.ActionRate, c.ActionBurst = 5, 5; c.PingInterval = time.Hour })
	_, ta := h.user(1, "alice")
	s := h.open(ta)
	for i := 0; i < 50; i++ {
		s.send(map[string]any{"action": "pong", "token": ta}, int64(i))
	}
	eventually(t, "50 acks", time.Second, func() bool { return s.ack(49) != "" })
	limited := 0
	for i := int64(0); i < 50; i++ {
		if s.ack(i) == `{"code":"rate_limited","ok":false}` {
			limited++
		}
	}
	if limited < 40 {
		t.Fatalf("only %d of 50 flooding pongs limited", limited)
	}
	if n := len(s.named(EventError)); n != 1 {
		t.Fatalf("%d rate_limited error events, want 1 (at most one a second)", n)
	}
	if h.sys.Stats().RateLimited.Load() < 40 {
		t.Fatal("rate limited pongs not counted")
	}
}

// crash is a test message that makes a user actor panic.
type crash struct{}

func TestUserActorPanicKeepsPresence(t *testing.T) {
	var mu sync.Mutex
	var userPID *actor.PID
	panicking := func(next actor.ReceiverFunc) actor.ReceiverFunc {
		return func(c actor.ReceiverContext, env *actor.MessageEnvelope) {
			mu.Lock()
			userPID = c.Self()
			mu.Unlock()
			if _, ok := env.Message.(*crash); ok {
				panic("boom")
			}
			next(c, env)
		}
	}
	h := newHarness(t, func(c *Config) { c.userMiddleware = []actor.ReceiverMiddleware{panicking} })
	_, ta := h.user(1, "alice")
	s := h.open(ta)
	s.keepAlive(t, ta)
	eventually(t, "alice online", time.Second, func() bool { return h.sys.Online().IsOnline(1) })
	mu.Lock()
	pid := userPID
	mu.Unlock()
	h.sys.root.Send(pid, &crash{})
	time.Sleep(50 * time.Millisecond)
	eventually(t, "the restart to be counted", time.Second, func() bool { return h.sys.KindStats(KindUser).Restarts.Load() == 1 })
	if !h.sys.Online().IsOnline(1) {
		t.Fatal("alice offline after her user actor restarted")
	}
	// The restarted actor still knows her socket: closing it takes her offline.
	s.Close(closereason.ClientClosed)
	eventually(t, "alice offline after her last socket", 2*time.Second, func() bool { return !h.sys.Online().IsOnline(1) })
}

func TestKindStatsCountActors(t *testing.T) {
	h := newHarness(t, nil)
	_, ta := h.user(1, "alice")
	s1, s2 := h.open(ta), h.open("")
	conns := h.sys.KindStats(KindConn)
	eventually(t, "two live conn actors", time.Second, func() bool { return conns.Live.Load() == 2 })
	eventually(t, "one live user actor", time.Second, func() bool { return h.sys.KindStats(KindUser).Live.Load() == 1 })
	s1.Close(closereason.ClientClosed)
	s2.Close(closereason.ClientClosed)
	eventually(t, "conn actors gone", time.Second, func() bool { return conns.Live.Load() == 0 })
	eventually(t, "user actor passivated after the grace", 2*time.Second, func() bool { return h.sys.KindStats(KindUser).Live.Load() == 0 })
	eventually(t, "mailboxes drained", time.Second, func() bool { return conns.Queued.Load() == 0 })
	if conns.Handled.Load() == 0 || h.sys.KindStats(KindPresence).Live.Load() != 1 {
		t.Fatal("presence not counted")
	}
	if hw := h.sys.KindStats(KindPresence).TakeHighWater(); hw < 1 {
		t.Fatalf("presence high water %d", hw)
	}
}

func TestStatsReachStaffOnly(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.Node = "node-a"
		c.ExtraStats = func() map[string]any { return map[string]any{"websocket": 1} }
	})
	_, tokStaff := h.user(1, "admin")
	h.dir[1] = User{ID: 1, Username: "admin", IsStaff: true}
	_, tokUser := h.user(2, "bob")
	staff, user, anon := h.open(tokStaff), h.open(tokUser), h.open("")
	for _, p := range []*probe{staff, user, anon} {
		p.keepAlive(t, nil)
	}
	eventually(t, "stats for the staff socket", 3*time.Second, func() bool { return len(staff.named(EventStats)) > 0 })
	st := staff.named(EventStats)[0]
	if st["node"] != "node-a" || st["extra"].(map[string]any)["websocket"] != float64(1) || st["actors"].(map[string]any)["conn"] == nil {
		t.Fatalf("stats payload: %v", st)
	}
	time.Sleep(1200 * time.Millisecond)
	if len(user.named(EventStats)) != 0 || len(anon.named(EventStats)) != 0 {
		t.Fatal("a non-staff socket received stats")
	}
	if h.sys.LastStats() == nil {
		t.Fatal("LastStats empty")
	}
}
