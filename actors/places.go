package actors

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/redis/rueidis"
)

// ErrTooManyConnections refuses a bind: the user has -max-conns-per-user bound sockets.
var ErrTooManyConnections = errors.New("too many connections")

// errPlacesLost: Redis no longer has this node's counts (restarted, or the node was
// dropped as dead); they must be written again.
var errPlacesLost = errors.New("this node's socket counts are gone from Redis")

// placeWait bounds how long OpenConn waits for a place before binding without one.
const placeWait = 10 * time.Second

// placesActor enforces the limit on bound sockets per user. On a single node it decides
// from its book at once. With Redis it is the dedicated I/O actor for the limit: the
// requests that arrive while it works form the next batch, sent as one script call
// (redis_scripts.go) that checks the user's count on every node and changes this
// node's; if Redis is unavailable it decides from its book alone (this node's sockets)
// and writes its whole book again once Redis answers. Nothing waits on it but the
// requesters, which are answered by message.
type placesActor struct {
	sys   *System
	book  *placeBook
	limit int

	cmd          rueidis.Client // set by the Redis bridge once connected; nil: decide locally
	prefix, node string
	seq          uint64 // of the last script call
	queue        placeQueue
	inflight     []placeRequest // the batch being sent: answered locally after a failure
	flushing     bool
	needSync     bool
	retry        time.Duration
	retryArmed   bool
	downLogged   bool
	synced       bool // the book was written to Redis once
	stopping     bool
}

func (a *placesActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		// After a failure, the batch that was being sent is answered from the book.
		if len(a.inflight) > 0 {
			a.decideLocally(ctx, a.inflight)
			a.inflight = nil
			a.needSync = true
			a.armRetry(ctx)
		}
	case *ReservePlace:
		a.onRequest(ctx, placeRequest{key: placeKey{m.UserID, m.ConnID}, replies: []*actor.PID{ctx.Sender()}})
	case *ReleasePlace:
		a.onRequest(ctx, placeRequest{release: true, key: placeKey{m.UserID, m.ConnID}})
	case *placesAttached:
		a.cmd, a.prefix, a.node = m.client, m.prefix, m.node
		a.needSync = true
		a.schedule(ctx)
	case *placesResync:
		a.needSync = true
		a.schedule(ctx)
	case *placesFlush:
		a.flushing = false
		a.flush(ctx)
	case *getPlacesRequest:
		ctx.Respond(&getPlacesResponse{held: a.book.count(m.user), total: a.book.total()})
	case *placesRetry:
		a.retryArmed = false
		a.flush(ctx)
	case *actor.Stopping:
		// The last releases reach Redis before the bridge takes the node out of it.
		a.stopping = true
		a.flush(ctx)
	case *actor.Stopped, *actor.Restarting:
	default:
		a.sys.log.Warn("places: unexpected message", "type", typeName(m))
	}
}

func (a *placesActor) onRequest(ctx actor.Context, r placeRequest) {
	if a.cmd == nil {
		a.decideLocally(ctx, []placeRequest{r})
		return
	}
	a.queue.push(r)
	a.schedule(ctx)
}

// schedule sends the next batch once the messages already queued have joined it.
func (a *placesActor) schedule(ctx actor.Context) {
	if !a.flushing {
		a.flushing = true
		ctx.Send(ctx.Self(), &placesFlush{})
	}
}

// flush sends the queued batch (after writing the whole book, if Redis may not have
// it). Without Redis the batch is decided from the book.
func (a *placesActor) flush(ctx actor.Context) {
	batch := a.queue
	a.queue = nil
	if a.cmd == nil {
		a.decideLocally(ctx, batch)
		return
	}
	if !a.sys.redisUp.Load() {
		// Before the bridge's first connection this is no outage: nothing to log yet.
		if a.synced || len(batch) > 0 {
			a.down(ctx, errors.New("redis bridge not connected"))
		} else {
			a.needSync = true
		}
		a.decideLocally(ctx, batch)
		return
	}
	a.inflight = batch // not deferred: after a panic, Started answers it
	if err := a.syncIfNeeded(); err != nil {
		a.down(ctx, err)
		a.decideLocally(ctx, batch)
		a.inflight = nil
		return
	}
	if len(batch) > 0 {
		plan := a.book.plan(batch, a.limit)
		a.answer(ctx, plan.granted, true)
		a.answer(ctx, plan.refused, false)
		a.inflight = plan.ops
		if err := a.sendOps(ctx, plan.ops); err != nil {
			a.down(ctx, err)
			a.decideLocally(ctx, plan.ops)
			a.inflight = nil
			return
		}
	}
	a.inflight = nil
	a.up()
}

// sendOps sends ops; if Redis lost this node's counts it writes them and tries once more.
func (a *placesActor) sendOps(ctx actor.Context, ops []placeRequest) error {
	if len(ops) == 0 {
		return nil
	}
	err := a.send(ctx, ops)
	if errors.Is(err, errPlacesLost) {
		a.sys.log.Warn("places: this node's socket counts are gone from Redis; writing them again", "node", a.node)
		a.needSync = true
		if err = a.syncIfNeeded(); err == nil {
			err = a.send(ctx, ops)
		}
	}
	return err
}

// send runs one batch script and applies its answers to the book.
func (a *placesActor) send(ctx actor.Context, ops []placeRequest) error {
	a.seq++
	args := make([]string, 0, 4+2*len(ops))
	args = append(args, a.prefix, a.node, strconv.FormatUint(a.seq, 10), strconv.Itoa(a.limit))
	for _, r := range ops {
		op := "+"
		if r.release {
			op = "-"
		}
		args = append(args, op, strconv.FormatInt(r.key.user, 10))
	}
	c, cancel := context.WithTimeout(context.Background(), redisOpTimeout)
	defer cancel()
	out, err := scriptPlaces.Exec(c, a.cmd, nil, args).AsStrSlice()
	switch {
	case err != nil:
		return fmt.Errorf("places: %w", err)
	case len(out) == 1 && out[0] == "lost":
		return errPlacesLost
	case len(out) != len(ops)+1 || out[0] != "ok":
		return fmt.Errorf("places: unexpected answer %q", out)
	}
	drifted := false
	for i, r := range ops {
		switch res := out[i+1]; {
		case r.release:
			a.book.remove(r.key.user, r.key.conn)
			drifted = drifted || res == "-1"
		case res == "1":
			a.book.add(r.key.user, r.key.conn)
			a.answer(ctx, []placeRequest{r}, true)
		default:
			a.answer(ctx, []placeRequest{r}, false)
		}
	}
	if drifted {
		// Redis counted fewer of this node's sockets than it holds: write them all again.
		a.sys.log.Warn("places: this node's socket counts in Redis had drifted; rewriting them", "node", a.node)
		a.needSync = true
		a.armRetry(ctx)
	}
	return nil
}

// syncIfNeeded writes the whole book as this node's counts, when Redis may lack them.
func (a *placesActor) syncIfNeeded() error {
	if !a.needSync {
		return nil
	}
	a.seq++
	args := []string{a.prefix, a.node, strconv.FormatUint(a.seq, 10)}
	for u, n := range a.book.counts() {
		args = append(args, strconv.FormatInt(u, 10), strconv.Itoa(n))
	}
	c, cancel := context.WithTimeout(context.Background(), redisOpTimeout)
	defer cancel()
	res, err := scriptPlacesSync.Exec(c, a.cmd, nil, args).ToString()
	if err == nil && res != "ok" {
		err = fmt.Errorf("unexpected answer %q", res)
	}
	if err != nil {
		return fmt.Errorf("places resync: %w", err)
	}
	a.needSync = false
	a.synced = true
	a.sys.log.Info("places: this node's socket counts written to Redis", "node", a.node, "sockets", a.book.total())
	return nil
}

// decideLocally answers requests from the book alone.
func (a *placesActor) decideLocally(ctx actor.Context, batch []placeRequest) {
	for _, r := range batch {
		if r.release {
			a.book.remove(r.key.user, r.key.conn)
			continue
		}
		a.answer(ctx, []placeRequest{r}, a.book.reserve(r.key.user, r.key.conn, a.limit))
	}
}

func (a *placesActor) answer(ctx actor.Context, rs []placeRequest, granted bool) {
	for _, r := range rs {
		for _, to := range r.replies {
			if to == nil {
				continue
			}
			if granted {
				ctx.Send(to, &PlaceGranted{UserID: r.key.user, ConnID: r.key.conn})
			} else {
				ctx.Send(to, &PlaceRefused{UserID: r.key.user, ConnID: r.key.conn})
			}
		}
	}
}

// down records a failed call: requests are decided locally, and the book is written
// again once Redis answers (a retry is armed in case no request comes).
func (a *placesActor) down(ctx actor.Context, err error) {
	a.needSync = true
	if !a.downLogged {
		a.downLogged = true
		a.sys.log.Warn("places: Redis unavailable; limiting bound sockets per user by this node's own until it is back", "err", err)
	}
	a.armRetry(ctx)
}

func (a *placesActor) up() {
	a.retry = 0
	if a.downLogged {
		a.downLogged = false
		a.sys.log.Info("places: Redis available again; the limit is the cluster's", "node", a.node)
	}
}

// armRetry makes a flush happen later (1 s, doubling up to 30 s) while a resync is due.
func (a *placesActor) armRetry(ctx actor.Context) {
	if a.retryArmed || a.stopping {
		return
	}
	a.retryArmed = true
	a.retry = min(max(2*a.retry, time.Second), 30*time.Second)
	self, root := ctx.Self(), a.sys.root
	time.AfterFunc(a.retry, func() { root.Send(self, &placesRetry{}) })
}
