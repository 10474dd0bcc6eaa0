package actors

import (
	"sort"

	"github.com/asynkron/protoactor-go/actor"
)

// connRef is what presence knows of one connection.
type connRef struct {
	pid          *actor.PID
	userID       int64 // 0: anonymous
	staff        bool  // bound to an is_staff user: receives server-action:stats
	needSnapshot bool  // bound since the last flush: its next update carries the full list
}

// presenceState is the presence supervisor's data, free of actors and clocks so that
// it can be table-tested. A user is online when this node's user actor says so (local)
// or when the cluster's global set in Redis says so (remote; empty on a single node).
// The online set changes at once; what the clients see changes only at flush, which
// publishes the net difference since the previous flush (so a join and a leave inside
// one coalescing window cancel out).
type presenceState struct {
	conns         map[string]*connRef
	bound         int
	local         map[int64]User     // online by this node's own sockets and logins
	remote        map[int64]User     // online anywhere in the cluster, as Redis last said
	remoteVersion uint64             // the global version remote reflects
	published     map[int64]struct{} // who was online at the last flush
	touched       map[int64]struct{} // users whose state may have changed since the last flush
	snapshots     int                // conns with needSnapshot set
	version       uint64
}

func newPresenceState() *presenceState {
	return &presenceState{
		conns:     map[string]*connRef{},
		local:     map[int64]User{},
		remote:    map[int64]User{},
		published: map[int64]struct{}{},
		touched:   map[int64]struct{}{},
	}
}

func (s *presenceState) openConn(id string, pid *actor.PID) {
	if _, ok := s.conns[id]; !ok {
		s.conns[id] = &connRef{pid: pid}
	}
}

// bindConn binds a conn to a user and returns the user it was bound to before (0: none).
func (s *presenceState) bindConn(id string, pid *actor.PID, userID int64, staff bool) (prev int64) {
	c, ok := s.conns[id]
	if !ok {
		c = &connRef{pid: pid}
		s.conns[id] = c
	}
	prev = c.userID
	if prev == 0 {
		s.bound++
	}
	c.userID, c.staff = userID, staff
	if !c.needSnapshot {
		c.needSnapshot = true
		s.snapshots++
	}
	return prev
}

// unbindConn makes a conn anonymous and returns the user it was bound to (0: none).
func (s *presenceState) unbindConn(id string) (prev int64) {
	c, ok := s.conns[id]
	if !ok || c.userID == 0 {
		return 0
	}
	prev = c.userID
	c.userID, c.staff = 0, false
	s.bound--
	if c.needSnapshot {
		c.needSnapshot = false
		s.snapshots--
	}
	return prev
}

// closeConn forgets a conn and returns the user it was bound to (0: none).
func (s *presenceState) closeConn(id string) (prev int64) {
	prev = s.unbindConn(id)
	delete(s.conns, id)
	return prev
}

// setLocal records this node's view of one user.
func (s *presenceState) setLocal(u User, online bool) {
	if online {
		u.IsOnline = true
		s.local[u.ID] = u
	} else {
		delete(s.local, u.ID)
	}
	s.touched[u.ID] = struct{}{}
}

// remoteChanged applies one global transition published at version; transitions the
// state already reflects (version not above remoteVersion) are ignored.
func (s *presenceState) remoteChanged(u User, online bool, version uint64) {
	if version != 0 && version <= s.remoteVersion {
		return
	}
	if version != 0 {
		s.remoteVersion = version
	}
	if online {
		u.IsOnline = true
		s.remote[u.ID] = u
	} else {
		delete(s.remote, u.ID)
	}
	s.touched[u.ID] = struct{}{}
}

// remoteReplaced replaces the global set with a full read of it at version.
func (s *presenceState) remoteReplaced(users []User, version uint64) {
	for id := range s.remote {
		s.touched[id] = struct{}{}
	}
	clear(s.remote)
	for _, u := range users {
		u.IsOnline = true
		s.remote[u.ID] = u
		s.touched[u.ID] = struct{}{}
	}
	s.remoteVersion = version
}

// refreshAll makes every bound conn's next update carry the full list.
func (s *presenceState) refreshAll() {
	for _, c := range s.conns {
		if c.userID != 0 && !c.needSnapshot {
			c.needSnapshot = true
			s.snapshots++
		}
	}
}

// user returns an online user's profile, preferring this node's (freshest) copy.
func (s *presenceState) user(id int64) (User, bool) {
	if u, ok := s.local[id]; ok {
		return u, true
	}
	u, ok := s.remote[id]
	return u, ok
}

// count is how many users are online.
func (s *presenceState) count() int { return len(s.published) }

// dirty reports whether a flush would publish anything.
func (s *presenceState) dirty() bool { return len(s.touched) > 0 || s.snapshots > 0 }

// update is what one flush publishes.
type update struct {
	version uint64
	joined  []User
	left    []int64
	changed bool // the online set changed: version was incremented
}

// flush computes the net change since the last flush, advances the version if the
// online set changed, and clears the pending state. Callers deliver the update to
// bound conns (the snapshot form to those with needSnapshot) and then call
// snapshotsSent.
func (s *presenceState) flush() update {
	var u update
	for id := range s.touched {
		profile, now := s.user(id)
		_, before := s.published[id]
		switch {
		case now && !before:
			u.joined = append(u.joined, profile)
			s.published[id] = struct{}{}
		case !now && before:
			u.left = append(u.left, id)
			delete(s.published, id)
		}
	}
	clear(s.touched)
	sort.Slice(u.joined, func(i, j int) bool { return u.joined[i].ID < u.joined[j].ID })
	sort.Slice(u.left, func(i, j int) bool { return u.left[i] < u.left[j] })
	if len(u.joined) > 0 || len(u.left) > 0 {
		s.version++
		u.changed = true
	}
	u.version = s.version
	return u
}

// snapshotsSent clears every conn's needSnapshot.
func (s *presenceState) snapshotsSent() {
	if s.snapshots == 0 {
		return
	}
	for _, c := range s.conns {
		c.needSnapshot = false
	}
	s.snapshots = 0
}

// users lists who was online at the last flush, sorted by id.
func (s *presenceState) users() []User {
	out := make([]User, 0, len(s.published))
	for id := range s.published {
		u, _ := s.user(id)
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
