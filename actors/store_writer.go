package actors

import (
	"context"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// storeWriter is the background-work actor (the original design's Celery tasks): it
// writes presence transitions (is_online, last_seen) to the database in batches, off
// every request and socket path. Blocking I/O is its job; nothing waits on it.
type storeWriter struct {
	sys     *System
	pending []PresenceChange
	armed   bool
	backoff time.Duration
}

const (
	storeFlushEvery = 250 * time.Millisecond
	storeBatchMax   = 500
	storePendingMax = 100_000 // beyond this the oldest changes are dropped (logged)
	storeRetryMax   = 10 * time.Second
)

func (w *storeWriter) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *PresenceChanged:
		for _, u := range m.Joined {
			w.pending = append(w.pending, PresenceChange{UserID: u.ID, Online: true, At: m.At})
		}
		for _, id := range m.Left {
			w.pending = append(w.pending, PresenceChange{UserID: id, Online: false, At: m.At})
		}
		if over := len(w.pending) - storePendingMax; over > 0 {
			w.sys.log.Error("store writer: dropping oldest presence changes", "dropped", over)
			w.pending = w.pending[over:]
		}
		if len(w.pending) >= storeBatchMax {
			w.write()
		}
		w.arm(ctx, storeFlushEvery)
	case *flushStore:
		w.armed = false
		w.write()
		w.arm(ctx, storeFlushEvery)
	case *actor.Stopping:
		w.write() // the final flush at shutdown
	case *actor.Started, *actor.Stopped, *actor.Restarting:
	default:
		w.sys.log.Warn("store writer: unexpected message", "type", typeName(m))
	}
}

func (w *storeWriter) arm(ctx actor.Context, d time.Duration) {
	if w.armed || len(w.pending) == 0 {
		return
	}
	if w.backoff > 0 {
		d = w.backoff
	}
	w.armed = true
	self, root := ctx.Self(), w.sys.root
	time.AfterFunc(d, func() { root.Send(self, &flushStore{}) })
}

// write stores what is pending; on failure it keeps the batch and backs off.
func (w *storeWriter) write() {
	if len(w.pending) == 0 || w.sys.cfg.Writer == nil {
		w.pending = w.pending[:0]
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.sys.cfg.Writer.ApplyPresence(ctx, w.pending); err != nil {
		w.backoff = min(max(2*w.backoff, storeFlushEvery), storeRetryMax)
		w.sys.stats.StoreErrors.Add(1)
		w.sys.log.Error("store writer: presence batch failed; will retry", "changes", len(w.pending), "retry_in", w.backoff, "err", err)
		return
	}
	w.sys.stats.StoreWrites.Add(uint64(len(w.pending)))
	w.backoff = 0
	w.pending = w.pending[:0]
}
