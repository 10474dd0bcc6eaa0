package main

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// scopedState is what the scoped modes (rooms, watch, global) share between
// the churn and every connection's reader.
type scopedState struct {
	mode   string
	byUser map[int64]*sioConn // every socket by its user (N sockets of N users)
	rooms  [][]*sioConn       // rooms: the members of each room
	conns  []*sioConn
	watch  int          // watch: each socket watches the next watch sockets' users
	obs    []*sioConn   // global: the observers that time notifications
	names  []string     // rooms: room names
	winLo  atomic.Int64 // unix ns: changes sent in [winLo, winHi] are timed and counted
	winHi  atomic.Int64 // 0 while the window is open

	churning atomic.Bool // the churn has started (warm-up and window)

	changes                 atomic.Uint64 // leaves and rejoins sent in the window
	joinExpect, joinGot     atomic.Uint64 // notifications of the window's joins expected and received
	leaveExpect, leaveGot   atomic.Uint64
	joinNotify, leaveNotify histogram
	ackLatency              [numAckKinds]histogram // requests sent in the window
	acksOK, acksFailed      [numAckKinds]atomic.Uint64

	countFrames atomic.Uint64 // count mode, during the window
	countMinGap atomic.Int64  // ns

	mu       sync.Mutex
	ackCodes map[string]uint64 // "join:forbidden" → count
}

// maxObservers bounds how many sockets time the global list's
// notifications: each update names up to hundreds of users, and timing all
// of them on every socket would cost the load generator more than reading.
const maxObservers = 1000

func newScopedState(cfg *config, conns []*sioConn) *scopedState {
	st := &scopedState{mode: cfg.Mode, byUser: make(map[int64]*sioConn, len(conns)), conns: conns, ackCodes: map[string]uint64{}}
	for _, c := range conns {
		st.byUser[c.user.ID] = c
	}
	switch cfg.Mode {
	case modeRooms:
		size := cfg.RoomSize
		if size == 0 {
			size = len(conns)
		}
		for i, c := range conns {
			k := i / size
			if k == len(st.rooms) {
				name := roomName(cfg.RoomPrefix, k)
				st.rooms = append(st.rooms, nil)
				st.names = append(st.names, name)
			}
			c.roomIdx = k
			st.rooms[k] = append(st.rooms[k], c)
		}
	case modeWatch:
		st.watch = cfg.Watch
		for i, c := range conns {
			ids := make([]int64, 0, cfg.Watch)
			for d := 1; d <= cfg.Watch; d++ {
				ids = append(ids, conns[(i+d)%len(conns)].user.ID)
			}
			c.watchReq = watchPayload(ids)
		}
	case modeGlobal:
		stride := (len(conns) + maxObservers - 1) / maxObservers
		for i, c := range conns {
			if i%stride == 0 {
				c.observer = true
				st.obs = append(st.obs, c)
			}
		}
	}
	return st
}

func watchPayload(ids []int64) []byte {
	b := []byte(`{"users":[`)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, "%d", id)
	}
	return append(b, "]}"...)
}

func joinPayload(room, mode string) []byte {
	return fmt.Appendf(nil, `{"room":%q,"mode":%q}`, room, mode)
}

func leavePayload(room string) []byte { return fmt.Appendf(nil, `{"room":%q}`, room) }

// inWindow reports whether a change sent at unix ns at belongs to the window.
func (st *scopedState) inWindow(at int64) bool {
	lo, hi := st.winLo.Load(), st.winHi.Load()
	return lo > 0 && at >= lo && (hi == 0 || at <= hi)
}

// audience calls fn for each socket that should hear of c's changes and is
// in scope now: its room's other members, its watchers, or (global) the
// observers.
func (st *scopedState) audience(c *sioConn, fn func(*sioConn)) {
	switch st.mode {
	case modeRooms:
		for _, m := range st.rooms[c.roomIdx] {
			if m != c && m.inScope.Load() {
				fn(m)
			}
		}
	case modeWatch:
		n := len(st.conns)
		for d := 1; d <= st.watch; d++ {
			if m := st.conns[(c.idx-d+n)%n]; m != c && m.inScope.Load() {
				fn(m)
			}
		}
	case modeGlobal:
		for _, m := range st.obs {
			if m != c && m.inScope.Load() {
				fn(m)
			}
		}
	}
}

// changed records that c joined (or left) at unix ns at: a change of the
// window, and the notifications it should cause.
func (st *scopedState) changed(c *sioConn, join bool, at int64) {
	n := uint64(0)
	if st.mode != modeRooms || c.r.cfg.RoomMode == "list" {
		st.audience(c, func(*sioConn) { n++ })
	}
	if join {
		c.joinAt.Store(at)
		c.unheard.Store(n > 0)
	} else {
		c.leaveAt.Store(at)
	}
	if !st.inWindow(at) {
		return
	}
	st.changes.Add(1)
	if join {
		st.joinExpect.Add(n)
	} else {
		st.leaveExpect.Add(n)
	}
}

// notified records that rcv heard of user id's join (or leave) at unix ns
// now.
func (st *scopedState) notified(rcv *sioConn, id int64, join bool, now int64) {
	if id == rcv.user.ID {
		return
	}
	j := st.byUser[id]
	if j == nil {
		return
	}
	at := j.leaveAt.Load()
	if join {
		at = j.joinAt.Load()
		j.unheard.Store(false)
	}
	if !st.inWindow(at) {
		return
	}
	if join {
		st.joinNotify.RecordMicros((now - at) / 1000)
		st.joinGot.Add(1)
	} else {
		st.leaveNotify.RecordMicros((now - at) / 1000)
		st.leaveGot.Add(1)
	}
}

func (st *scopedState) countAck(k ackKind, res ackResult) {
	if res.ok {
		st.acksOK[k].Add(1)
		return
	}
	st.acksFailed[k].Add(1)
	st.mu.Lock()
	st.ackCodes[k.String()+":"+res.code]++
	st.mu.Unlock()
}

// ackFailures is the refused acks by request and code, sorted.
func (st *scopedState) ackFailures() map[string]uint64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := make(map[string]uint64, len(st.ackCodes))
	for k, v := range st.ackCodes {
		out[k] = v
	}
	return out
}

// errUnsupported: the server does not speak the scoped-presence events.
var errUnsupported = errors.New("the server does not implement rooms and watchlists")

// unsupportedError tells whether a refused probe means the server lacks
// the event: main answers any unknown event's ack with bad_request and a
// server-action:error "unknown event".
func unsupportedError(event string, res ackResult, lastError string) error {
	if res.ok {
		return nil
	}
	if res.code == "bad_request" && strings.Contains(lastError, "unknown event") {
		return fmt.Errorf("%w: it answered %s with {\"ok\": false, \"code\": %q} and server-action:error %q", errUnsupported, event, res.code, lastError)
	}
	return fmt.Errorf("%s refused: code %q (server-action:error %q)", event, res.code, lastError)
}

// failures lists why a scoped run failed, from its report; empty: it passed.
func failures(rep *report) []string {
	var out []string
	s := rep.Scoped
	if rep.Connect.Connected < int64(rep.N) {
		out = append(out, fmt.Sprintf("only %d of %d sockets connected", rep.Connect.Connected, rep.N))
	}
	if s == nil {
		return out
	}
	if s.Setup.OK < uint64(rep.N) {
		out = append(out, fmt.Sprintf("setup: %d of %d sockets in scope (%s)", s.Setup.OK, rep.N, s.Setup.Request))
	}
	var errs []string
	for k, v := range rep.Errors {
		if v > 0 {
			errs = append(errs, fmt.Sprintf("%s=%d", k, v))
		}
	}
	for k, v := range s.AckFailures {
		errs = append(errs, fmt.Sprintf("ack %s=%d", k, v))
	}
	sort.Strings(errs)
	if len(errs) > 0 {
		out = append(out, "errors: "+strings.Join(errs, " "))
	}
	if s.Window == nil {
		return out
	}
	w := s.Window
	switch {
	case s.ChurnPerSec > 0 && w.Changes == 0:
		out = append(out, "no change was made in the window")
	case s.RoomMode == "count":
		if w.Count == nil || w.Count.Frames == 0 {
			out = append(out, "no count-mode presence:update arrived in the window")
		}
	case w.JoinExpected > 0 && w.JoinNotified == 0:
		out = append(out, fmt.Sprintf("no socket was notified of any of the window's joins (%d expected)", w.JoinExpected))
	}
	return out
}
