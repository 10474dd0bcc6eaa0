package actors

import "github.com/asynkron/protoactor-go/actor"

// A place is one of the bound sockets a user may have (-max-conns-per-user). A conn
// holds a place of the user it is bound to; it takes one before binding and gives it
// back when it unbinds, moves to another user, or goes.

// placeKey names one conn's place of one user.
type placeKey struct {
	user int64
	conn string
}

// placeBook is this node's ledger of places: which conns hold a place of which user.
// Free of actors and of Redis; the places actor owns it.
type placeBook struct {
	held map[int64]map[string]struct{} // user → conns holding one of its places
}

func newPlaceBook() *placeBook { return &placeBook{held: map[int64]map[string]struct{}{}} }

func (b *placeBook) holds(user int64, conn string) bool {
	_, ok := b.held[user][conn]
	return ok
}

// count is how many places of user this node's conns hold.
func (b *placeBook) count(user int64) int { return len(b.held[user]) }

func (b *placeBook) add(user int64, conn string) {
	m := b.held[user]
	if m == nil {
		m = map[string]struct{}{}
		b.held[user] = m
	}
	m[conn] = struct{}{}
}

// remove gives a place back; false when conn held none of user's.
func (b *placeBook) remove(user int64, conn string) bool {
	m := b.held[user]
	if _, ok := m[conn]; !ok {
		return false
	}
	delete(m, conn)
	if len(m) == 0 {
		delete(b.held, user)
	}
	return true
}

// reserve decides on this node's count alone (a single node, or Redis unavailable):
// a place already held is granted again; otherwise one is taken if fewer than limit
// are held.
func (b *placeBook) reserve(user int64, conn string, limit int) bool {
	if b.holds(user, conn) {
		return true
	}
	if b.count(user) >= limit {
		return false
	}
	b.add(user, conn)
	return true
}

// counts is the number of places held per user: what a resync writes to Redis.
func (b *placeBook) counts() map[int64]int {
	out := make(map[int64]int, len(b.held))
	for u, m := range b.held {
		out[u] = len(m)
	}
	return out
}

// total is the number of places held on this node.
func (b *placeBook) total() int {
	n := 0
	for _, m := range b.held {
		n += len(m)
	}
	return n
}

// placeRequest is a reservation (answered to replies) or a release, waiting for the
// next Redis call.
type placeRequest struct {
	release bool
	key     placeKey
	replies []*actor.PID
}

// placeQueue is the requests of one batch, in arrival order.
type placeQueue []placeRequest

// push queues r. A release of a place whose reservation is still queued cancels both
// (the conn went before it was answered); a second reservation of a queued one shares
// its answer.
func (q *placeQueue) push(r placeRequest) {
	for i := len(*q) - 1; i >= 0; i-- {
		p := (*q)[i]
		if p.key != r.key {
			continue
		}
		if p.release {
			break // a release then a new reservation: both stand
		}
		if r.release {
			*q = append((*q)[:i], (*q)[i+1:]...)
			return
		}
		(*q)[i].replies = append((*q)[i].replies, r.replies...)
		return
	}
	*q = append(*q, r)
}

// placePlan is what one batch needs of Redis: the operations to send, in order, and the
// reservations answered without Redis.
type placePlan struct {
	ops     []placeRequest
	granted []placeRequest // the conn holds that place already
	refused []placeRequest // this node alone holds limit places of the user
}

// plan walks a batch over the book as it will be after the batch's earlier requests:
// a release of a place not held is dropped, a reservation of a place held is granted,
// and a reservation is refused here when this node's own conns hold limit places
// (Redis, which counts them too, would refuse it). Only the rest goes to Redis.
func (b *placeBook) plan(batch []placeRequest, limit int) placePlan {
	var p placePlan
	overlay := map[placeKey]bool{} // held after the requests walked so far
	counts := map[int64]int{}
	holds := func(k placeKey) bool {
		if h, ok := overlay[k]; ok {
			return h
		}
		return b.holds(k.user, k.conn)
	}
	count := func(u int64) int {
		if n, ok := counts[u]; ok {
			return n
		}
		return b.count(u)
	}
	for _, r := range batch {
		switch {
		case r.release && holds(r.key):
			overlay[r.key] = false
			counts[r.key.user] = count(r.key.user) - 1
			p.ops = append(p.ops, r)
		case r.release:
		case holds(r.key):
			p.granted = append(p.granted, r)
		case count(r.key.user) >= limit:
			p.refused = append(p.refused, r)
		default:
			// Counted as if granted: if Redis refuses it, it refuses the user's next
			// reservations in this batch too (only releases could make room, and those
			// are counted).
			overlay[r.key] = true
			counts[r.key.user] = count(r.key.user) + 1
			p.ops = append(p.ops, r)
		}
	}
	return p
}
