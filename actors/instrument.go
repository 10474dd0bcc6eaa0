package actors

import (
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// Kind names one sort of actor, for metrics.
type Kind int

// The actor kinds of the supervision tree.
const (
	KindPresence Kind = iota
	KindUser
	KindConn
	KindStoreWriter
	KindRedisBridge
	KindPlaces
	KindRooms
	KindRoom
	KindWatch
	KindRoomBus
	numKinds
)

var kindNames = [numKinds]string{"presence", "user", "conn", "store_writer", "redis_bridge", "places", "rooms", "room", "watch", "room_bus"}

func (k Kind) String() string { return kindNames[k] }

// Kinds lists every kind, in order.
func Kinds() []Kind {
	return []Kind{KindPresence, KindUser, KindConn, KindStoreWriter, KindRedisBridge, KindPlaces, KindRooms, KindRoom, KindWatch}
}

// HandleBuckets are the upper bounds of the handling-time histogram.
var HandleBuckets = []time.Duration{
	time.Microsecond, 5 * time.Microsecond, 10 * time.Microsecond, 50 * time.Microsecond,
	100 * time.Microsecond, 500 * time.Microsecond, time.Millisecond, 5 * time.Millisecond,
	10 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond,
}

// handleSampleEvery: one message in this many is timed (timing every one costs more
// than the handling of a pong).
const handleSampleEvery = 64

// KindStats are one kind's counters, kept with atomics by a mailbox middleware and a
// receiver middleware that every actor of the kind shares. protoactor's own OTel
// metrics are off: they cut throughput about 8×, and its mailbox gauge does not work
// in the pinned version.
type KindStats struct {
	Live     atomic.Int64  // running actors
	Handled  atomic.Uint64 // messages handled
	Restarts atomic.Uint64
	Queued   atomic.Int64 // messages posted and not yet received, over all actors of the kind
	hwm      atomic.Int64 // highest Queued seen since the last TakeHighWater
	recent   [highWaterWindow]atomic.Int64

	// sampled handling times: counts per HandleBuckets bound, plus the overflow, and the sum
	buckets [12]atomic.Uint64
	sumNS   atomic.Uint64
}

// TakeHighWater returns the highest mailbox backlog seen since the last call, and
// starts a new window at the current backlog.
func (k *KindStats) TakeHighWater() int64 {
	q := k.Queued.Load()
	h := k.hwm.Swap(q)
	return max(h, q)
}

// HandleHistogram returns the sampled handling-time counts per bucket (cumulative, as
// Prometheus wants them), their total count and their sum.
func (k *KindStats) HandleHistogram() (cumulative []uint64, count uint64, sum time.Duration) {
	cumulative = make([]uint64, len(HandleBuckets))
	var run uint64
	for i := range HandleBuckets {
		run += k.buckets[i].Load()
		cumulative[i] = run
	}
	count = run + k.buckets[len(HandleBuckets)].Load()
	return cumulative, count, time.Duration(k.sumNS.Load())
}

func (k *KindStats) observe(d time.Duration) {
	i := 0
	for i < len(HandleBuckets) && d > HandleBuckets[i] {
		i++
	}
	k.buckets[i].Add(1)
	k.sumNS.Add(uint64(d))
}

// MailboxMiddleware hooks (actor.MailboxMiddleware). Posted and Received see system
// messages too, so they balance.
func (k *KindStats) MailboxStarted()     {}
func (k *KindStats) MailboxEmpty()       {}
func (k *KindStats) MessageReceived(any) { k.Queued.Add(-1) }
func (k *KindStats) MessagePosted(any) {
	if q := k.Queued.Add(1); q > k.hwm.Load() {
		k.hwm.Store(q) // a racing poster may lower it by one; a sample, not a ledger
	}
}

// receiver counts lifecycle and handled messages, and times one in handleSampleEvery.
func (k *KindStats) receiver(next actor.ReceiverFunc) actor.ReceiverFunc {
	return func(c actor.ReceiverContext, env *actor.MessageEnvelope) {
		switch env.Message.(type) {
		case *actor.Started:
			k.Live.Add(1)
		case *actor.Restarting:
			k.Live.Add(-1) // Started follows
			k.Restarts.Add(1)
		case *actor.Stopped:
			k.Live.Add(-1)
		}
		if k.Handled.Add(1)%handleSampleEvery != 0 {
			next(c, env)
			return
		}
		start := time.Now()
		next(c, env)
		k.observe(time.Since(start))
	}
}

// instrumented returns the props options that count an actor as kind.
func (s *System) instrumented(kind Kind) []actor.PropsOption {
	k := &s.kinds[kind]
	return []actor.PropsOption{actor.WithMailbox(actor.Unbounded(k)), actor.WithReceiverMiddleware(k.receiver)}
}

// KindStats returns the counters of one kind of actor.
func (s *System) KindStats(k Kind) *KindStats { return &s.kinds[k] }
