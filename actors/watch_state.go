package actors

import (
	"sort"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// Watch statuses (until rich presence adds away and dnd).
const (
	StatusOnline  = "online"
	StatusOffline = "offline"
)

// watchConn is one conn's watchlist, as the index keeps it.
type watchConn struct {
	pid   *actor.PID
	users map[int64]struct{}
}

// watchDelivery is one presence:watch_update for one conn.
type watchDelivery struct {
	pid   *actor.PID
	users []WatchStatus
}

// watchIndex is the watch index's data, free of actors: who is online (every published
// change of presence), and for each watched user the conns that watch it, so that a
// change costs one lookup per changed user and one delivery per watching conn —
// nothing for users nobody watches.
type watchIndex struct {
	online   map[int64]struct{}
	watchers map[int64]map[string]*actor.PID // user → conn id → conn
	conns    map[string]*watchConn
	// lastSeen remembers when watched users went offline, as seen here: fresher than
	// the database, which the store writer updates a little later.
	lastSeen map[int64]time.Time
	pairs    int // (conn, user) pairs held
}

func newWatchIndex() *watchIndex {
	return &watchIndex{
		online: map[int64]struct{}{}, watchers: map[int64]map[string]*actor.PID{},
		conns: map[string]*watchConn{}, lastSeen: map[int64]time.Time{},
	}
}

// status is one user's state, with last_seen the later of the database's (db) and the
// index's own.
func (w *watchIndex) status(id int64, db *time.Time) WatchStatus {
	st := WatchStatus{ID: id, Status: StatusOffline, LastSeen: db}
	if _, on := w.online[id]; on {
		st.Online, st.Status = true, StatusOnline
	}
	if t, ok := w.lastSeen[id]; ok && (db == nil || t.After(*db)) {
		st.LastSeen = &t
	}
	return st
}

// watch adds users to conn's watchlist and returns their state, in order.
func (w *watchIndex) watch(connID string, pid *actor.PID, users []WatchedUser) []WatchStatus {
	c := w.conns[connID]
	if c == nil {
		c = &watchConn{pid: pid, users: map[int64]struct{}{}}
		w.conns[connID] = c
	}
	out := make([]WatchStatus, 0, len(users))
	for _, u := range users {
		if _, ok := c.users[u.ID]; !ok {
			c.users[u.ID] = struct{}{}
			ws := w.watchers[u.ID]
			if ws == nil {
				ws = map[string]*actor.PID{}
				w.watchers[u.ID] = ws
			}
			ws[connID] = pid
			w.pairs++
		}
		out = append(out, w.status(u.ID, u.LastSeen))
	}
	return out
}

// unwatch removes users (or all of them) from conn's watchlist.
func (w *watchIndex) unwatch(connID string, users []int64, all bool) {
	c := w.conns[connID]
	if c == nil {
		return
	}
	drop := func(id int64) {
		if _, ok := c.users[id]; !ok {
			return
		}
		delete(c.users, id)
		w.pairs--
		if ws := w.watchers[id]; ws != nil {
			delete(ws, connID)
			if len(ws) == 0 {
				delete(w.watchers, id)
				delete(w.lastSeen, id)
			}
		}
	}
	if all {
		for id := range c.users {
			drop(id)
		}
	} else {
		for _, id := range users {
			drop(id)
		}
	}
	if len(c.users) == 0 {
		delete(w.conns, connID)
	}
}

// changed applies one published change of presence and returns, per watching conn,
// the watched users whose state changed (sorted by id).
func (w *watchIndex) changed(joined []User, left []int64, at time.Time) []watchDelivery {
	byConn := map[string]*watchDelivery{}
	add := func(id int64, st WatchStatus) {
		for connID, pid := range w.watchers[id] {
			d := byConn[connID]
			if d == nil {
				d = &watchDelivery{pid: pid}
				byConn[connID] = d
			}
			d.users = append(d.users, st)
		}
	}
	for _, u := range joined {
		w.online[u.ID] = struct{}{}
		if _, watched := w.watchers[u.ID]; watched {
			add(u.ID, w.status(u.ID, u.LastSeen))
		}
	}
	for _, id := range left {
		delete(w.online, id)
		if _, watched := w.watchers[id]; watched {
			w.lastSeen[id] = at
			add(id, w.status(id, nil))
		}
	}
	out := make([]watchDelivery, 0, len(byConn))
	for _, d := range byConn {
		sort.Slice(d.users, func(i, j int) bool { return d.users[i].ID < d.users[j].ID })
		out = append(out, *d)
	}
	return out
}
