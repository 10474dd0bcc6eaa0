package actors

import "github.com/asynkron/protoactor-go/actor"

// The conn actor's side of scoped presence: the rooms it is in and the users it
// watches. It decides what only it knows (bound or not, to whom, how many rooms and
// watched users it holds) and hands the rest to the rooms supervisor and the watch
// index; the transport decoded the event and checked its room token before.

// connRoom is one room the conn is in.
type connRoom struct {
	seq    uint64 // of the conn's latest join of it
	joined bool   // that join was answered: the room's updates are delivered
}

// scopedState is a conn's rooms and watchlist.
type scopedState struct {
	rooms    map[string]*connRoom
	joinSeq  uint64
	watching map[int64]struct{}
}

func (a *connActor) onRoomJoin(ctx actor.Context, m *RoomJoinReceived) {
	b := a.st.bound
	switch {
	case b == nil:
		a.refuse(m.AckID, CodeUnauthorized, "presence:join needs a bound socket")
		return
	case m.Code != "":
		a.refuse(m.AckID, m.Code, m.Message)
		return
	case !IsPublicRoom(m.Room) && m.TokenUser == 0:
		a.refuse(m.AckID, CodeForbidden, "this room needs a room token")
		return
	case m.TokenUser != 0 && m.TokenUser != b.userID:
		a.refuse(m.AckID, CodeForbidden, "the room token is for another user")
		return
	}
	sc := &a.scoped
	r, in := sc.rooms[m.Room]
	if !in {
		if max := a.sys.cfg.MaxRoomsPerSocket; max > 0 && len(sc.rooms) >= max {
			a.refuse(m.AckID, CodeTooManyRooms, "this socket is in the most rooms it may be in")
			return
		}
		if sc.rooms == nil {
			sc.rooms = map[string]*connRoom{}
		}
		r = &connRoom{}
		sc.rooms[m.Room] = r
	}
	sc.joinSeq++
	r.seq, r.joined = sc.joinSeq, false // updates still in flight for an earlier join are dropped
	ctx.Send(a.sys.rooms, &JoinRoom{Room: m.Room, ConnID: a.id, PID: ctx.Self(), User: b.user, Count: m.Count, Seq: r.seq, AckID: m.AckID})
}

func (a *connActor) onRoomJoined(m *RoomJoined) {
	if r := a.scoped.rooms[m.Room]; r != nil && r.seq == m.Seq {
		r.joined = true
	}
	if m.AckID >= 0 {
		a.sock.Ack(m.AckID, m.Ack)
	}
}

func (a *connActor) onRoomLeave(ctx actor.Context, m *RoomLeaveReceived) {
	switch {
	case a.st.bound == nil:
		a.refuse(m.AckID, CodeUnauthorized, "presence:leave needs a bound socket")
		return
	case m.Code != "":
		a.refuse(m.AckID, m.Code, m.Message)
		return
	}
	if _, in := a.scoped.rooms[m.Room]; in {
		delete(a.scoped.rooms, m.Room)
		ctx.Send(a.sys.rooms, &LeaveRoom{Room: m.Room, ConnID: a.id})
	}
	a.ok(m.AckID)
}

func (a *connActor) onRoomUpdate(m *DeliverRoomUpdate) {
	if r := a.scoped.rooms[m.Room]; r != nil && r.joined {
		a.emit(m.Event)
	}
}

// leaveRooms takes the conn out of every room: at once when it unbinds, after the
// offline grace (for users with no other socket there) when it closes or moves to
// another user.
func (a *connActor) leaveRooms(ctx actor.Context, atOnce bool) {
	for room := range a.scoped.rooms {
		ctx.Send(a.sys.rooms, &LeaveRoom{Room: room, ConnID: a.id, AtOnce: atOnce})
	}
	clear(a.scoped.rooms)
}

func (a *connActor) onWatch(ctx actor.Context, m *WatchReceived) {
	switch {
	case a.st.bound == nil:
		a.refuse(m.AckID, CodeUnauthorized, "presence:watch needs a bound socket")
		return
	case m.Code != "":
		a.refuse(m.AckID, m.Code, m.Message)
		return
	}
	sc := &a.scoped
	added := 0
	for _, u := range m.Users {
		if _, ok := sc.watching[u.ID]; !ok {
			added++
		}
	}
	if len(sc.watching)+added > MaxWatchedPerSocket {
		a.refuse(m.AckID, CodeTooManyWatched, problemWatchMany)
		return
	}
	if len(m.Users) == 0 {
		if m.AckID >= 0 {
			a.sock.Ack(m.AckID, emptyWatchAck)
		}
		return
	}
	if sc.watching == nil {
		sc.watching = make(map[int64]struct{}, len(m.Users))
	}
	for _, u := range m.Users {
		sc.watching[u.ID] = struct{}{}
	}
	ctx.Send(a.sys.watch, &Watch{ConnID: a.id, PID: ctx.Self(), Users: m.Users, AckID: m.AckID})
}

func (a *connActor) onUnwatch(ctx actor.Context, m *UnwatchReceived) {
	switch {
	case a.st.bound == nil:
		a.refuse(m.AckID, CodeUnauthorized, "presence:unwatch needs a bound socket")
		return
	case m.Code != "":
		a.refuse(m.AckID, m.Code, m.Message)
		return
	}
	if m.All {
		a.unwatchAll(ctx)
	} else if len(a.scoped.watching) > 0 {
		var gone []int64
		for _, id := range m.Users {
			if _, ok := a.scoped.watching[id]; ok {
				delete(a.scoped.watching, id)
				gone = append(gone, id)
			}
		}
		if len(gone) > 0 {
			ctx.Send(a.sys.watch, &Unwatch{ConnID: a.id, Users: gone})
		}
	}
	a.ok(m.AckID)
}

// unwatchAll empties the conn's watchlist (unwatch {}, an unbind, a move, a close).
func (a *connActor) unwatchAll(ctx actor.Context) {
	if len(a.scoped.watching) > 0 {
		clear(a.scoped.watching)
		ctx.Send(a.sys.watch, &Unwatch{ConnID: a.id, All: true})
	}
}

func (a *connActor) onWatchAnswered(m *WatchAnswered) {
	if m.AckID >= 0 {
		a.sock.Ack(m.AckID, mustJSON(watchAck{OK: true, Users: m.Users}))
	}
}

// onWatchUpdate emits the watched users' changes, less those unwatched since the index
// sent them.
func (a *connActor) onWatchUpdate(m *DeliverWatchUpdate) {
	users := m.Users
	for i, u := range m.Users {
		if _, ok := a.scoped.watching[u.ID]; !ok {
			users = make([]WatchStatus, 0, len(m.Users)) // rare: keep only those still watched
			for _, v := range m.Users[:i] {
				users = append(users, v)
			}
			for _, v := range m.Users[i+1:] {
				if _, ok := a.scoped.watching[v.ID]; ok {
					users = append(users, v)
				}
			}
			break
		}
	}
	if len(users) > 0 {
		a.emit(NewEvent(EventWatchUpdate, mustJSON(watchUpdatePayload{Users: users})))
	}
}

// refuse answers a presence:* event with {"ok": false, "code", "message"}; nothing
// else changes.
func (a *connActor) refuse(ackID int64, code, msg string) {
	a.sys.stats.refused(code)
	a.sys.log.Debug("presence event refused", "conn_id", a.id, "code", code)
	if ackID >= 0 {
		a.sock.Ack(ackID, refusalAck(code, msg))
	}
}

func refusalAck(code, msg string) []byte {
	return mustJSON(refusal{OK: false, Code: code, Message: msg})
}

type refusal struct {
	OK      bool   `json:"ok"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

type watchAck struct {
	OK    bool          `json:"ok"`
	Users []WatchStatus `json:"users"`
}

type watchUpdatePayload struct {
	Users []WatchStatus `json:"users"`
}

var emptyWatchAck = []byte(`{"ok":true,"users":[]}`)
