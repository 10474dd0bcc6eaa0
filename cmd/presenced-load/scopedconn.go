package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/presenced/presenced/ws/codec"
)

// The connection's side of the scoped modes (the contract's "Rooms and
// watchlists"): requests with acks (presence:join, presence:leave,
// presence:watch, ng-action login/logout), and the notifications that name
// another socket's user, timed against the moment that socket changed.

// scopedConn is embedded in sioConn.
type scopedConn struct {
	pend     [numAckKinds]pendingAck
	roomIdx  int         // rooms: the room this socket joins
	watchReq []byte      // watch: the presence:watch payload, built once
	observer bool        // global: this socket times notifications (a sample of them do)
	inScope  atomic.Bool // joined its room / watching / bound: it receives the scope's changes
	busy     atomic.Bool // a churn operation owns it
	unbound  atomic.Bool // global, logout churn: between the logout and the login
	joinAt   atomic.Int64
	leaveAt  atomic.Int64 // unix ns of the last join (bind, login) and leave (close, logout) sent
	unheard  atomic.Bool  // no socket has yet heard of its last join: it is not churned again until one does (see pickIdle)

	lastError atomic.Pointer[string] // the last server-action:error message

	countN, countFirst, countLast atomic.Int64 // count mode: frames in the window, first and last receipt (unix ns)
}

// pendingAck is the last request of one kind: its id, when it was sent, and
// who waits for its answer.
type pendingAck struct {
	id   atomic.Int64
	at   atomic.Int64
	done atomic.Pointer[chan ackResult]
}

// ackResult is the server's answer to a request.
type ackResult struct {
	ok   bool
	code string
}

var errAckTimeout = errors.New("no ack")

// request sends `42<id>["event",payload]`, asking for an ack of kind k;
// at is the send time recorded (unix ns). When done is not nil the answer is
// sent to it.
func (c *sioConn) request(k ackKind, event string, payload []byte, at int64, done chan ackResult) error {
	id := ackID(c.ackSeq.Add(1), k)
	frame := strconv.AppendInt([]byte{codec.EngineMessage, codec.SocketEvent}, id, 10)
	frame = codec.AppendJSONString(append(frame, '['), event)
	frame = append(append(append(frame, ','), payload...), ']')
	p := &c.pend[k]
	if done != nil {
		p.done.Store(&done)
	} else {
		p.done.Store(nil)
	}
	p.at.Store(at)
	p.id.Store(id)
	if err := c.ws.writeText(frame); err != nil {
		c.writeFailed()
		return fmt.Errorf("%s: %w", k, err)
	}
	return nil
}

// call sends a request and waits for its ack (at most timeout).
func (c *sioConn) call(ctx context.Context, k ackKind, event string, payload []byte, timeout time.Duration) (ackResult, error) {
	done := make(chan ackResult, 1)
	if err := c.request(k, event, payload, time.Now().UnixNano(), done); err != nil {
		return ackResult{}, err
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case res := <-done:
		return res, nil
	case <-c.done:
		return ackResult{}, fmt.Errorf("%s: %w", k, errClosedEarly)
	case <-t.C:
		return ackResult{}, fmt.Errorf("%s: %w within %v", k, errAckTimeout, timeout)
	case <-ctx.Done():
		return ackResult{}, ctx.Err()
	}
}

// onAck handles the answer to a request of kind k (not a pong).
func (c *sioConn) onAck(k ackKind, id int64, elems []json.RawMessage) {
	now := time.Now().UnixNano()
	res := ackResult{code: "no_payload"}
	if len(elems) > 0 {
		if ok, _ := boolField(elems[0], "ok"); ok {
			res = ackResult{ok: true}
		} else if res.code, _ = stringField(elems[0], "code"); res.code == "" {
			res.code = "no_code"
		}
	}
	p := &c.pend[k]
	st := c.r.scope
	if st != nil {
		if p.id.Load() == id {
			if at := p.at.Load(); st.inWindow(at) {
				st.ackLatency[k].RecordMicros((now - at) / 1000)
			}
		}
		st.countAck(k, res)
	}
	if res.ok && (k == akJoin || k == akWatch || k == akLogin) {
		c.inScope.Store(true)
	}
	if p.id.Load() == id {
		if ch := p.done.Swap(nil); ch != nil {
			*ch <- res
		}
	}
}

// onRoomUpdate handles presence:update: in list mode each joined user and
// each left id is a notification of another socket's join or leave; in
// count mode the frame is counted per member.
func (c *sioConn) onRoomUpdate(arg []byte) {
	st := c.r.scope
	if st == nil {
		return
	}
	now := time.Now().UnixNano()
	if mode, _ := stringField(arg, "mode"); mode == "count" {
		c.onCountFrame(now)
		return
	}
	eachElem(arg, "joined", func(u []byte) {
		if id, ok := intField(u, "id"); ok {
			st.notified(c, id, true, now)
		}
	})
	eachInt(arg, "left", func(id int64) { st.notified(c, id, false, now) })
}

// onWatchUpdate handles presence:watch_update: each user is a watched
// socket's close (online false) or bind (online true).
func (c *sioConn) onWatchUpdate(arg []byte) {
	st := c.r.scope
	if st == nil {
		return
	}
	now := time.Now().UnixNano()
	eachElem(arg, "users", func(u []byte) {
		id, ok := intField(u, "id")
		online, ok2 := boolField(u, "online")
		if ok && ok2 {
			st.notified(c, id, online, now)
		}
	})
}

// onGlobalUpdate times the joined users and left ids of an
// update_user_online, on the sockets that observe (global mode).
func (c *sioConn) onGlobalUpdate(arg []byte, now int64) {
	st := c.r.scope
	if !c.observer || c.unbound.Load() || !st.churning.Load() {
		return // only the churn's changes are heard (and the window's timed): the setup's full lists are not read
	}
	eachElem(arg, "joined", func(u []byte) {
		if id, ok := intField(u, "id"); ok {
			st.notified(c, id, true, now)
		}
	})
	eachInt(arg, "left", func(id int64) { st.notified(c, id, false, now) })
}

// onCountFrame counts a count-mode presence:update received during the
// window: per member the first and last receipt and how many (the member's
// rate), and the shortest gap between two.
func (c *sioConn) onCountFrame(now int64) {
	st := c.r.scope
	if !c.r.measuring.Load() {
		return
	}
	st.countFrames.Add(1)
	if last := c.countLast.Load(); last != 0 {
		storeMin(&st.countMinGap, now-last)
	} else {
		c.countFirst.Store(now)
	}
	c.countLast.Store(now)
	c.countN.Add(1)
}

// countRate is the rate at which c received count frames in the window:
// (frames − 1) ÷ (last − first), per second; ok is false under two frames.
func (c *sioConn) countRate() (float64, bool) {
	n, first, last := c.countN.Load(), c.countFirst.Load(), c.countLast.Load()
	if n < 2 || last <= first {
		return 0, false
	}
	return float64(n-1) / (float64(last-first) / 1e9), true
}

// storeMin keeps the least positive value (0: none yet).
func storeMin(v *atomic.Int64, x int64) {
	for {
		cur := v.Load()
		if (cur != 0 && x >= cur) || v.CompareAndSwap(cur, x) {
			return
		}
	}
}
