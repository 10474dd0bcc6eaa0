package actors

import (
	"sort"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// countEvery is the least time between two count-mode updates of a room.
const countEvery = time.Second

// roomConn is one socket in a room.
type roomConn struct {
	pid    *actor.PID
	userID int64
	count  bool // asked for count mode
	// acking: a join waits for its answer, given at the next flush (with the room as
	// published then); seq and ackID are that join's.
	acking bool
	seq    uint64
	ackID  int64
}

// roomMember is a user present in the room through this node's sockets: while one of
// them is in the room, and until graceUntil after the last one left.
type roomMember struct {
	user       User
	conns      int
	graceUntil time.Time
}

// roomSend is one presence:update for one member; roomAck one join's answer.
type roomSend struct {
	pid *actor.PID
	ev  *Event
}

type roomAck struct {
	pid *actor.PID
	msg *RoomJoined
}

// roomFlush is what one flush hands out.
type roomFlush struct {
	sends   []roomSend
	acks    []roomAck
	changed bool // the member set changed: version was incremented
	delta   int  // change of the member count
}

// roomState is one room, free of actors and clocks so that it can be table-tested. It
// mirrors presenceState: members change at once; what members see changes only at
// flush, which publishes the net difference since the previous flush at the next
// version. A user is a member while this node says so (local) or while the cluster
// says so (remote: the cluster's members as the RoomCluster seam last said, this
// node's own included, so a user present here and elsewhere is one entry; empty on
// one node).
//
// Delivery: list-mode members get every flush's diff; count-mode members (those who
// asked, and every member while the room has more than listMax members) get
// {version, count} at most once every countEvery. A join is answered at the next
// flush, with the room as published by it, so the joiner's list includes itself and
// the diffs it gets start after its ack's version.
type roomState struct {
	name    string
	listMax int // the room is delivered in count mode above this many members; 0: never
	conns   map[string]*roomConn
	local   map[int64]*roomMember
	remote  map[int64]User
	// remoteVersion is the cluster's version remote reflects.
	remoteVersion uint64
	published     map[int64]User // the members at the last flush
	touched       map[int64]struct{}
	acking        int
	version       uint64
	forced        bool      // delivered in count mode to every member
	countAt       time.Time // the last count-mode update
	countVersion  uint64    // the version count-mode members were last told
	countDue      time.Time // non-zero: a count-mode update waits until then
	// readUntil, while non-zero, holds the joins' answers until the cluster's read
	// arrives (RemoteRoomRead) or until then.
	readUntil time.Time
	handled   uint64 // supervisor messages handled (see RoomIdle)
	sorted    []User // published, by id; nil: to be rebuilt
}

func newRoomState(name string, listMax int) *roomState {
	return &roomState{
		name: name, listMax: listMax,
		conns: map[string]*roomConn{}, local: map[int64]*roomMember{}, remote: map[int64]User{},
		published: map[int64]User{}, touched: map[int64]struct{}{},
	}
}

// listMin is the member count at or below which a room in forced count mode goes back
// to list mode: 90 % of listMax, so that a room hovering around the threshold does
// not send its whole list to every member at each crossing.
func (s *roomState) listMin() int { return s.listMax - s.listMax/10 }

// join puts a conn in the room, or changes the mode of one already there. became
// reports that the user is now present through this node (it was not, nor in its
// grace). A join of the same conn still waiting for its answer is answered now
// (superseded), with the room as last published.
func (s *roomState) join(m *JoinRoom) (became bool, superseded *roomAck) {
	c, ok := s.conns[m.ConnID]
	switch {
	case !ok:
		c = &roomConn{pid: m.PID, userID: m.User.ID}
		s.conns[m.ConnID] = c
		mem, present := s.local[m.User.ID]
		if !present {
			mem = &roomMember{}
			s.local[m.User.ID] = mem
			became = true
		}
		u := m.User
		u.IsOnline = true
		mem.user = u
		mem.conns++
		mem.graceUntil = time.Time{}
		s.touched[m.User.ID] = struct{}{}
	case c.acking:
		superseded = s.answer(c)
	}
	c.count = m.Count
	c.acking, c.seq, c.ackID = true, m.Seq, m.AckID
	s.acking++
	return became, superseded
}

// leave takes a conn out of the room. gone reports that its user is no longer present
// through this node (the last conn left with atOnce or no grace); otherwise the
// user's grace starts when it was the last conn. A join still waiting is answered now.
func (s *roomState) leave(connID string, now time.Time, grace time.Duration, atOnce bool) (userID int64, gone bool, unanswered *roomAck) {
	c, ok := s.conns[connID]
	if !ok {
		return 0, false, nil
	}
	if c.acking {
		unanswered = s.answer(c)
	}
	delete(s.conns, connID)
	mem := s.local[c.userID]
	if mem == nil {
		return c.userID, false, unanswered
	}
	mem.conns--
	if mem.conns > 0 {
		return c.userID, false, unanswered
	}
	if atOnce || grace <= 0 {
		delete(s.local, c.userID)
		s.touched[c.userID] = struct{}{}
		return c.userID, true, unanswered
	}
	mem.graceUntil = now.Add(grace)
	return c.userID, false, unanswered
}

// expire ends the graces that ended by now and returns the users gone.
func (s *roomState) expire(now time.Time) []int64 {
	var gone []int64
	for id, mem := range s.local {
		if mem.conns == 0 && !now.Before(mem.graceUntil) {
			delete(s.local, id)
			s.touched[id] = struct{}{}
			gone = append(gone, id)
		}
	}
	sort.Slice(gone, func(i, j int) bool { return gone[i] < gone[j] })
	return gone
}

// remoteChanged applies one of the cluster's transitions at version; transitions the
// state already reflects are ignored.
func (s *roomState) remoteChanged(u User, present bool, version uint64) {
	if version != 0 && version <= s.remoteVersion {
		return
	}
	if version != 0 {
		s.remoteVersion = version
	}
	if present {
		u.IsOnline = true
		s.remote[u.ID] = u
	} else {
		delete(s.remote, u.ID)
	}
	s.touched[u.ID] = struct{}{}
}

// awaitRead holds the joins' answers until the cluster's read, or until deadline.
func (s *roomState) awaitRead(deadline time.Time) { s.readUntil = deadline }

// readDone ends the wait for the cluster's read.
func (s *roomState) readDone() { s.readUntil = time.Time{} }

// reading: joins' answers wait for the cluster's read.
func (s *roomState) reading() bool { return !s.readUntil.IsZero() }

// remoteReplaced replaces the cluster's members with a whole read of them.
func (s *roomState) remoteReplaced(users []User, version uint64) {
	s.readDone()
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

func (s *roomState) member(id int64) (User, bool) {
	if m, ok := s.local[id]; ok {
		return m.user, true
	}
	u, ok := s.remote[id]
	return u, ok
}

// dirty reports whether a flush would publish or answer anything.
func (s *roomState) dirty() bool { return len(s.touched) > 0 || (s.acking > 0 && !s.reading()) }

// idle: no socket of this node in the room and nothing left to publish; the room's
// actor may stop (members through other nodes need no actor here).
func (s *roomState) idle() bool { return len(s.conns) == 0 && len(s.local) == 0 && !s.dirty() }

// users is the published member list, by id (shared: not to be modified).
func (s *roomState) users() []User {
	if s.sorted == nil {
		s.sorted = make([]User, 0, len(s.published))
		for _, u := range s.published {
			s.sorted = append(s.sorted, u)
		}
		sort.Slice(s.sorted, func(i, j int) bool { return s.sorted[i].ID < s.sorted[j].ID })
	}
	return s.sorted
}

// countMode reports whether c is delivered counts rather than lists.
func (s *roomState) countMode(c *roomConn) bool { return c.count || s.forced }

// flush publishes the net change since the last flush (a new version if the member set
// changed), switches the room's mode when it crossed listMax, and answers the joins
// that wait. Count-mode updates go out here too when one is due (see countStep).
func (s *roomState) flush(now time.Time) roomFlush {
	var out roomFlush
	var joined []User
	var left []int64
	before := len(s.published)
	for id := range s.touched {
		profile, present := s.member(id)
		_, was := s.published[id]
		switch {
		case present && !was:
			joined = append(joined, profile)
			s.published[id] = profile
		case !present && was:
			left = append(left, id)
			delete(s.published, id)
		case present && profile != s.published[id]:
			s.published[id] = profile // a fresher profile, no change of membership
			s.sorted = nil
		}
	}
	clear(s.touched)
	if len(joined) > 0 || len(left) > 0 {
		sort.Slice(joined, func(i, j int) bool { return joined[i].ID < joined[j].ID })
		sort.Slice(left, func(i, j int) bool { return left[i] < left[j] })
		s.version++
		s.sorted = nil
		out.changed = true
	}
	out.delta = len(s.published) - before

	wasForced := s.forced
	switch n := len(s.published); {
	case !s.forced && s.listMax > 0 && n > s.listMax:
		s.forced = true
	case s.forced && n <= s.listMin():
		s.forced = false
	}

	// List-mode members: the diff; back from forced count mode, the whole list.
	var ev *Event
	switch {
	case s.forced:
	case wasForced:
		users := s.users()
		ev = NewEvent(EventRoomUpdate, mustJSON(roomUpdatePayload{Room: s.name, Mode: modeList, Version: s.version,
			Count: len(s.published), Joined: orEmpty(joined), Left: orEmptyIDs(left), Changed: []User{}, Users: &users}))
	case out.changed:
		ev = NewEvent(EventRoomUpdate, mustJSON(roomUpdatePayload{Room: s.name, Mode: modeList, Version: s.version,
			Count: len(s.published), Joined: orEmpty(joined), Left: orEmptyIDs(left), Changed: []User{}}))
	}
	if ev != nil {
		for _, c := range s.conns {
			if !c.acking && !s.countMode(c) {
				out.sends = append(out.sends, roomSend{c.pid, ev})
			}
		}
	}
	out.sends = s.countStep(now, out.sends)
	if s.reading() && !now.Before(s.readUntil) {
		s.readDone() // the cluster did not answer in time: answer from what is known
	}
	if s.acking > 0 && !s.reading() {
		for _, c := range s.conns {
			if c.acking {
				out.acks = append(out.acks, *s.answer(c))
			}
		}
	}
	return out
}

// countStep sends count-mode members {version, count} when the version moved since
// they were last told and countEvery has passed since the room last told them;
// otherwise it leaves countDue set to when it may.
func (s *roomState) countStep(now time.Time, sends []roomSend) []roomSend {
	if s.version == s.countVersion {
		s.countDue = time.Time{}
		return sends
	}
	if due := s.countAt.Add(countEvery); now.Before(due) {
		s.countDue = due
		return sends
	}
	s.countDue = time.Time{}
	s.countVersion = s.version
	var ev *Event
	for _, c := range s.conns {
		if c.acking || !s.countMode(c) {
			continue
		}
		if ev == nil {
			ev = NewEvent(EventRoomUpdate, mustJSON(roomCountPayload{Room: s.name, Mode: modeCount, Version: s.version, Count: len(s.published)}))
		}
		sends = append(sends, roomSend{c.pid, ev})
	}
	if ev != nil {
		s.countAt = now
	}
	return sends
}

// answer builds the answer of c's waiting join from the room as published.
func (s *roomState) answer(c *roomConn) *roomAck {
	c.acking = false
	s.acking--
	var ack []byte
	if s.countMode(c) {
		ack = mustJSON(roomCountAck{OK: true, Room: s.name, Mode: modeCount, Version: s.version, Count: len(s.published)})
	} else {
		ack = mustJSON(roomListAck{OK: true, Room: s.name, Mode: modeList, Version: s.version, Count: len(s.published), Users: s.users()})
	}
	return &roomAck{pid: c.pid, msg: &RoomJoined{Room: s.name, Seq: c.seq, AckID: c.ackID, Ack: ack}}
}

// nextWake is when time alone next changes the room: a grace ends, a count-mode
// update becomes due, or the wait for the cluster's read ends (zero: never).
func (s *roomState) nextWake() time.Time {
	w := s.countDue
	if s.reading() && (w.IsZero() || s.readUntil.Before(w)) {
		w = s.readUntil
	}
	for _, mem := range s.local {
		if mem.conns == 0 && (w.IsZero() || mem.graceUntil.Before(w)) {
			w = mem.graceUntil
		}
	}
	return w
}

// presence is the room as published, with at most max users (by id; 0: all).
func (s *roomState) presence(max int) *GetRoomPresenceResponse {
	users := s.users()
	if max > 0 && len(users) > max {
		users = users[:max]
	}
	return &GetRoomPresenceResponse{Version: s.version, Count: len(s.published), Users: users}
}

const (
	modeList  = "list"
	modeCount = "count"
)

// roomUpdatePayload is presence:update in list mode; Users (the whole list) only when
// the room comes back to list mode.
type roomUpdatePayload struct {
	Room    string  `json:"room"`
	Mode    string  `json:"mode"`
	Version uint64  `json:"version"`
	Count   int     `json:"count"`
	Joined  []User  `json:"joined"`
	Left    []int64 `json:"left"`
	Changed []User  `json:"changed"`
	Users   *[]User `json:"users,omitempty"`
}

// roomCountPayload is presence:update in count mode.
type roomCountPayload struct {
	Room    string `json:"room"`
	Mode    string `json:"mode"`
	Version uint64 `json:"version"`
	Count   int    `json:"count"`
}

// roomListAck and roomCountAck answer presence:join.
type roomListAck struct {
	OK      bool   `json:"ok"`
	Room    string `json:"room"`
	Mode    string `json:"mode"`
	Version uint64 `json:"version"`
	Count   int    `json:"count"`
	Users   []User `json:"users"`
}

type roomCountAck struct {
	OK      bool   `json:"ok"`
	Room    string `json:"room"`
	Mode    string `json:"mode"`
	Version uint64 `json:"version"`
	Count   int    `json:"count"`
}

func orEmpty(u []User) []User {
	if u == nil {
		return []User{}
	}
	return u
}

func orEmptyIDs(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}
