package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"time"
)

func TestUnsupportedError(t *testing.T) {
	tests := []struct {
		name        string
		res         ackResult
		lastError   string
		unsupported bool
		want        string
	}{
		{"ok", ackResult{ok: true}, "", false, ""},
		{"main's answer", ackResult{code: "bad_request"}, "unknown event", true, `server-action:error "unknown event"`},
		{"a real bad request", ackResult{code: "bad_request"}, "room name", false, `refused: code "bad_request"`},
		{"forbidden", ackResult{code: "forbidden"}, "", false, `code "forbidden"`},
		{"unknown event, other code", ackResult{code: "unauthorized"}, "unknown event", false, `code "unauthorized"`},
	}
	for _, tt := range tests {
		err := unsupportedError("presence:join", tt.res, tt.lastError)
		switch {
		case tt.want == "" && err != nil, tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: %v", tt.name, err)
		case errors.Is(err, errUnsupported) != tt.unsupported:
			t.Errorf("%s: errUnsupported %v: %v", tt.name, !tt.unsupported, err)
		}
	}
}

func TestFailures(t *testing.T) {
	good := func() *report {
		return &report{N: 10, Connect: connectReport{Connected: 10}, Errors: map[string]uint64{"connect": 0},
			Scoped: &scopedReport{RoomMode: "list", ChurnPerSec: 1, Setup: setupReport{Request: "presence:join acked ok", OK: 10},
				Window: &scopedWindow{Changes: 20, JoinExpected: 90, JoinNotified: 88}}}
	}
	tests := []struct {
		name   string
		change func(*report)
		want   []string
	}{
		{"passes", func(*report) {}, nil},
		{"not all connected", func(r *report) { r.Connect.Connected = 7 }, []string{"only 7 of 10 sockets connected"}},
		{"setup short", func(r *report) { r.Scoped.Setup.OK = 9 }, []string{"setup: 9 of 10 sockets in scope (presence:join acked ok)"}},
		{"errors and refused acks", func(r *report) {
			r.Errors["protocol"], r.Scoped.AckFailures = 2, map[string]uint64{"join:forbidden": 3}
		}, []string{"errors: ack join:forbidden=3 protocol=2"}},
		{"no change", func(r *report) { r.Scoped.Window.Changes = 0 }, []string{"no change was made in the window"}},
		{"nobody notified", func(r *report) { r.Scoped.Window.JoinNotified = 0 }, []string{"no socket was notified of any of the window's joins (90 expected)"}},
		{"count mode without frames", func(r *report) { r.Scoped.RoomMode = "count" }, []string{"no count-mode presence:update arrived in the window"}},
		{"count mode with frames", func(r *report) {
			r.Scoped.RoomMode, r.Scoped.Window.Count = "count", &countReport{Frames: 5}
		}, nil},
	}
	for _, tt := range tests {
		r := good()
		tt.change(r)
		if got := failures(r); fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

// A count-mode member's frames: its rate over the window, and the shortest
// gap; members' rates are independent.
func TestCountFrames(t *testing.T) {
	tests := []struct {
		name     string
		gaps     []time.Duration // between frames
		wantRate float64
		wantOK   bool
		wantGap  time.Duration
	}{
		{"one a second", []time.Duration{time.Second, time.Second, time.Second}, 1, true, time.Second},
		{"delivery jitter", []time.Duration{time.Second, 800 * time.Millisecond, 1200 * time.Millisecond, time.Second}, 1, true, 800 * time.Millisecond},
		{"two a second", []time.Duration{500 * time.Millisecond, 500 * time.Millisecond, 500 * time.Millisecond, 500 * time.Millisecond}, 2, true, 500 * time.Millisecond},
		{"a single frame", nil, 0, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &runner{cfg: &config{}}
			r.scope = &scopedState{}
			c := &sioConn{r: r}
			now := time.Now().UnixNano()
			c.onCountFrame(now) // not measuring: not counted
			r.measuring.Store(true)
			now += int64(time.Second)
			c.onCountFrame(now)
			for _, g := range tt.gaps {
				now += int64(g)
				c.onCountFrame(now)
			}
			rate, ok := c.countRate()
			if ok != tt.wantOK || math.Abs(rate-tt.wantRate) > 1e-9 || time.Duration(r.scope.countMinGap.Load()) != tt.wantGap {
				t.Errorf("rate %v, %v; gap %v", rate, ok, time.Duration(r.scope.countMinGap.Load()))
			}
			if n := r.scope.countFrames.Load(); n != uint64(len(tt.gaps)+1) {
				t.Errorf("frames %d", n)
			}
		})
	}
}

// The bookkeeping of a room: a join in the window expects a notification
// from each other member in scope, and each receipt is timed against it.
func TestScopedBookkeeping(t *testing.T) {
	cfg := &config{Mode: modeRooms, RoomSize: 3, RoomMode: "list", RoomPrefix: "public:t"}
	r := &runner{cfg: cfg}
	for i := range 6 {
		r.conns = append(r.conns, &sioConn{r: r, idx: i, user: &seedUser{ID: int64(100 + i)}})
	}
	st := newScopedState(cfg, r.conns)
	r.scope = st
	if len(st.rooms) != 2 || st.names[1] != "public:t-00001" || r.conns[4].roomIdx != 1 {
		t.Fatalf("rooms %v %v", len(st.rooms), st.names)
	}
	for _, c := range r.conns {
		c.inScope.Store(true)
	}
	r.conns[5].inScope.Store(false) // away: not expected to hear
	t0 := time.Now().UnixNano()
	st.changed(r.conns[3], true, t0-1) // before the window: not counted
	st.winLo.Store(t0)
	st.changed(r.conns[3], true, t0+1)
	if st.changes.Load() != 1 || st.joinExpect.Load() != 1 {
		t.Fatalf("changes %d, expected %d", st.changes.Load(), st.joinExpect.Load())
	}
	update := []byte(`{"room":"public:t-00001","mode":"list","version":3,"count":3,"joined":[{"id":103,"username":"u"}],"left":[],"changed":[]}`)
	r.conns[4].onRoomUpdate(update)
	r.conns[3].onRoomUpdate(update) // its own join: not a notification
	if st.joinGot.Load() != 1 || st.joinNotify.Summary().Count != 1 {
		t.Errorf("notified %d", st.joinGot.Load())
	}
	st.changed(r.conns[4], false, t0+2)
	r.conns[3].onRoomUpdate([]byte(`{"room":"public:t-00001","mode":"list","version":4,"count":2,"joined":[],"left":[104]}`))
	if st.leaveExpect.Load() != 1 || st.leaveGot.Load() != 1 {
		t.Errorf("leaves: expected %d, got %d", st.leaveExpect.Load(), st.leaveGot.Load())
	}
	st.winHi.Store(t0 + 3)
	if st.inWindow(t0+4) || !st.inWindow(t0+3) {
		t.Error("window bounds")
	}
}

// A socket that rejoined is not churned again before its rejoin is heard:
// a leave inside the server's coalescing window of the join would cancel
// it, and the join's whole audience would count as missed (the flake of
// TestScopedModesAgainstRealServer/global_list_(baseline)).
func TestChurnWaitsUntilRejoinIsHeard(t *testing.T) {
	cfg := &config{Mode: modeGlobal}
	r := &runner{cfg: cfg}
	for i := range 3 {
		r.conns = append(r.conns, &sioConn{r: r, idx: i, user: &seedUser{ID: int64(i + 1)}})
	}
	st := newScopedState(cfg, r.conns)
	r.scope = st
	st.churning.Store(true)
	for _, c := range r.conns {
		c.inScope.Store(true)
	}
	picks := func() map[int]int {
		got := map[int]int{}
		for range 300 {
			if c := r.pickIdle(); c != nil {
				got[c.idx]++
				c.busy.Store(false)
			}
		}
		return got
	}
	rejoined := r.conns[0]
	st.changed(rejoined, true, time.Now().UnixNano())
	if got := picks(); got[0] != 0 || got[1] == 0 || got[2] == 0 {
		t.Fatalf("before its rejoin is heard: picks %v, want none of socket 0", got)
	}
	r.conns[2].onGlobalUpdate([]byte(`{"version":9,"count":3,"joined":[{"id":1,"username":"u1"}],"left":[]}`), time.Now().UnixNano())
	if got := picks(); got[0] == 0 {
		t.Fatalf("after its rejoin was heard: picks %v, want socket 0 too", got)
	}
	// A rejoin no one hears holds the socket back publishWait at most.
	st.changed(rejoined, true, time.Now().Add(-publishWait-time.Millisecond).UnixNano())
	if got := picks(); got[0] == 0 {
		t.Fatalf("a rejoin unheard for longer than %v: picks %v, want socket 0 too", publishWait, got)
	}
	// With no audience in scope there is nothing to wait for.
	for _, c := range r.conns[1:] {
		c.inScope.Store(false)
	}
	st.changed(rejoined, true, time.Now().UnixNano())
	if !rejoined.published(time.Now().UnixNano()) {
		t.Error("a join with no audience waits to be heard")
	}
}

func TestWatchAudience(t *testing.T) {
	cfg := &config{Mode: modeWatch, Watch: 2}
	r := &runner{cfg: cfg}
	for i := range 5 {
		r.conns = append(r.conns, &sioConn{r: r, idx: i, user: &seedUser{ID: int64(i + 1)}})
	}
	st := newScopedState(cfg, r.conns)
	if got := string(r.conns[4].watchReq); got != `{"users":[1,2]}` {
		t.Errorf("socket 4 watches %s", got)
	}
	for _, c := range r.conns {
		c.inScope.Store(true)
	}
	var heard []int
	st.audience(r.conns[0], func(m *sioConn) { heard = append(heard, m.idx) })
	if fmt.Sprint(heard) != "[4 3]" {
		t.Errorf("user 1's watchers: %v", heard)
	}
}

func TestParseScopedConfig(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
		check   func(*config) bool
	}{
		{name: "rooms defaults", args: []string{"-mode", "rooms", "-tokens", "s", "-n", "1000", "-churn-pct", "1"}, check: func(c *config) bool {
			return c.Churn == 10 && c.RoomSize == 10 && c.RoomMode == "list" && c.ChurnHold == 500*time.Millisecond
		}},
		{name: "one room in count mode", args: []string{"-mode", "rooms", "-tokens", "s", "-n", "50", "-room-size", "0", "-room-mode", "count"}},
		{name: "watch", args: []string{"-mode", "watch", "-tokens", "s", "-n", "100", "-watch", "50"}},
		{name: "global by close", args: []string{"-mode", "global", "-tokens", "s", "-churn-by", "close"}},
		{name: "rooms without tokens", args: []string{"-mode", "rooms", "-n", "20"}},
		{name: "bad room mode", args: []string{"-mode", "rooms", "-tokens", "s", "-room-mode", "grid"}, wantErr: "-room-mode"},
		{name: "room larger than n", args: []string{"-mode", "rooms", "-tokens", "s", "-n", "5"}, wantErr: "-room-size 10"},
		{name: "bad room prefix", args: []string{"-mode", "rooms", "-tokens", "s", "-room-prefix", "a b"}, wantErr: "-room-prefix"},
		{name: "watch too many", args: []string{"-mode", "watch", "-tokens", "s", "-n", "10", "-watch", "10"}, wantErr: "-watch"},
		{name: "churn-by elsewhere", args: []string{"-mode", "global", "-tokens", "s", "-churn-by", "kick"}, wantErr: "-churn-by"},
		{name: "percent", args: []string{"-mode", "global", "-tokens", "s", "-churn-pct", "101"}, wantErr: "-churn-pct"},
		{name: "hold", args: []string{"-mode", "global", "-tokens", "s", "-churn-hold", "0s"}, wantErr: "-churn-hold"},
		{name: "no probes", args: []string{"-mode", "watch", "-tokens", "s", "-probes", "2"}, wantErr: "-probes"},
		{name: "N of N users", args: []string{"-mode", "watch", "-tokens", "s", "-users", "10"}, wantErr: "N sockets of N users"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConfig(tt.args, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, errUsage) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.check != nil && !tt.check(c) {
				t.Fatalf("config %+v", c)
			}
		})
	}
}

func TestScopedReportText(t *testing.T) {
	rep := &report{Mode: modeRooms, N: 1000, Users: 1000, Connect: connectReport{Connected: 1000},
		Scoped: &scopedReport{Mode: modeRooms, RoomSize: 10, RoomMode: "list", Rooms: 100, ChurnBy: "leave+join", ChurnPerSec: 10, HoldMS: 500,
			Setup: setupReport{Request: "presence:join acked ok", OK: 1000, Latency: latencySummary{Count: 1000, P99: 4}},
			Window: &scopedWindow{Seconds: 8, Changes: 160, ChangesPerSec: 20, BytesPerSocketSec: 90.5, FramesPerSocketSec: 0.4,
				Traffic:   trafficReport{ByKind: map[string]kindTraffic{"presence:update": {BytesPerSocketSec: 60}}},
				CPUSource: "schedstat", CPUPerChangeUS: 55, JoinExpected: 720, JoinNotified: 719, JoinNotify: latencySummary{P99: 30},
				Acks: map[string]ackReport{"join": {OK: 80, Latency: latencySummary{P99: 3}}}}},
		Errors: map[string]uint64{}, Failures: []string{"no change was made in the window"}}
	var b bytes.Buffer
	rep.writeText(&b)
	for _, want := range []string{"100 room(s) of 10 (list mode); churn 10.0/s leave+join, hold 500ms", "90.5 bytes and 0.40 frames per socket per second",
		"presence:update", "55.0 µs CPU per change", "join→notified p50 0.0ms p90 0.0ms p99 30.0ms", "(719 of 720 expected)", "ack join", "FAILED       no change"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
}
